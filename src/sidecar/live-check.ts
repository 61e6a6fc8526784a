// `bun run pixverse:check` — for operators: does Pixverse (or the simulator, via PIXVERSE_WEB_URL /
// PIXVERSE_API_URL) still look the way the service's browser code expects? It signs in with EMAIL /
// PASSWORD through that same code and judges each fact on its own, printing one row per fact:
//
//   fact | PASS / FAIL / UNKNOWN | what it saw
//
// Login page (fresh signed-out context; nothing clicked): login page reachable, English, modals on the login
//   page (seen, closed), username input (placeholder / label / id: which matched), password input, Login
//   button, human check (shown on load?).
// Session (the account's context, reusing the service's saved session in SESSION_DIR, so the service is
//   not logged out unless that session no longer works): sign-in (saved session reused / logged in), token
//   cookie (its name; never its value).
// Creation page at PIXVERSE_CREATE_PATH (own page; nothing clicked that creates a video): creation page,
//   modals on the creation page, prompt box (how many, how many visible), image input (the visible upload
//   area, or the 2025 mode tab; count of file inputs), Audio switch, Multi-Shot switch (state seen), Create
//   button (its full name with the cost).
// JSON API: plan_details gen_simultaneously, user/credits (fields, total), then (after the video, with
//   --submit) list/personal Resp.data, list/personal paging, list item fields (video_id,
//   video_status, url, prompt), list item creation time (created_at or create_time, which, read as a
//   time), video_status values (each mapped by domain/status.ts; unknown ones FAIL), list/detail of the
//   newest video.
// With `--submit ["prompt"]`, before the list facts: submit one video (through PIXVERSE_SUBMIT, with the
//   configured settings; id and expected credits), video finished (polled until final, at most
//   `--submit-wait` seconds, default 15 min; the credits it took).
//
// What is required: every fact above is, except where the page legitimately varies, which is then PASS
// with what was (not) seen or UNKNOWN, never FAIL: no modal ("none shown"), no human check, a redirect
// of the creation path (PASS, naming the path it went to), the image input behind a mode tab instead of an
// upload area (2025 layout), no switches at all (UNKNOWN: the 2025 layout has none; a missing switch while
// others show is a FAIL: renamed), no videos yet (the item facts UNKNOWN), no paging fields (UNKNOWN).
// A fact whose prerequisite did not PASS is UNKNOWN; a fact that throws or runs out of its own time limit
// FAILs alone and the next one runs.
//
// Output: the table and a summary on stdout; logs (JSON lines) on stderr. `--json <file>` also writes a
// report (see check/report.ts); `--json` alone writes ./pixverse-check-<UTC time>.json. Neither ever holds
// the password, the token or a cookie; the e-mail is masked.
// Exit: 0 when no fact FAILed, 1 when one did, 2 for bad configuration or arguments (EMAIL/PASSWORD unset,
// an invalid variable, Chromium not startable at CHROMIUM_PATH, the report not writable).
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { createLogger } from "../log.ts";
import { DEFAULT_TUNING, PixverseAccount } from "./account.ts";
import { launchBrowser } from "./browser.ts";
import { parseCheckArgs, UsageError, USAGE, type CheckArgs } from "./check/args.ts";
import { accountApiFacts, listFacts } from "./check/api-facts.ts";
import { scrub, type CheckContext } from "./check/context.ts";
import { maskEmail } from "./client.ts";
import { creationFacts } from "./check/creation-facts.ts";
import { loginPageFacts, sessionFacts } from "./check/login-facts.ts";
import { writeReport } from "./check/report.ts";
import { runFacts, summarize, summaryLine, Table } from "./check/runner.ts";
import { submitFacts } from "./check/submit-facts.ts";
import { DEFAULT_API_URL, DEFAULT_WEB_URL } from "./pixverse.ts";
import { errorMessage, within } from "./waits.ts";

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** A guess at the page layout from what the facts saw, for the report. */
function layoutGuess(hints: Record<string, string>): string {
  if (hints.imageSlot === "mode tab") return "2025-style (mode tabs, no upload area)";
  if (hints.imageSlot === "upload area") return "2026-style (one composer with an upload area)";
  return "not determined";
}

