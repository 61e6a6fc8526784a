// Page objects for Pixverse's login and creation pages. Locators are the kind a changed page still
// matches (placeholder, label, role, a name that starts with `Create`, the visible one of several), ids and
// CSS classes only where the page gives nothing better; every fact they use is in pixverse.ts.
import type { Locator, Page, Request, Response } from "playwright-core";
import { isVisibleWithin } from "./browser.ts";
import {
  API_PATHS,
  CHALLENGE_FRAME_URL,
  LABELS,
  LOGIN_PATH,
  parseEnvelope,
  pathIs,
  SELECTORS,
  type Envelope,
} from "./pixverse.ts";
import { errorMessage } from "./waits.ts";

export type VideoKind = "t2v" | "i2v";

export interface ImageFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export function isPost(path: string) {
  return (r: Response | Request) => {
    const request = "request" in r ? r.request() : r;
    return request.method() === "POST" && pathIs(r.url(), path);
  };
}

export async function openPage(page: Page, url: string, timeoutMs: number): Promise<void> {
  const response = await page.goto(url, { timeout: timeoutMs });
  if (response && response.status() >= 400) throw new Error(`${new URL(url).pathname} answered HTTP ${response.status()}`);
}

export async function envelopeOf(response: Response): Promise<Envelope> {
  return parseEnvelope(await response.text());
}

/**
 * Close the modals that cover the page (promos, announcements) with their round close button. A modal
 * that says `keep` (e.g. the concurrency limit we still have to read) stays. Returns how many closed.
 */
export async function closeModals(page: Page, timeoutMs: number, keep?: string): Promise<number> {
  const closers = page
    .getByRole("dialog")
    .filter(keep === undefined ? { visible: true } : { visible: true, hasNotText: keep })
    .locator(`${SELECTORS.modalClose}, button[aria-label="Close" i]`)
    .filter({ visible: true });
  let closed = 0;
  // A few rounds: closing one announcement may reveal the next.
  for (let round = 0; round < 5; round++) {
    const button = closers.first();
    if ((await closers.count()) === 0) break;
    await button.click({ timeout: timeoutMs });
    await button.waitFor({ state: "hidden", timeout: timeoutMs }).catch(() => undefined);
    closed++;
  }
  return closed;
}

// ── The login page ─────────────────────────────────────────────────────────────────────────────────────

export class LoginPage {
  constructor(
    readonly page: Page,
    private readonly webUrl: string,
  ) {}

  // Getters
  /** Signing in: by placeholder or label (2026), the id `#Username` as a fallback (2025). */
  get username(): Locator {
    const p = this.page;
    return p.getByPlaceholder(LABELS.username, { exact: true }).or(p.getByLabel(LABELS.username)).or(p.locator(SELECTORS.usernameId)).filter({ visible: true }).first();
  }
  get password(): Locator {
    const p = this.page;
    return p
      .getByPlaceholder(LABELS.password, { exact: true })
      .or(p.getByLabel(LABELS.password, { exact: true }))
      .or(p.locator(SELECTORS.passwordId))
      .filter({ visible: true })
      .first();
  }
  get loginButton(): Locator {
    return this.page.getByRole("button", { name: LABELS.login, exact: true }).filter({ visible: true }).first();
  }
  /** A human check: a checkbox on the page, or a challenge (Turnstile) in a cross-origin iframe. */
  get humanCheck(): Locator {
    return this.page.getByRole("checkbox", { name: LABELS.humanCheck }).or(this.page.locator(SELECTORS.challengeFrame));
  }
  /** Ant Design's message: where a refused login says why. */
  get notice(): Locator {
    return this.page.locator(`${SELECTORS.messageNotice}, ${SELECTORS.alert}`).filter({ visible: true }).first();
  }

  // Actions
  async open(timeoutMs: number): Promise<void> {
    await openPage(this.page, new URL(LOGIN_PATH, this.webUrl).href, timeoutMs);
  }

  async closeModals(timeoutMs: number): Promise<number> {
    return closeModals(this.page, timeoutMs);
  }

  async fill(email: string, password: string, timeoutMs: number): Promise<void> {
    await this.username.fill(email, { timeout: timeoutMs });
    await this.password.fill(password, { timeout: timeoutMs });
  }

  /**
   * Click `Login` with the wait for the page's own login answer armed first. The answer may take as long
   * as `answerTimeoutMs` (a person may have to pass a human check first). When the page navigates away
   * before the answer's body is read, Chromium discards it: the answer is then `body_discarded`.
   */
  async clickLogin(clickTimeoutMs: number, answerTimeoutMs: number): Promise<{ answer: Promise<Envelope | "body_discarded"> }> {
    const answer = this.page.waitForResponse(isPost(API_PATHS.login), { timeout: answerTimeoutMs }).then(async (response) => {
      try {
        return await envelopeOf(response);
      } catch (err) {
        if (isDiscardedBody(err)) return "body_discarded" as const;
        throw err;
      }
    });
    answer.catch(() => undefined);
    await closeModals(this.page, clickTimeoutMs);
    await this.loginButton.click({ timeout: clickTimeoutMs });
    return { answer };
  }

