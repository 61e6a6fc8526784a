// The simulator's 2025 pages in real Chromium: language, sign-in, creation through the page's own script,
// and the human check. A missing Chromium fails this file; it is never skipped. (pages2026.test.ts: 2026.)
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page, type Response } from "playwright-core";
import { DICTIONARIES } from "../../src/simulator/i18n.ts";
import { startSimulator, type Simulator } from "../../src/simulator/server.ts";
import { addAccount, control, reset, TINY_PNG } from "./helpers.ts";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"];
const WAIT_MS = 10_000;
const EMAIL = "ann@example.com";
const PASSWORD = "secret-1";

let browser: Browser;
let sim: Simulator;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  expect(existsSync(CHROMIUM_PATH), `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`).toBe(true);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS, timeout: 30_000 });
  sim = await startSimulator({ port: 0, generationMs: 300, ui: "2025" });
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

function isApiCall(path: string) {
  return (r: Response) => r.request().method() === "POST" && new URL(r.url()).pathname === `/creative_platform${path}`;
}

/** Fill the form and click the login button (labelled in the page's language). */
async function submitLogin(page: Page, password = PASSWORD, button = "Login"): Promise<Response> {
  await page.locator("#Username").fill(EMAIL);
  await page.locator("#Password").fill(password);
  const answer = page.waitForResponse(isApiCall("/login"));
  await page.getByRole("button", { name: button, exact: true }).click();
  return answer;
}

async function signIn(page: Page, button = "Login"): Promise<void> {
  await page.goto("/login");
  const res = await submitLogin(page, PASSWORD, button);
  expect(((await res.json()) as { ErrCode: number }).ErrCode).toBe(0);
  await page.waitForURL("**/home");
}

async function visibleText(page: Page): Promise<string> {
  return page.locator("body").innerText();
}

