// Submitting one generation for an account, on its work page (the creation page, one at a time), in one of
// two ways: `page-api` (default) posts `video/t2v|i2v` from inside the signed-in page with an explicit body,
// as the web app itself does, so what a video costs never depends on what the page remembers; `ui` types
// the prompt and clicks `Create` as a person does, with our settings laid over the body the page composes.
// Either way an image goes up through the page's own image input (the page knows the storage's signing),
// and Pixverse's id is read from its answer the moment it arrives.
import type { Page, Route } from "playwright-core";
import type { AccountSubmitResult } from "../domain/generator.ts";
import type { GenerationSettings } from "../domain/settings.ts";
import type { Logger } from "../log.ts";
import { postFromPage } from "./api.ts";
import { LanguageError, verifyEnglish } from "./browser.ts";
import { CreationPage, type CreateOutcome, type ImageFile, type VideoKind } from "./pages.ts";
import {
  API_PATHS,
  createdVideoId,
  expectedCredits,
  generationBody,
  isKnownSubmitCode,
  LABELS,
  parseUploadedImage,
  pathIs,
  SESSION_CODES,
  settingsFields,
  submitErrorKind,
  uploadErrorKind,
  type Envelope,
  type UploadedImage,
} from "./pixverse.ts";
import type { AccountSession } from "./session.ts";
import type { AccountSettings } from "./account.ts";
import { errorMessage, SerialQueue, within } from "./waits.ts";

export type SubmitMode = "page-api" | "ui";

export interface SubmitInput {
  kind: VideoKind;
  prompt: string;
  settings: GenerationSettings;
  image?: ImageFile;
}

/** One try on the page: its result, or the session turned out lost (the ErrCode) and nothing was created. */
export type PageAttempt = { result: AccountSubmitResult } | { sessionLost: number };

// The work page is replaced by a new one after this many submissions: Playwright keeps every request and
// response of a page for as long as the page lives, and the web app's own memory grows too.
const PAGE_RECYCLE_EVERY = 50;
// Pixverse is asked only with at least this long (or createAnswerTimeoutMs, if shorter) left for its answer.
const MIN_ANSWER_WAIT_MS = 10_000;

const unavailable = (message: string): PageAttempt => ({ result: { ok: false, kind: "unavailable", message } });
const unknownOutcome = (message: string): PageAttempt => ({ result: { ok: false, kind: "unknown_outcome", message } });

export class Submitter {
  private workPage: Page | null = null;
  /** The work page sits on the creation page after a normal answer and can take the next submission as is. */
  private clean = false;
  /** Submissions made on the current work page (see PAGE_RECYCLE_EVERY). */
  private submissionsOnPage = 0;
  /** UI path: the settings the route lays over the page's next t2v/i2v body. */
  private overlay: Record<string, unknown> | null = null;
  /** What the submission under way should cost (expectedCredits), for a credits pause to wait for; null: unknown. */
  private cost: number | null = null;
  readonly queue = new SerialQueue();

  constructor(
    private readonly session: AccountSession,
    private readonly settings: AccountSettings,
    private readonly log: Logger,
  ) {}

  /** After signing in: open the creation page once, which also verifies that the site is in English. */
  async warmUp(): Promise<void> {
    const t = this.settings.tuning;
    await this.queue.run(t.navigationTimeoutMs, () => undefined, async () => {
      try {
        const create = await this.creationPage(t.navigationTimeoutMs, false);
        this.clean = create !== null;
      } catch (err) {
        if (err instanceof LanguageError) this.session.fail(err.message);
        else this.log.warn("could not open the creation page after signing in", { error: errorMessage(err) });
      }
    });
  }

