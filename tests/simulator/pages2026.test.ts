// The 2026 pages (the default layout) in real Chromium: sign-in by placeholder with a full navigation, the
// promo modal that takes the clicks, the cross-origin human check, and the one-composer creation page with
// its switches, remembered settings, cost in the Create button and concurrency modal. A missing Chromium
// fails this file; it is never skipped.
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page, type Response } from "playwright-core";
import { errMsg } from "../../src/simulator/codes.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, api, control, login, reset, TINY_PNG } from "./helpers.ts";

setDefaultTimeout(30_000);

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const WAIT_MS = 10_000;
/** Long enough for Playwright to find the target covered, short enough to keep the suite quick. */
const BLOCKED_CLICK_MS = 700;
const EMAIL = "ann@example.com";
const PASSWORD = "secret-1";
const PROMPT = "Describe the content you want to create";
const CHALLENGE_FRAME = 'iframe[title="Widget containing a Cloudflare security challenge"]';

let browser: Browser;
let sim: Simulator;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM_PATH), `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`).toBe(true);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, timeout: 30_000 });
  // No `ui` option: 2026 is the default. Videos take a minute, so whatever runs stays running during a test.
  sim = await startSimulator({ port: 0, generationMs: 60_000 });
});
afterAll(async () => {
  await browser?.close();
  await sim?.stop();
});
beforeEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await reset(sim);
  await addAccount(sim, { email: EMAIL, password: PASSWORD });
});

async function newPage(locale = "en-US"): Promise<Page> {
  const context = await browser.newContext({ locale, baseURL: sim.url });
  context.setDefaultTimeout(WAIT_MS);
  context.setDefaultNavigationTimeout(WAIT_MS);
  contexts.push(context);
  return context.newPage();
}

/** A page whose context already holds a live `_ai_token` (signed in through the API). */
async function signedInPage(locale = "en-US"): Promise<Page> {
  const page = await newPage(locale);
  const token = await login(sim, EMAIL, PASSWORD);
  await page.context().addCookies([{ name: "_ai_token", value: token, url: sim.url }]);
  return page;
}

function isApiCall(path: string) {
  return (r: Response) => r.request().method() === "POST" && new URL(r.url()).pathname === `/creative_platform${path}`;
}

/** Paths of the generation requests the page sends from now on. */
function watchSubmissions(page: Page): string[] {
  const sent: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path === "/creative_platform/video/t2v" || path === "/creative_platform/video/i2v") sent.push(path);
  });
  return sent;
}

async function closePromo(page: Page, closeName = "Close"): Promise<void> {
  const promo = page.getByRole("dialog");
  await promo.waitFor();
  await promo.getByRole("button", { name: closeName, exact: true }).click();
  await promo.waitFor({ state: "hidden" });
}

async function openCreation(page: Page): Promise<void> {
  await page.goto("/creation/video");
  await closePromo(page);
}

/** True when the topmost element at the centre of `selector`'s first match lies inside the modal wrap. */
async function coveredByModal(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const box = document.querySelector(sel)!.getBoundingClientRect();
    const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return top !== null && top.closest(".ant-modal-wrap") !== null;
  }, selector);
}

const createButton = (page: Page) => page.getByRole("button", { name: /^Create \d+$/ });
const visiblePrompt = (page: Page) => page.getByPlaceholder(PROMPT, { exact: true }).filter({ visible: true });
const imageSlotInput = (page: Page) => page.locator("div.ant-upload-drag").filter({ visible: true }).locator("input[type=file]");

