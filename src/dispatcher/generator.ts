// The seam between the queue and whatever makes videos: the browser sidecar in production and the demo,
// a scripted double in tests. The dispatcher knows nothing else about Pixverse.
import type { PixverseVideo } from "../domain/status.ts";
import type { ImageType } from "../domain/limits.ts";

export interface SubmitRequest {
  jobId: number;
  kind: "t2v" | "i2v";
  prompt: string;
  /** Present for i2v: the bytes as accepted by the API. */
  image?: { bytes: Uint8Array; type: ImageType; width: number; height: number };
}

/**
 * Why a submission did not produce a Pixverse id. Each kind tells the dispatcher what to do
 * (spec/pixverse-web.md "Error codes at submission"):
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

export type SubmitResult =
  | { ok: true; pixverseId: string }
  | { ok: false; kind: SubmitErrorKind; code?: number; message: string };

export interface ReconcileRequest {
  jobId: number;
  kind: "t2v" | "i2v";
  prompt: string;
  /** When the submission started: a match must have been created at or after this (minus clock skew). */
  submittedAt: Date;
}

/** `found`: Pixverse has it; `absent`: certainly never created, safe to submit; `unknown`: ask again later. */
export type ReconcileResult = { kind: "found"; pixverseId: string } | { kind: "absent" } | { kind: "unknown"; message: string };

export interface VideoGenerator {
  /** How many generations may run at Pixverse at once (the plan's gen_simultaneously, or a configured cap). */
  capacity(): Promise<number>;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  /** One round of polling: the current state of each given Pixverse id that could be found. */
  poll(pixverseIds: string[]): Promise<Map<string, PixverseVideo>>;
  reconcile(request: ReconcileRequest): Promise<ReconcileResult>;
  /** Health for /ready: e.g. `{ready:false, reason:"needs_human"}`. */
  health(): { ready: boolean; state: string; detail?: string };
  close(): Promise<void>;
}