  /** One try, by the configured path, all of it before `deadline`. */
  async attempt(input: SubmitInput, deadline: number): Promise<PageAttempt> {
    const t = this.settings.tuning;
    this.cost = expectedCredits(input.settings).credits;
    const left = (cap: number) => Math.max(1, Math.min(cap, deadline - Date.now()));
    let create: CreationPage | null;
    let image: UploadedImage | undefined;
    // Everything before the request leaves is safe to repeat: nothing has reached Pixverse's generator yet.
    try {
      create = await this.creationPage(left(t.navigationTimeoutMs), this.clean);
      this.clean = false;
      // Sent back to the login page: the session is gone (counted as expired, 10002).
      if (create === null) return { sessionLost: 10002 };
      if (input.kind === "i2v") {
        if (!input.image) return { result: { ok: false, kind: "bad_input", message: "an image generation needs an image" } };
        const uploaded = await this.upload(create, input.image, left(t.uploadTimeoutMs));
        if ("sessionLost" in uploaded || "result" in uploaded) return uploaded;
        image = uploaded.image;
      }
      if (this.settings.submitMode === "ui") await this.prepareUi(create, input, left(t.actionTimeoutMs));
      // Asking without time left to read the answer would turn a clean retry into an unknown outcome.
      if (deadline - Date.now() < Math.min(t.createAnswerTimeoutMs, MIN_ANSWER_WAIT_MS)) {
        return unavailable("too little time left to wait for Pixverse's answer; not submitting");
      }
    } catch (err) {
      if (err instanceof LanguageError) this.session.fail(err.message);
      this.log.warn("submission could not get ready on the creation page", { error: errorMessage(err) });
      return unavailable(`creation page: ${errorMessage(err)}`);
    }
    const attempt =
      this.settings.submitMode === "ui"
        ? await this.clickCreate(create, input, left(t.createAnswerTimeoutMs))
        : await this.postFromPage(create.page, input, image, left(t.createAnswerTimeoutMs));
    if ("result" in attempt && attempt.result.ok) this.clean = true;
    return attempt;
  }


  // ── The two paths ────────────────────────────────────────────────────────────────────────────────────

  /** page-api: `video/t2v|i2v` from inside the page, with the body spelled out. */
  private async postFromPage(page: Page, input: SubmitInput, image: UploadedImage | undefined, timeoutMs: number): Promise<PageAttempt> {
    const token = await this.session.token();
    if (!token) return { sessionLost: 10003 };
    const path = input.kind === "t2v" ? API_PATHS.t2v : API_PATHS.i2v;
    const body = JSON.stringify(generationBody(input.prompt, input.settings, image));
    // From here on, the generation may exist at Pixverse whatever happens to us.
    let answer: Envelope;
    try {
      answer = await postFromPage(page, new URL(path, this.settings.apiUrl).href, token, body, timeoutMs);
    } catch (err) {
      this.log.error("no answer from the page's request: outcome unknown", { error: errorMessage(err) });
      this.clean = false;
      return unknownOutcome(`posted ${path} from the page but read no answer: ${errorMessage(err)}`);
    }
    return this.answered(answer);
  }

  /** ui: set the switches, lay our settings over the page's body, click `Create`. */
  private async prepareUi(create: CreationPage, input: SubmitInput, timeoutMs: number): Promise<void> {
    if (input.kind === "t2v") {
      // No tabs in 2026: an image left on the composer would make this an image video.
      await create.removeImage(timeoutMs);
      await create.chooseModeIfTabbed("t2v", timeoutMs);
    }
    await create.typePrompt(input.prompt, timeoutMs);
    for (const [label, on] of [
      [LABELS.audio, input.settings.audio],
      [LABELS.multiShot, input.settings.multiShot],
    ] as const) {
      const done = await create.setSwitch(label, on, timeoutMs);
      if (done === "absent") this.log.debug("the creation page has no such switch", { switch: label });
    }
    await this.layOver(create.page, settingsFields(input.settings, input.kind));
    await create.closeModals(timeoutMs);
    await create.waitUntilCreatable(timeoutMs);
  }

  private async clickCreate(create: CreationPage, input: SubmitInput, timeoutMs: number): Promise<PageAttempt> {
    let outcome: CreateOutcome;
    try {
      outcome = await create.clickCreate(input.kind, this.settings.tuning.actionTimeoutMs, timeoutMs);
    } catch (err) {
      // The click itself never happened (nothing left the page): safe to try again.
      return unavailable(`could not click Create: ${errorMessage(err)}`);
    } finally {
      this.overlay = null;
    }
    switch (outcome.kind) {
      case "answer":
        return this.answered(outcome.envelope);
      case "limit":
        this.log.info("the page showed its concurrency modal and sent nothing", { message: LABELS.concurrencyLimit });
        return { result: { ok: false, kind: "concurrency", message: `${LABELS.concurrencyLimit} (the page sent nothing)` } };
      case "refused":
        this.log.warn("the page refused the submission by itself and sent nothing", { message: outcome.message });
        return unavailable(`the page refused without asking Pixverse: ${outcome.message || "(no message)"}`);
      case "no_answer":
        this.log.error("no answer after clicking Create: outcome unknown", { error: outcome.message, sent: outcome.sent });
        // Even a request we did not see leave may still go out: only reconciliation can tell.
        return unknownOutcome(`clicked Create but read no answer (${outcome.sent ? "request sent" : "no request seen"}): ${outcome.message}`);
    }
  }