describe("language", () => {
  test("renders English labels for an English browser", async () => {
    const page = await newPage("en-US");
    await page.goto("/onboard");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.waitForURL("**/login");
    expect(await page.locator("#Password").getAttribute("type")).toBe("password");
    await page.locator("#Username").waitFor();
    await signIn(page);
    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.waitForURL("**/create");
    await page.getByRole("tab", { name: "Text to Video", exact: true }).waitFor();
    await page.getByRole("tab", { name: "Image to Video", exact: true }).waitFor();
    await page.getByPlaceholder("Describe the content you want to create", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Create", exact: true }).waitFor();
  });

  test("renders every label in Russian for a browser with the ru-RU locale", async () => {
    const page = await newPage("ru-RU");
    const english = Object.values(DICTIONARIES.en);
    const noEnglish = async () => {
      const text = await visibleText(page);
      expect(english.filter((label) => text.includes(label))).toEqual([]);
    };
    await page.goto("/onboard");
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    await page.getByRole("button", { name: "Вход", exact: true }).waitFor();
    await noEnglish();
    await page.goto("/login");
    expect(await page.getByRole("button", { name: "Login" }).count()).toBe(0);
    await noEnglish();
    await signIn(page, "Вход");
    await noEnglish();
    await page.getByRole("link", { name: "Создать", exact: true }).click();
    await page.waitForURL("**/create");
    await page.getByRole("tab", { name: "Текст в видео", exact: true }).waitFor();
    await page.getByPlaceholder("Опишите контент, который хотите создать", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Создать", exact: true }).waitFor();
    await page.getByRole("tab", { name: "Изображение в видео", exact: true }).click();
    await page.getByLabel("Загрузить изображение").waitFor();
    await noEnglish();
  });

  test("follows navigator.language over the Accept-Language header", async () => {
    const context = await browser.newContext({ locale: "ru-RU", baseURL: sim.url, extraHTTPHeaders: { "Accept-Language": "en-US,en;q=0.9" } });
    context.setDefaultTimeout(WAIT_MS);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto("/login");
    await page.getByRole("button", { name: "Вход", exact: true }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
  });

  test("shows the Russian human check label", async () => {
    await control(sim, "/human-check", { on: true });
    const page = await newPage("ru-RU");
    await page.goto("/login");
    await page.getByRole("checkbox", { name: "Подтвердите, что вы человек" }).waitFor();
  });
});

describe("sign-in", () => {
  test("goes from /onboard through /login to /home and keeps the token in _ai_token", async () => {
    const page = await newPage();
    await page.goto("/onboard");
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.waitForURL("**/login");
    const res = await submitLogin(page);
    const body = (await res.json()) as { ErrCode: number; Resp: { Result: { Token: string } } };
    expect(body.ErrCode).toBe(0);
    const sent = res.request();
    expect(sent.postDataJSON()).toEqual({ Username: EMAIL, Password: PASSWORD });
    expect(sent.headers()["x-platform"]).toBe("Web");
    expect(sent.headers()["ai-trace-id"]).toMatch(/^[0-9a-f-]{36}$/);
    await page.waitForURL("**/home");
    const cookie = (await page.context().cookies()).find((c) => c.name === "_ai_token");
    expect(cookie?.value).toBe(body.Resp.Result.Token);
    expect(cookie?.path).toBe("/");
    await page.getByRole("link", { name: "Create", exact: true }).click();
    await page.waitForURL("**/create");
  });

  test("shows a wrong password's message in an alert and stays on /login", async () => {
    const page = await newPage();
    await page.goto("/login");
    const res = await submitLogin(page, "wrong");
    const body = (await res.json()) as { ErrCode: number; ErrMsg: string };
    expect(body.ErrCode).toBe(500201);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(body.ErrMsg);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect((await page.context().cookies()).some((c) => c.name === "_ai_token")).toBe(false);
  });

  test("redirects a signed-out visitor of /home and /create to /login", async () => {
    const page = await newPage();
    for (const path of ["/home", "/create", "/"]) {
      await page.goto(path);
      expect(new URL(page.url()).pathname, path).toBe("/login");
    }
  });

  test("sends a replaced session back to /login", async () => {
    const page = await newPage();
    await signIn(page);
    await control(sim, "/kick", { email: EMAIL });
    await page.goto("/create");
    expect(new URL(page.url()).pathname).toBe("/login");
  });
});

describe("creation", () => {
  test("creates a text video and the t2v answer carries Pixverse's id", async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto("/create");
    await page.getByPlaceholder("Describe the content you want to create").fill("a red fox in the snow");
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const res = await answer;
    const body = (await res.json()) as { ErrCode: number; Resp: { video_id: number } };
    expect(body.ErrCode).toBe(0);
    const sent = res.request().postDataJSON();
    expect(sent).toMatchObject({ prompt: "a red fox in the snow", create_count: 1, aspect_ratio: "16:9" });
    expect(Object.keys(sent)).toEqual(expect.arrayContaining(["model", "duration", "quality"]));
    const token = (await page.context().cookies()).find((c) => c.name === "_ai_token")?.value;
    expect(res.request().headers().token).toBe(token);
    await page.getByText(String(body.Resp.video_id)).waitFor();
    const stats = (await control(sim, "/stats")).json;
    expect(stats.prompts).toEqual([expect.objectContaining({ prompt: "a red fox in the snow", kind: "t2v", videoId: body.Resp.video_id })]);
  });

  test("uploads the image set on the file input, then creates an image video", async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto("/create");
    await page.getByRole("tab", { name: "Image to Video" }).click();
    const create = page.getByRole("button", { name: "Create", exact: true });
    expect(await create.isDisabled()).toBe(true);
    const uploaded = page.waitForResponse(isApiCall("/media/batch_upload_media"));
    await page.getByLabel("Upload image").setInputFiles({ name: "cat.png", mimeType: "image/png", buffer: Buffer.from(TINY_PNG) });
    const media = (await (await uploaded).json()) as { ErrCode: number; Resp: { result: { path: string; url: string }[] } };
    expect(media.ErrCode).toBe(0);
    await page.getByText("Image uploaded").waitFor();
    await page.getByPlaceholder("Describe the content you want to create").fill("the cat starts dancing");
    const answer = page.waitForResponse(isApiCall("/video/i2v"));
    await create.click();
    const res = await answer;
    const body = (await res.json()) as { ErrCode: number; Resp: { video_id: number } };
    expect(body.ErrCode).toBe(0);
    const sent = res.request().postDataJSON();
    expect(sent.customer_img_path).toMatch(/^upload\/[0-9a-f-]{36}\.png$/);
    expect(sent).toMatchObject({ prompt: "the cat starts dancing", create_count: 1, customer_img_path: media.Resp.result[0]?.path, customer_img_url: media.Resp.result[0]?.url });
    const stats = (await control(sim, "/stats")).json;
    expect(stats.submissions).toEqual({ t2v: 0, i2v: 1 });
    expect(stats.prompts[0].videoId).toBe(body.Resp.video_id);
  });

  test("shows a refused creation's message in an alert", async () => {
    const page = await newPage();
    await signIn(page);
    await page.goto("/create");
    await page.getByPlaceholder("Describe the content you want to create").fill("[sim:blocked] something");
    const answer = page.waitForResponse(isApiCall("/video/t2v"));
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const body = (await (await answer).json()) as { ErrCode: number; ErrMsg: string };
    expect(body.ErrCode).toBe(500063);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toBe(body.ErrMsg);
  });
});

describe("human check", () => {
  test("holds a login until the control API solves the check", async () => {
    await control(sim, "/human-check", { on: true });
    const page = await newPage();
    const logins: string[] = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/creative_platform/login") logins.push(r.method());
    });
    await page.goto("/login");
    const box = page.getByRole("checkbox", { name: "Verify you are human" });
    expect(await box.isChecked()).toBe(false);
    await page.locator("#Username").fill(EMAIL);
    await page.locator("#Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.getByText("Please verify you are human to continue.").waitFor();
    expect(logins).toEqual([]);
    const answer = page.waitForResponse(isApiCall("/login"));
    await control(sim, "/solve-human-check", {});
    expect(((await (await answer).json()) as { ErrCode: number }).ErrCode).toBe(0);
    await page.waitForURL("**/home");
    expect(logins).toEqual(["POST"]);
  });

  test("lets a person's tick complete a pending login", async () => {
    await control(sim, "/human-check", { on: true });
    const page = await newPage();
    await page.goto("/login");
    await page.locator("#Username").fill(EMAIL);
    await page.locator("#Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Login", exact: true }).click();
    await page.getByText("Please verify you are human to continue.").waitFor();
    const answer = page.waitForResponse(isApiCall("/login"));
    await page.getByRole("checkbox", { name: "Verify you are human" }).check();
    expect(((await (await answer).json()) as { ErrCode: number }).ErrCode).toBe(0);
    await page.waitForURL("**/home");
    expect((await control(sim, "/stats")).json.humanCheck).toEqual({ on: true, solved: true });
  });
});
