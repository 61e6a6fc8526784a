// `bun run pixverse:check` — for operators: signs into Pixverse (or the simulator, via PIXVERSE_WEB_URL /
// PIXVERSE_API_URL) with EMAIL / PASSWORD through the same browser code the service uses, verifies the
// English UI and every selector and JSON field that code relies on, prints credits, plan and
// gen_simultaneously, and submits nothing unless asked: `bun run pixverse:check --submit "a prompt"`.
// It reuses the service's saved session when there is one, so it does not end the service's login.
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { mapPixverseVideo } from "../domain/status.ts";
import { createLogger } from "../log.ts";
import { DEFAULT_TUNING, PixverseAccount } from "./account.ts";
import { launchBrowser, newEnglishContext, pageLanguage, verifyEnglish } from "./browser.ts";
import {
  CreatePage,
  createTimeMs,
  DEFAULT_API_URL,
  DEFAULT_WEB_URL,
  LABELS,
  LoginPage,
  TOKEN_COOKIES,
} from "./pixverse.ts";
import { errorMessage, pause } from "./waits.ts";

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
let failures = 0;

async function check<T>(what: string, run: () => Promise<T>, show: (value: T) => string = () => ""): Promise<T | undefined> {
  try {
    const value = await run();
    const extra = show(value);
    out(`  ok    ${what}${extra ? `: ${extra}` : ""}`);
    return value;
  } catch (err) {
    failures += 1;
    out(`  FAIL  ${what}: ${errorMessage(err)}`);
    return undefined;
  }
}

