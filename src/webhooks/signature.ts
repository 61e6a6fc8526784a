// The webhook's body and its signature: one place for what a receiver sees. The body is made from the
// outbox row alone (the job's final state as it ended and its owner), in a fixed key order, so every retry
// of an event sends the same bytes; only the signature's time changes between attempts (and, with presigned
// media URLs, the url's signature: worker.ts presigns it at each attempt).
import { createHmac, timingSafeEqual } from "node:crypto";
import { statusAnswer, type JobState } from "../domain/status.ts";

export const WEBHOOK_EVENT = "video.finished";
/** The status a success carries next to its `url` (the contract's get_status answers a success with the URL alone). */
export const SUCCESS_STATUS = "Generation successful";
export const SIGNATURE_HEADER = "X-Signature";
export const EVENT_ID_HEADER = "X-Event-Id";

export interface WebhookEvent {
  eventId: string;
  videoId: number;
  appBundleId: string;
  apphudUserId: string;
  /** The job's state when it first became final. */
  state: JobState;
  resultUrl: string | null;
}

/** What the receiver gets, as a JSON text. `status` is one of the contract's strings, or "Generation successful" with `url`. */
export function webhookBody(e: WebhookEvent): string {
  const answer = statusAnswer(e.state, e.resultUrl);
  const outcome = "url" in answer ? { status: SUCCESS_STATUS, url: answer.url } : { status: answer.status };
  return JSON.stringify({
    event: WEBHOOK_EVENT,
    event_id: e.eventId,
    video_id: e.videoId,
    app_bundle_id: e.appBundleId,
    apphud_user_id: e.apphudUserId,
    ...outcome,
  });
}

/** `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/**
 * A receiver's check (the README shows the same few lines): the header's v1 matches the body under the
 * secret, compared in constant time, and t is within `toleranceSeconds` of now (a replayed old request fails).
 */
export function verifySignature(secret: string, body: string, header: string | null, toleranceSeconds = 300, nowSeconds = Date.now() / 1000): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
}