describe("2026 sign-in", () => {
  test("finds its inputs by placeholder and label, without ids, and a button named exactly Login", async () => {
    const page = await newPage();
    await page.goto("/login");
    const user = page.getByPlaceholder("Email or Username", { exact: true });
    const pass = page.getByPlaceholder("Password", { exact: true });
    expect(await user.getAttribute("aria-label")).toBe("Email or Username");
    expect(await pass.getAttribute("type")).toBe("password");
    expect(await page.getByLabel("Password", { exact: true }).count()).toBe(1);
    expect(await page.locator("input[id], button[id]").count()).toBe(0);
    expect(await page.locator("#Username, #Password").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Login", exact: true }).count()).toBe(1);
  });

  test("covers the page with a promo modal that takes the clicks until its round close button is clicked, on every load", async () => {
    const page = await newPage();
    await page.goto("/login");
    const promo = page.getByRole("dialog");
    expect(await promo.getAttribute("aria-modal")).toBe("true");
    const titleId = await promo.getAttribute("aria-labelledby");
    expect(await page.locator(`[id="${titleId}"]`).textContent()).toBeTruthy();
    const loginButton = page.getByRole("button", { name: "Login", exact: true });
    expect(await coveredByModal(page, "form button[type=submit]")).toBe(true);
    await expect(loginButton.click({ timeout: BLOCKED_CLICK_MS })).rejects.toThrow(/Timeout/);
    await page.locator(".ant-modal-close").click();
    await promo.waitFor({ state: "hidden" });
    expect(await coveredByModal(page, "form button[type=submit]")).toBe(false);
    const answer = page.waitForResponse(isApiCall("/login"));
    await loginButton.click({ timeout: WAIT_MS });
    expect(((await (await answer).json()) as { ErrCode: number }).ErrCode).not.toBe(0);
    await page.reload();
    await promo.waitFor();
    await expect(loginButton.click({ timeout: BLOCKED_CLICK_MS })).rejects.toThrow(/Timeout/);
  });

  test("signs in with a full document navigation to /home, so a late read of the login answer finds no body", async () => {
    const page = await newPage();
    await page.goto("/login");
    await closePromo(page);
    await page.evaluate(() => Object.assign(window, { simMarker: "login page" }));
    const documents: string[] = [];
    page.on("request", (r) => {
      if (r.resourceType() === "document") documents.push(new URL(r.url()).pathname);
    });
    await page.getByPlaceholder("Email or Username").fill(EMAIL);
    await page.getByPlaceholder("Password").fill(PASSWORD);
    const answer = page.waitForResponse(isApiCall("/login"));
    await page.getByRole("button", { name: "Login", exact: true }).click();
    const res = await answer;
    await page.waitForURL("**/home");
    expect(documents).toContain("/home");
    expect(await page.evaluate(() => (window as unknown as { simMarker?: string }).simMarker)).toBeUndefined();
    await expect(res.body()).rejects.toThrow();
    const token = (await page.context().cookies()).find((c) => c.name === "_ai_token")?.value;
    expect(token).toBeTruthy();
    expect((await api(sim, "/user/credits", undefined, token)).ErrCode).toBe(0);
    await page.getByRole("dialog").waitFor();
  });

  test("shows a wrong password's message in .ant-message-notice, stays on /login, and removes it after about 3 s", async () => {
    const page = await newPage();
    await page.goto("/login");
    await closePromo(page);
    await page.getByPlaceholder("Email or Username").fill(EMAIL);
    await page.getByPlaceholder("Password").fill("wrong");
    await page.getByRole("button", { name: "Login", exact: true }).click();
    const notice = page.locator(".ant-message > .ant-message-notice");
    await notice.waitFor();
    const shown = Date.now();
    expect(await notice.textContent()).toBe(errMsg(500201));
    expect(new URL(page.url()).pathname).toBe("/login");
    expect((await page.context().cookies()).some((c) => c.name === "_ai_token")).toBe(false);
    await notice.waitFor({ state: "detached", timeout: 6000 });
    expect(Date.now() - shown).toBeGreaterThan(2000);
  });

  test("puts the human check in a cross-origin frame and holds the login until its box is ticked", async () => {
    await control(sim, "/human-check", { on: true });
    const page = await newPage();
    const logins: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/creative_platform/login") logins.push(r.method());
    });
    await page.goto("/login");
    await closePromo(page);
    const src = new URL((await page.locator(CHALLENGE_FRAME).getAttribute("src"))!);
    expect(src.hostname).toBe("localhost");
    expect(src.port).toBe(new URL(sim.url).port);
    expect(src.pathname).toBe("/__sim/challenge");
    const frame = page.frames().find((f) => f.url().startsWith(src.origin));
    expect(frame, "the challenge frame is loaded").toBeDefined();
    expect(new URL(frame!.url()).origin).not.toBe(new URL(page.url()).origin);
    expect(await page.getByRole("checkbox").count()).toBe(0);
    await page.getByPlaceholder("Email or Username").fill(EMAIL);
    await page.getByPlaceholder("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.getByText("Please verify you are human to continue.").waitFor();
    await Bun.sleep(700);
    expect(logins).toEqual([]);
    await page.frameLocator(CHALLENGE_FRAME).getByRole("checkbox", { name: "Verify you are human" }).check();
    await page.waitForURL("**/home");
    expect(logins).toEqual(["POST"]);
    expect((await control(sim, "/stats")).json.humanCheck).toEqual({ on: true, solved: true });
  });

  test("completes a pending login once the control API solves the check", async () => {
    await control(sim, "/human-check", { on: true });
    const page = await newPage();
    await page.goto("/login");
    await closePromo(page);
    await page.getByPlaceholder("Email or Username").fill(EMAIL);
    await page.getByPlaceholder("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.getByText("Please verify you are human to continue.").waitFor();
    await control(sim, "/solve-human-check", {});
    await page.waitForURL("**/home");
  });

  test("renders Russian labels for a browser with the ru-RU locale", async () => {
    const page = await newPage("ru-RU");
    await page.goto("/login");
    await closePromo(page, "Закрыть");
    await page.getByRole("button", { name: "Вход", exact: true }).waitFor();
    await page.getByPlaceholder("Эл. почта или имя пользователя").waitFor();
  });
});

describe("2026 creation page", () => {
  test("/create leads to /creation/video: one composer, a hidden prompt twin, several file inputs, no tabs, no ids", async () => {
    const page = await signedInPage();
    await page.goto("/create");
    expect(new URL(page.url()).pathname).toBe("/creation/video");
    await closePromo(page);
    const prompts = page.getByPlaceholder(PROMPT, { exact: true });
    expect(await prompts.count()).toBe(2);
    expect(await visiblePrompt(page).count()).toBe(1);
    expect(await prompts.first().isVisible()).toBe(false);
    expect(await page.locator("input[type=file]").count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator("input[type=file]").first().evaluate((el) => el.closest(".image-slot") === null)).toBe(true);
    const slots = page.locator("div.ant-upload-drag");
    expect(await slots.count()).toBe(2);
    expect(await slots.filter({ visible: true }).count()).toBe(1);
    const input = imageSlotInput(page);
    expect(await input.count()).toBe(1);
    expect(await input.getAttribute("accept")).toBe("image/png,image/jpeg,image/webp");
    expect(await input.isVisible()).toBe(false);
    expect(await page.getByRole("tab").count()).toBe(0);
    expect(await page.locator("input[id], textarea[id], select[id], button[id]").count()).toBe(0);
  });

  test("starts with Audio and Multi-Shot on, v5.5 at 540p for 5 s, and a Create button named with its cost", async () => {
    const page = await signedInPage();
    await openCreation(page);
    const audio = page.getByRole("switch", { name: "Audio", exact: true });
    const multiShot = page.getByRole("switch", { name: "Multi-Shot", exact: true });
    expect([await audio.getAttribute("aria-checked"), await multiShot.getAttribute("aria-checked")]).toEqual(["true", "true"]);
    expect(await page.getByLabel("Model", { exact: true }).inputValue()).toBe("v5.5");
    expect(await page.getByLabel("Quality", { exact: true }).inputValue()).toBe("540p");
    expect(await page.getByLabel("Duration", { exact: true }).inputValue()).toBe("5");
    const create = page.getByRole("button", { name: "Create 50", exact: true });
    expect(await create.isDisabled()).toBe(true);
    await visiblePrompt(page).fill("a fox");
    expect(await create.isEnabled()).toBe(true);
    await audio.click();
    expect(await audio.getAttribute("aria-checked")).toBe("false");
    await page.getByRole("button", { name: "Create 40", exact: true }).waitFor();
    await multiShot.click();
    await page.getByRole("button", { name: "Create 30", exact: true }).waitFor();
    await visiblePrompt(page).fill("   ");
    expect(await createButton(page).isDisabled()).toBe(true);
  });

  test("blocks Create until the promo is closed", async () => {
    const page = await signedInPage();
    const sent = watchSubmissions(page);
    await page.goto("/creation/video");
    await visiblePrompt(page).fill("a fox under the modal");
    expect(await coveredByModal(page, "[data-sim=create]")).toBe(true);
    await expect(createButton(page).click({ timeout: BLOCKED_CLICK_MS })).rejects.toThrow(/Timeout/);
    expect(sent).toEqual([]);
    await closePromo(page);
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await createButton(page).click({ timeout: WAIT_MS });
    expect(((await (await answer).json()) as { ErrCode: number }).ErrCode).toBe(0);
  });

  test("remembers model, quality and duration across loads, but turns the switches back on", async () => {
    const page = await signedInPage();
    await openCreation(page);
    await page.getByLabel("Model", { exact: true }).selectOption("v6");
    await page.getByLabel("Quality", { exact: true }).selectOption("1080p");
    await page.getByLabel("Duration", { exact: true }).selectOption("10");
    await page.getByRole("switch", { name: "Audio" }).click();
    await page.reload();
    await closePromo(page);
    expect(await page.getByLabel("Model", { exact: true }).inputValue()).toBe("v6");
    expect(await page.getByLabel("Quality", { exact: true }).inputValue()).toBe("1080p");
    expect(await page.getByLabel("Duration", { exact: true }).inputValue()).toBe("10");
    expect(await page.getByRole("switch", { name: "Audio" }).getAttribute("aria-checked")).toBe("true");
    // 16 credits a second at 1080p for 10 s, plus 10 each for Audio and Multi-Shot.
    await page.getByRole("button", { name: "Create 180", exact: true }).waitFor();
  });

  test("Create posts video/t2v with the composer's settings and cost, recorded as a UI click", async () => {
    const page = await signedInPage();
    await openCreation(page);
    await visiblePrompt(page).fill("a red fox in the snow");
    await page.getByRole("switch", { name: "Multi-Shot" }).click();
    await page.getByLabel("Quality", { exact: true }).selectOption("720p");
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await page.getByRole("button", { name: "Create 50", exact: true }).click();
    const res = await answer;
    const body = (await res.json()) as { ErrCode: number; Resp: { video_id: number } };
    expect(body.ErrCode).toBe(0);
    const sent = res.request().postDataJSON();
    expect(sent).toEqual({
      prompt: "a red fox in the snow",
      model: "v5.5",
      duration: 5,
      quality: "720p",
      aspect_ratio: "16:9",
      seed: expect.any(Number),
      audio: 1,
      multi_shot: 0,
      create_count: 1,
      credit_change: 50,
    });
    expect(res.request().headers()["x-sim-origin"]).toBe("ui");
    await page.getByText(String(body.Resp.video_id)).waitFor();
    const [record] = (await control(sim, "/stats")).json.prompts;
    expect(record).toMatchObject({
      videoId: body.Resp.video_id,
      origin: "ui",
      credits: 50,
      settings: { model: "v5.5", quality: "720p", duration: 5, aspectRatio: "16:9", audio: true, multiShot: false, seed: sent.seed, negativePrompt: null },
    });
  });

  test("uploads the image set on the visible slot, previews it, creates an image video, and Remove image goes back to text", async () => {
    const page = await signedInPage();
    await openCreation(page);
    const uploaded = page.waitForResponse(isApiCall("/media/batch_upload_media"));
    await imageSlotInput(page).setInputFiles({ name: "cat.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) });
    const media = ((await (await uploaded).json()) as { Resp: { result: { id: number; path: string; url: string }[] } }).Resp.result[0]!;
    const preview = page.getByRole("img", { name: "Uploaded image" });
    await preview.waitFor();
    expect(await preview.getAttribute("src")).toBe(media.url);
    await visiblePrompt(page).fill("the cat starts dancing");
    const answer = page.waitForResponse(isApiCall("/video/i2v"));
    await createButton(page).click();
    const res = await answer;
    expect(((await res.json()) as { ErrCode: number }).ErrCode).toBe(0);
    const sent = res.request().postDataJSON();
    expect(sent).toMatchObject({ prompt: "the cat starts dancing", img_id: media.id, customer_img_path: media.path, customer_img_url: media.url, audio: 1, multi_shot: 1 });
    expect(sent).not.toHaveProperty("aspect_ratio");
    await page.getByRole("button", { name: "Remove image", exact: true }).click();
    await preview.waitFor({ state: "hidden" });
    const text = page.waitForResponse(isApiCall("/video/t2v"));
    await createButton(page).click();
    expect((await text).request().postDataJSON()).toMatchObject({ aspect_ratio: "16:9" });
    expect((await control(sim, "/stats")).json.submissions).toEqual({ t2v: 1, i2v: 1 });
  });

  test("at the plan's limit shows 'Maximum concurrent generations reached' and sends no request", async () => {
    await addAccount(sim, { email: EMAIL, password: PASSWORD, concurrency: 1 });
    const manual = await control(sim, "/start", { email: EMAIL, prompt: "started by hand" });
    expect(manual.status).toBe(201);
    const page = await signedInPage();
    const sent = watchSubmissions(page);
    await openCreation(page);
    await visiblePrompt(page).fill("one more fox");
    await createButton(page).click();
    const limit = page.getByRole("dialog").filter({ hasText: "Maximum concurrent generations reached" });
    await limit.waitFor();
    expect(sent).toEqual([]);
    const stats = (await control(sim, "/stats")).json;
    expect(stats.prompts.map((p: { origin: string }) => p.origin)).toEqual(["manual"]);
    await limit.getByRole("button", { name: "OK", exact: true }).click();
    await limit.waitFor({ state: "hidden" });
    expect((await control(sim, "/forget", { video_id: manual.json.video_id })).status).toBe(200);
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await createButton(page).click();
    expect(((await (await answer).json()) as { ErrCode: number }).ErrCode).toBe(0);
    expect(sent).toEqual(["/creative_platform/video/t2v"]);
  });

  test("shows a refused creation's ErrMsg in .ant-message-notice", async () => {
    const page = await signedInPage();
    await openCreation(page);
    await visiblePrompt(page).fill("[sim:blocked] something");
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await createButton(page).click();
    const body = (await (await answer).json()) as { ErrCode: number; ErrMsg: string };
    expect(body.ErrCode).toBe(500063);
    const notice = page.locator(".ant-message > .ant-message-notice");
    await notice.waitFor();
    expect(await notice.textContent()).toBe(body.ErrMsg);
    expect(await page.getByRole("alert").count()).toBe(0);
  });

  test("shows a content-policy refusal of the image and keeps the slot empty", async () => {
    await control(sim, "/faults", { uploadModeration: 1 });
    const page = await signedInPage();
    await openCreation(page);
    await imageSlotInput(page).setInputFiles({ name: "cat.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) });
    const notice = page.locator(".ant-message-notice");
    await notice.waitFor();
    expect(await notice.textContent()).toContain("content policy");
    expect(await page.getByRole("img", { name: "Uploaded image" }).isVisible()).toBe(false);
  });

  test("takes renamed labels from the control API", async () => {
    await control(sim, "/labels", { labels: { create: "Generate", audio: "Sound" } });
    const page = await signedInPage();
    await openCreation(page);
    await page.getByRole("button", { name: "Generate 50", exact: true }).waitFor();
    expect(await page.getByRole("button", { name: /^Create/ }).count()).toBe(0);
    expect(await page.getByRole("switch", { name: "Sound", exact: true }).getAttribute("aria-checked")).toBe("true");
  });

  test("records a fetch made inside the page as 'page' and Playwright's request API as 'external'", async () => {
    const page = await signedInPage();
    await openCreation(page);
    const inPage = await page.evaluate(async () => {
      const token = decodeURIComponent(document.cookie.split("; ").find((c) => c.startsWith("_ai_token="))!.split("=")[1]!);
      const res = await fetch("/creative_platform/video/t2v", {
        method: "POST",
        headers: { "Content-Type": "application/json", Token: token, "X-Platform": "Web", "Ai-Trace-Id": crypto.randomUUID() },
        body: JSON.stringify({ prompt: "from inside", model: "v5", duration: 5, quality: "360p", aspect_ratio: "16:9", audio: 0, multi_shot: 0 }),
      });
      return (await res.json()) as { ErrCode: number };
    });
    expect(inPage.ErrCode).toBe(0);
    const token = (await page.context().cookies()).find((c) => c.name === "_ai_token")!.value;
    const outside = await page.context().request.post("/creative_platform/video/t2v", {
      headers: { Token: token },
      data: { prompt: "from outside", model: "v5", duration: 5, quality: "360p", aspect_ratio: "16:9" },
    });
    expect(((await outside.json()) as { ErrCode: number }).ErrCode).toBe(0);
    const prompts = (await control(sim, "/stats")).json.prompts as { prompt: string; origin: string; credits: number }[];
    expect(prompts.map((p) => [p.prompt, p.origin, p.credits])).toEqual([
      ["from inside", "page", 20],
      ["from outside", "external", 20],
    ]);
  });

  test("renders the composer in Russian for a browser with the ru-RU locale", async () => {
    const page = await signedInPage("ru-RU");
    await page.goto("/creation/video");
    await closePromo(page, "Закрыть");
    await page.getByRole("button", { name: "Создать 50", exact: true }).waitFor();
    expect(await page.getByPlaceholder("Опишите контент, который хотите создать").count()).toBe(2);
    await page.getByRole("switch", { name: "Звук", exact: true }).waitFor();
  });
});
