// The seam between the queue and whatever makes videos: the browser sidecar in production and the demo,
// a scripted double in tests. The dispatcher knows nothing else about Pixverse.
import type { PixverseVideo } from "./status.ts";
import type { ImageType } from "./limits.ts";
import type { GenerationSettings } from "./settings.ts";

export interface SubmitRequest {
  jobId: number;
  /**
   * The e-mail of the Pixverse account to submit through, chosen by the dispatcher among the accounts this
   * instance holds, and recorded on the job before this call: the generator never picks another one.
   */
  account: string;
  kind: "t2v" | "i2v";
  prompt: string;
  /** The operator's defaults overlaid with the caller's choices (domain/settings.ts). */
  settings: GenerationSettings;
  /** Present for i2v: the bytes as accepted by the API. */
  image?: { bytes: Uint8Array; type: ImageType; width: number; height: number };
}

/**
 * Why a submission did not produce a Pixverse id. Each kind tells the dispatcher what to do
 * (docs/PIXVERSE.md "Error codes at submission"):
 * - `concurrency`   Pixverse's slots are full (500044): requeue without counting an attempt.
 * - `overloaded`    Pixverse asks to try later (500069/500045): retry with backoff.
 * - `credits`       credits or the monthly limit are used up: pause the account; the job waits.
 * - `session`       the sign-in is gone (10001/2/3/5) and could not be restored now: retry.
 * - `unavailable`   nothing reached Pixverse (browser down, login impossible, needs a human): retry later.
 * - `moderation`    the prompt or image was refused as unsafe: final, `Contents moderation failed`.
 * - `bad_input`     Pixverse refuses the parameters or image: final, `Generation failed`.
 * - `unknown_outcome` the request may or may not have reached Pixverse (timeout, crash mid-click):
 *                   never resubmit; reconcile against the account's list first.
 */
export type SubmitErrorKind =
  | "concurrency"
  | "overloaded"
  | "credits"
  | "session"
  | "unavailable"
  | "moderation"
  | "bad_input"
  | "unknown_outcome";

export type SubmitFailure = { ok: false; kind: SubmitErrorKind; code?: number; message: string };

/** `account`: the e-mail of the Pixverse account that took the generation (the one the request named). */
export type SubmitResult = { ok: true; pixverseId: string; account: string } | SubmitFailure;

/** One account's own answer inside the sidecar, before the pool names the account that gave it. */
export type AccountSubmitResult = { ok: true; pixverseId: string } | SubmitFailure;

export interface ReconcileRequest {
  jobId: number;
  /** The account whose list is searched: the one the job recorded (only its lease holder may look at it). */
  account: string;
  /** Ids on that account that belong to other jobs (from the database): never a match. */
  excludeIds: readonly string[];
  kind: "t2v" | "i2v";
  prompt: string;
  /** When the submission started: a match must have been created at or after this (minus clock skew). */
  submittedAt: Date;
}

/**
 * `found`: Pixverse has it, on `account` (its e-mail); `absent`: certainly never created, safe to submit;
 * `unknown`: ask again later.
 */
export type ReconcileResult = { kind: "found"; pixverseId: string; account: string } | { kind: "absent" } | { kind: "unknown"; message: string };

/** One account's own reconciliation answer inside the sidecar, before the pool names the account. */
export type AccountReconcileResult = { kind: "found"; pixverseId: string } | { kind: "absent" } | { kind: "unknown"; message: string };

/**
 * Room at Pixverse on one account this instance drives. `ready`: it takes submissions now (signed in, not
 * paused for credits, not waiting for a person). `slots`: generations that may run at once (the plan's
 * gen_simultaneously, or a configured cap). `busy`: generations running there as Pixverse's own list shows
 * them (including videos a person started by hand on the account), or null when that view is not fresh; the
 * queue then counts its own rows of that account.
 */
export interface AccountCapacity {
  account: string;
  ready: boolean;
  slots: number;
  busy: number | null;
}

/** One round of polling: each id Pixverse reported, and the ids it says it no longer has (`500008`). */
export interface PollResult {
  videos: Map<string, PixverseVideo>;
  gone: Set<string>;
}

export interface VideoGenerator {
  /**
   * The accounts this instance may drive now (the leases it holds). Only these are signed in to and used;
   * an account left out is dropped at once (its browser context closed, no submission or poll through it).
   */
  activate(accounts: readonly string[]): void;
  /** One entry per active account. */
  capacity(): Promise<AccountCapacity[]>;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  /**
   * The state of each id. `accountOf` names the account that holds each id (from the job rows): only that
   * account is asked, and only its word makes an id `gone`. Ids of accounts that are not active are skipped.
   */
  poll(pixverseIds: string[], accountOf: ReadonlyMap<string, string>): Promise<PollResult>;
  reconcile(request: ReconcileRequest): Promise<ReconcileResult>;
  /** Health for /ready: e.g. `{ready:false, reason:"needs_human"}`. */
  health(): { ready: boolean; state: string; detail?: string };
  close(): Promise<void>;
}