  // Queries
  isShown(): boolean {
    return pathIs(this.page.url(), LOGIN_PATH);
  }
  /** Is there a human check in a frame (also one a selector cannot see)? */
  hasChallengeFrame(): boolean {
    return this.page.frames().some((f) => f !== this.page.mainFrame() && CHALLENGE_FRAME_URL.test(f.url()));
  }
  async humanCheckShown(timeoutMs: number): Promise<boolean> {
    return this.hasChallengeFrame() || (await isVisibleWithin(this.humanCheck, timeoutMs));
  }
}

/** Chromium discards a response body once its page has navigated away ("No resource with given identifier"). */
export function isDiscardedBody(err: unknown): boolean {
  return /No resource with given identifier|No data found for resource|Target page, context or browser has been closed|frame was detached/i.test(
    errorMessage(err),
  );
}

// ── The creation page ──────────────────────────────────────────────────────────────────────────────────

/** What clicking `Create` led to. */
export type CreateOutcome =
  | { kind: "answer"; envelope: Envelope }
  /** The page's concurrency modal, and no request left the page. */
  | { kind: "limit" }
  /** The page showed an error message of its own, and no request left the page. */
  | { kind: "refused"; message: string }
  /** No answer was read; `sent` says whether the page's request had left. */
  | { kind: "no_answer"; sent: boolean; message: string };

export class CreationPage {
  constructor(
    readonly page: Page,
    private readonly webUrl: string,
    private readonly path: string,
  ) {}

  // Getters
  /** The visible prompt box: the page may hold a hidden second one with the same placeholder. */
  get prompt(): Locator {
    return this.page.getByPlaceholder(LABELS.promptPlaceholder, { exact: true }).filter({ visible: true }).first();
  }
  /** The visible image slot (Ant Design's drag area); the page holds several file inputs. */
  get uploadArea(): Locator {
    return this.page.locator(SELECTORS.uploadArea).filter({ visible: true }).first();
  }
  /** A button that removes an image left on the composer. */
  get removeImageButton(): Locator {
    return this.page.getByRole("button", { name: /^(remove|delete)( image| file)?$/i }).filter({ visible: true }).first();
  }
  /** 2025 layout only: the mode tabs. */
  tab(kind: VideoKind): Locator {
    return this.page.getByRole("tab", { name: kind === "t2v" ? LABELS.textTab : LABELS.imageTab, exact: true });
  }
  switch(label: string): Locator {
    return this.page.getByRole("switch", { name: label, exact: true }).filter({ visible: true }).first();
  }
  /** The visible `Create` button; its name goes on with the credit cost (`Create 20`). */
  get createButton(): Locator {
    return this.page.getByRole("button", { name: new RegExp(`^${LABELS.create}\\b`) }).filter({ visible: true }).first();
  }
  get notice(): Locator {
    return this.page.locator(`${SELECTORS.messageNotice}, ${SELECTORS.alert}`).filter({ visible: true }).first();
  }
  get concurrencyModal(): Locator {
    return this.page.getByText(LABELS.concurrencyLimit).filter({ visible: true }).first();
  }

  // Actions
  async open(timeoutMs: number): Promise<void> {
    await openPage(this.page, new URL(this.path, this.webUrl).href, timeoutMs);
  }

  /** Close every modal, a concurrency notice left from an earlier attempt included. */
  async closeModals(timeoutMs: number): Promise<number> {
    return closeModals(this.page, timeoutMs);
  }

  /** 2025 layout: choose the mode's tab; the 2026 page has none (an image present means image mode). */
  async chooseModeIfTabbed(kind: VideoKind, timeoutMs: number): Promise<void> {
    const tab = this.tab(kind);
    if ((await tab.count()) === 0) return;
    if ((await tab.getAttribute("aria-selected", { timeout: timeoutMs })) !== "true") await tab.click({ timeout: timeoutMs });
  }

  /** Take any image left from an earlier video off the composer, so that the page makes a text video. */
  async removeImage(timeoutMs: number): Promise<boolean> {
    if ((await this.removeImageButton.count()) === 0) return false;
    await this.removeImageButton.click({ timeout: timeoutMs });
    await this.removeImageButton.waitFor({ state: "hidden", timeout: timeoutMs });
    return true;
  }

  async typePrompt(prompt: string, timeoutMs: number): Promise<void> {
    await this.prompt.fill(prompt, { timeout: timeoutMs });
  }