async function main(argv: readonly string[]): Promise<number> {
  const startedAt = new Date();
  let args: CheckArgs;
  try {
    args = parseCheckArgs(argv, startedAt);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    out(`${e.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    out(e instanceof ConfigError ? e.message : errorMessage(e));
    return 2;
  }
  if (!config.EMAIL || !config.PASSWORD) {
    out("Set EMAIL and PASSWORD (in .env or the environment): the live check signs into that Pixverse account.");
    return 2;
  }
  const webUrl = config.PIXVERSE_WEB_URL ?? DEFAULT_WEB_URL;
  const apiUrl = config.PIXVERSE_API_URL ?? DEFAULT_API_URL;
  const submitMode = config.PIXVERSE_SUBMIT;
  const createPath = config.PIXVERSE_CREATE_PATH;
  // Logs go to stderr so that stdout stays the table.
  const logger = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, err);

  let browser;
  try {
    browser = await launchBrowser({ executablePath: config.CHROMIUM_PATH, headless: config.HEADLESS });
  } catch (e) {
    out(`could not start Chromium at CHROMIUM_PATH=${config.CHROMIUM_PATH}: ${errorMessage(e)}`);
    return 2;
  }
  const account = new PixverseAccount(
    browser,
    {
      email: config.EMAIL,
      password: config.PASSWORD,
      webUrl,
      apiUrl,
      sessionDir: config.sessionDir,
      headless: config.HEADLESS,
      timezone: config.BROWSER_TIMEZONE,
      humanLoginTimeoutMs: config.HUMAN_LOGIN_TIMEOUT_SECONDS * 1000,
      fallbackConcurrency: config.PIXVERSE_CONCURRENCY,
      submitMode,
      createPath,
      tuning: DEFAULT_TUNING,
    },
    logger,
  );
  const ctx: CheckContext = {
    config,
    webUrl,
    apiUrl,
    submitMode,
    createPath,
    browser,
    account,
    log: logger,
    submit: args.submit === null ? null : { prompt: args.submit, waitMs: args.submitWaitMs },
    hints: {},
    secrets: new Set([config.PASSWORD]),
    cleanup: [],
  };
  // A headed run may wait for a person to finish the login.
  const signInMs = 60_000 + (config.HEADLESS ? 0 : config.HUMAN_LOGIN_TIMEOUT_SECONDS * 1000);
  const facts = [
    ...loginPageFacts(),
    ...sessionFacts(signInMs),
    ...creationFacts(),
    ...accountApiFacts(),
    // With --submit the list is read after the new video, so that a new account has an item to judge.
    ...(ctx.submit ? submitFacts(submitMode, ctx.submit.waitMs) : []),
    ...listFacts(),
  ];
  const table = new Table(facts.map((f) => f.name));
  out(
    `Pixverse live check: ${webUrl} (API ${apiUrl}), account ${maskEmail(config.EMAIL)}, submit path ${submitMode}, ` +
      `creation page ${createPath}, ${config.HEADLESS ? "headless" : "headed"}${ctx.submit ? "; --submit: one video (costs credits)" : "; nothing is submitted"}`,
  );
  out("");
  out(table.header());
  let results;
  try {
    results = await runFacts(facts, ctx, { onResult: (r) => out(table.row(r)), clean: (s) => scrub(s, ctx.secrets) });
  } finally {
    for (const close of ctx.cleanup.reverse()) await within(close().catch(() => undefined), 10_000, undefined);
    await within(account.close().catch(() => undefined), 15_000, undefined);
    await within(browser.close().catch(() => undefined), 15_000, undefined);
  }
  const summary = summarize(results);
  const exitCode = summary.fail > 0 ? 1 : 0;
  out("");
  out(summaryLine(summary, results.filter((r) => r.status === "FAIL").map((r) => r.fact)));
  if (args.json !== null) {
    ctx.hints.layout = layoutGuess(ctx.hints);
    try {
      await writeReport(
        args.json,
        {
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          webUrl,
          apiUrl,
          account: maskEmail(config.EMAIL),
          submitMode,
          createPath,
          headless: config.HEADLESS,
          generation: config.generation,
          submit: ctx.submit ? { prompt: ctx.submit.prompt, waitSeconds: Math.round(ctx.submit.waitMs / 1000) } : null,
          layoutHints: ctx.hints,
          summary,
          exitCode,
          results: results.map(({ id, fact, status, saw, ms }) => ({ id, fact, status, saw, ms })),
        },
        ctx.secrets,
      );
      out(`Report written to ${args.json}`);
    } catch (e) {
      out(`could not write the report to ${args.json}: ${errorMessage(e)}`);
      return 2;
    }
  }
  return exitCode;
}

process.exit(
  await main(process.argv.slice(2)).catch((e: unknown) => {
    out(`the live check itself crashed: ${errorMessage(e)}`);
    return 1;
  }),
);