  /** Pixverse's answer to `video/t2v|i2v`: the id, or why it refused (it created nothing then). */
  private answered(answer: Envelope): PageAttempt {
    if (answer.code !== 0) {
      this.clean = !SESSION_CODES.has(answer.code);
      return this.refusal(answer, "create");
    }
    const id = createdVideoId(answer.resp);
    if (id === null) return unknownOutcome("Pixverse accepted the generation but its answer had no video id");
    return { result: { ok: true, pixverseId: id } };
  }

  // ── Steps ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * The creation page, ready: reused as it is when `reuse`, otherwise (re)opened, its modals closed and
   * its English checked. Null when the site sent us to the login page instead.
   */
  private async creationPage(timeoutMs: number, reuse: boolean): Promise<CreationPage | null> {
    if (this.submissionsOnPage >= PAGE_RECYCLE_EVERY) await this.recycle();
    const page = await this.ensureWorkPage();
    const create = new CreationPage(page, this.settings.webUrl, this.settings.createPath);
    this.submissionsOnPage += 1;
    if (reuse && create.isShown()) return create;
    await create.open(timeoutMs);
    if (create.redirectedToLogin()) return null;
    await create.closeModals(timeoutMs);
    try {
      await verifyEnglish(page, create.prompt, "prompt box", timeoutMs);
    } catch (err) {
      if (create.redirectedToLogin()) return null;
      throw err;
    }
    return create;
  }

  /** The image through the page's own input; the page uploads it and we read its `batch_upload_media` answer. */
  private async upload(create: CreationPage, file: ImageFile, timeoutMs: number): Promise<{ image: UploadedImage } | PageAttempt> {
    // An image left from the last video would be replaced by the page, but a clean slot is what a person sees.
    await create.removeImage(timeoutMs);
    const answer = await create.setImage(file, timeoutMs);
    if (answer.code !== 0) return this.refusal(answer, "upload");
    const image = parseUploadedImage(answer.resp);
    if (!image) return unavailable("batch_upload_media answered without result[0].path");
    return { image };
  }

  /** UI path: the route that lays our settings over the body the page composes (set once per page). */
  private async layOver(page: Page, fields: Record<string, unknown>): Promise<void> {
    this.overlay = fields;
    if (this.routed.has(page)) return;
    this.routed.add(page);
    await page.route(
      (url) => pathIs(url.href, API_PATHS.t2v) || pathIs(url.href, API_PATHS.i2v),
      (route) => this.continueWithOverlay(route),
    );
  }
  private readonly routed = new WeakSet<Page>();

  private async continueWithOverlay(route: Route): Promise<void> {
    const request = route.request();
    const overlay = this.overlay;
    if (request.method() !== "POST" || overlay === null) return route.continue();
    try {
      const body = JSON.parse(request.postData() ?? "{}") as Record<string, unknown>;
      return route.continue({ postData: JSON.stringify({ ...body, ...overlay }) });
    } catch {
      // A body that is not JSON is not one we know how to amend: let the page's own go.
      return route.continue();
    }
  }

  /** A non-zero ErrCode from the page's upload or create call; Pixverse created nothing. */
  private refusal(answer: Envelope, step: "upload" | "create"): PageAttempt {
    if (SESSION_CODES.has(answer.code)) return { sessionLost: answer.code };
    const kind = step === "upload" ? uploadErrorKind(answer.code, answer.message) : submitErrorKind(answer.code);
    const fields = { step, code: answer.code, kind, errMsg: answer.message };
    if (!isKnownSubmitCode(answer.code)) this.log.warn("unknown ErrCode at submission: treated as transient", fields);
    else this.log.info("submission refused", fields);
    if (kind === "credits") this.session.pauseForCredits(answer, this.cost);
    return { result: { ok: false, kind, code: answer.code, message: answer.message || `ErrCode ${answer.code}` } };
  }

  /**
   * Let the old work page go; the next submission opens a new one. Bounded: Chromium can take its time
   * closing a page in the middle of a navigation, and nothing waits on it.
   */
  private async recycle(): Promise<void> {
    const old = this.workPage;
    this.workPage = null;
    if (old) await within(old.close(), this.settings.tuning.actionTimeoutMs, undefined);
  }

  private async ensureWorkPage(): Promise<Page> {
    if (this.workPage && !this.workPage.isClosed()) return this.workPage;
    this.workPage = await this.session.context.newPage();
    this.clean = false;
    this.submissionsOnPage = 0;
    return this.workPage;
  }
}