  /** Set a switch (`Audio`, `Multi-Shot`) to `on`. `absent` when the page has no such switch. */
  async setSwitch(label: string, on: boolean, timeoutMs: number): Promise<"absent" | "unchanged" | "switched"> {
    const control = this.switch(label);
    if ((await control.count()) === 0) return "absent";
    const isOn = async () => (await control.getAttribute("aria-checked", { timeout: timeoutMs })) === "true";
    if ((await isOn()) === on) return "unchanged";
    await control.click({ timeout: timeoutMs });
    if ((await isOn()) !== on) throw new Error(`the ${label} switch did not turn ${on ? "on" : "off"}`);
    return "switched";
  }

  /**
   * The file input of the visible image slot; without one (the 2025 layout's image tab, a changed page), the
   * first input that takes images: the page holds several (the 2026 page's first one takes a video).
   */
  async imageInput(timeoutMs: number): Promise<Locator> {
    if (await isVisibleWithin(this.uploadArea, Math.min(timeoutMs, 2_000))) return this.uploadArea.locator('input[type="file"]').first();
    await this.chooseModeIfTabbed("i2v", timeoutMs);
    const forImages = this.page.locator('input[type="file"][accept*="image" i]');
    return (await forImages.count()) > 0 ? forImages.first() : this.page.locator('input[type="file"]').first();
  }

  /**
   * Set the image on the page's input; the page uploads it itself. Resolves with `batch_upload_media`'s
   * answer; throws at once if the page shows an error message first (an earlier upload step failed).
   */
  async setImage(file: ImageFile, timeoutMs: number): Promise<Envelope> {
    const input = await this.imageInput(timeoutMs);
    const noticeAlreadyShown = await this.notice.isVisible();
    const answer = this.page.waitForResponse(isPost(API_PATHS.uploadMedia), { timeout: timeoutMs });
    answer.catch(() => undefined);
    await input.setInputFiles(file, { timeout: timeoutMs });
    const refused = noticeAlreadyShown ? new Promise<never>(() => undefined) : this.notice.waitFor({ state: "visible", timeout: timeoutMs });
    refused.catch(() => undefined);
    const first = await Promise.race([answer, refused.then(() => null)]);
    if (first === null) throw new Error(`the page refused the upload: ${(await this.notice.textContent()) ?? "(no message)"}`);
    return envelopeOf(first);
  }

  /** Wait until `Create` could be clicked (enabled, visible) without clicking it. */
  async waitUntilCreatable(timeoutMs: number): Promise<void> {
    if (await this.createButton.isEnabled({ timeout: timeoutMs })) return;
    await this.createButton.click({ trial: true, timeout: timeoutMs });
  }

  /**
   * Click `Create` with the waits for the page's `video/t2v|i2v` answer and for its concurrency modal armed
   * first. From the click on, the generation may exist at Pixverse, unless the page showed the modal and
   * sent nothing.
   */
  async clickCreate(kind: VideoKind, clickTimeoutMs: number, answerTimeoutMs: number): Promise<CreateOutcome> {
    const path = kind === "t2v" ? API_PATHS.t2v : API_PATHS.i2v;
    let sent = false;
    const onRequest = (request: Request) => {
      if (isPost(path)(request)) sent = true;
    };
    this.page.on("request", onRequest);
    try {
      const answer = this.page.waitForResponse(isPost(path), { timeout: answerTimeoutMs }).then(
        async (response): Promise<CreateOutcome> => ({ kind: "answer", envelope: await envelopeOf(response) }),
        (err: unknown): CreateOutcome => ({ kind: "no_answer", sent, message: errorMessage(err) }),
      );
      const never = () => new Promise<CreateOutcome>(() => undefined);
      const limit = this.concurrencyModal.waitFor({ state: "visible", timeout: answerTimeoutMs }).then((): CreateOutcome => ({ kind: "limit" }), never);
      // Only a message that appears after the click speaks of it.
      const refused = (await this.notice.isVisible())
        ? never()
        : this.notice.waitFor({ state: "visible", timeout: answerTimeoutMs }).then(
            async (): Promise<CreateOutcome> => ({ kind: "refused", message: (await this.notice.textContent().catch(() => null)) ?? "" }),
            never,
          );
      try {
        await this.createButton.click({ timeout: clickTimeoutMs });
      } catch (err) {
        // A click that never happened sent nothing; one that did is judged by its request below.
        if (!sent) throw err;
      }
      const first = await Promise.race([answer, limit, refused]);
      // Once the page's request has left, only Pixverse's answer tells what happened.
      if ((first.kind === "limit" || first.kind === "refused") && sent) return answer;
      if (first.kind === "no_answer") return { ...first, sent };
      return first;
    } finally {
      this.page.off("request", onRequest);
    }
  }

  // Queries
  isShown(): boolean {
    return pathIs(this.page.url(), this.path);
  }
  redirectedToLogin(): boolean {
    return pathIs(this.page.url(), LOGIN_PATH);
  }
  async hasImage(): Promise<boolean> {
    return (await this.removeImageButton.count()) > 0;
  }
}