function must(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

async function checkLoginPage(browser: Browser, config: Config, webUrl: string): Promise<void> {
  out("Login page (fresh context, nothing submitted):");
  const context = await newEnglishContext(browser, { timezone: config.BROWSER_TIMEZONE });
  try {
    const page = await context.newPage();
    const form = new LoginPage(page, webUrl);
    await check(`opens ${webUrl}/login`, () => form.open(30_000));
    await check(`English UI (button "${LABELS.login}")`, async () => {
      await verifyEnglish(page, form.loginButton, `"${LABELS.login}" button`, 15_000);
      return pageLanguage(page);
    }, (l) => `html lang=${l.htmlLang}, navigator.language=${l.navigatorLanguage}`);
    await check("input #Username", () => form.username.waitFor({ state: "visible", timeout: 10_000 }));
    await check("input #Password", () => form.password.waitFor({ state: "visible", timeout: 10_000 }));
  } finally {
    await context.close();
  }
}

async function checkAccount(account: PixverseAccount, signInMs: number): Promise<boolean> {
  out("Signing in (the service's saved session is reused when valid):");
  const signedIn = await check("signed in", async () => {
    must(await account.waitUntilSignedIn(signInMs), `account is ${account.status().state}: ${account.status().detail ?? ""}`);
    return account.status();
  }, (s) => s.detail ?? s.state);
  if (!signedIn) return false;

  out("JSON API:");
  const api = account.requireApi();
  await check(`token cookie (${TOKEN_COOKIES.join(" or ")})`, async () => must(await account.hasToken(), "no token cookie"));
  await check("user/credits: credit_daily, credit_monthly, credit_package", () => account.credits(), (c) =>
    `daily ${c.daily} + monthly ${c.monthly} + package ${c.package} = ${c.total}`);
  await check("toc/members/plan_details: gen_simultaneously", async () => {
    const plan = await account.plan();
    must(plan.genSimultaneously !== null, "no gen_simultaneously in the answer");
    return plan;
  }, (p) => `gen_simultaneously ${p.genSimultaneously}; plan ${planName(p.raw)}`);
  const items = await check("video/list/personal: Resp.data[]", () => api.listPersonal(0, 20_000), (list) => `${list.length} video(s) on the first page`);
  const first = items?.[0];
  if (first) {
    await check("list item fields video_id, video_status, url, prompt, create_time", async () => {
      const at = createTimeMs(first.create_time);
      must(at !== null, `create_time ${JSON.stringify(first.create_time)} is not a readable time`);
      must(typeof first.prompt === "string", "no prompt");
      return { at: at!, status: first.video_status, outcome: mapPixverseVideo({ id: first.video_id, status: first.video_status, url: first.url ?? null, outputWidth: first.output_width ?? null, outputHeight: first.output_height ?? null }).kind };
    }, (v) => `newest ${first.video_id}, status ${v.status} (${v.outcome}), created ${new Date(v.at).toISOString()} (raw ${JSON.stringify(first.create_time)}, now ${new Date().toISOString()})`);
    await check("video/list/detail {video_id}", async () => {
      const item = await api.videoDetail(first.video_id, 20_000);
      must(item?.video_id === first.video_id, "answer does not carry the same video_id");
    });
  } else {
    out("  skip  list item fields and list/detail: the account has no videos yet");
  }
  return true;
}

async function checkCreatePage(account: PixverseAccount, webUrl: string): Promise<void> {
  out("Creation page (nothing is clicked that would submit):");
  const page = await account.openPage();
  try {
    const create = new CreatePage(page, webUrl);
    await check(`opens ${webUrl}/create`, async () => {
      await create.open(30_000);
      must(!create.redirectedToLogin(), "sent back to the login page");
    });
    await check(`textarea placeholder "${LABELS.promptPlaceholder}"`, () => verifyEnglish(page, create.prompt, "prompt box", 15_000));
    await check(`tab "${LABELS.textTab}"`, () => create.tab("t2v").waitFor({ state: "visible", timeout: 10_000 }));
    await check(`tab "${LABELS.imageTab}" shows input[type=file]`, async () => {
      await create.chooseMode("i2v", 10_000);
      await create.fileInput.waitFor({ state: "attached", timeout: 10_000 });
      await create.chooseMode("t2v", 10_000);
    });
    await check(`button "${LABELS.create}"`, () => create.createButton.waitFor({ state: "visible", timeout: 10_000 }));
  } finally {
    await page.close();
  }
}

async function submitOne(account: PixverseAccount, prompt: string, config: Config): Promise<void> {
  out(`Submitting one text video (--submit): ${JSON.stringify(prompt)}`);
  const result = await account.submit({ kind: "t2v", prompt, settings: config.generation }, 120_000);
  if (!result.ok) {
    failures += 1;
    out(`  FAIL  submit: ${result.kind}${result.code ? ` (ErrCode ${result.code})` : ""}: ${result.message}`);
    return;
  }
  out(`  ok    submitted: Pixverse video_id ${result.pixverseId}`);
  const deadline = Date.now() + 15 * 60_000;
  while (Date.now() < deadline) {
    const [video] = await account.poll([result.pixverseId], 30_000);
    const outcome = video ? mapPixverseVideo(video) : { kind: "pending" as const };
    if (outcome.kind === "succeeded") return out(`  ok    finished: ${outcome.url}`);
    if (outcome.kind !== "pending" && outcome.kind !== "unknown") {
      failures += 1;
      return out(`  FAIL  finished as ${outcome.kind} (video_status ${video?.status})`);
    }
    await pause(5_000);
  }
  failures += 1;
  out("  FAIL  not finished within 15 minutes");
}

function planName(raw: unknown): string {
  if (raw && typeof raw === "object") {
    for (const key of ["plan_name", "current_plan_name", "name", "plan"]) {
      const value = (raw as Record<string, unknown>)[key];
      if (typeof value === "string" && value) return value;
    }
    return `(no name; fields: ${Object.keys(raw).join(", ")})`;
  }
  return "(none)";
}

async function main(): Promise<number> {
  const args = parseArgs({ options: { submit: { type: "string" } }, strict: true });
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    out(err instanceof ConfigError ? err.message : errorMessage(err));
    return 2;
  }
  if (!config.EMAIL || !config.PASSWORD) {
    out("Set EMAIL and PASSWORD (in .env or the environment): the live check signs into that Pixverse account.");
    return 2;
  }
  const webUrl = config.PIXVERSE_WEB_URL ?? DEFAULT_WEB_URL;
  const apiUrl = config.PIXVERSE_API_URL ?? DEFAULT_API_URL;
  out(`Pixverse live check: ${webUrl} (API ${apiUrl}), account ${config.EMAIL}, ${config.HEADLESS ? "headless" : "headed"}`);
  // Logs go to stderr so stdout stays a readable report.
  const logger = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, (line) => process.stderr.write(`${line}\n`));
  const browser = await launchBrowser({ executablePath: config.CHROMIUM_PATH, headless: config.HEADLESS });
  const account = new PixverseAccount(browser, {
    email: config.EMAIL,
    password: config.PASSWORD,
    webUrl,
    apiUrl,
    sessionDir: config.sessionDir,
    headless: config.HEADLESS,
    timezone: config.BROWSER_TIMEZONE,
    humanLoginTimeoutMs: config.HUMAN_LOGIN_TIMEOUT_SECONDS * 1000,
    fallbackConcurrency: config.PIXVERSE_CONCURRENCY,
    tuning: DEFAULT_TUNING,
  }, logger);
  try {
    await checkLoginPage(browser, config, webUrl);
    await account.start();
    const signInMs = 60_000 + (config.HEADLESS ? 0 : config.HUMAN_LOGIN_TIMEOUT_SECONDS * 1000);
    if (await checkAccount(account, signInMs)) {
      await checkCreatePage(account, webUrl);
      if (args.values.submit !== undefined) await submitOne(account, args.values.submit, config);
    }
  } finally {
    await account.close();
    await browser.close();
  }
  out(failures === 0 ? "All checks passed." : `${failures} check(s) failed.`);
  return failures === 0 ? 0 : 1;
}

process.exit(await main());
