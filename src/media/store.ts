// Where our copies live: the interface both stores implement (local.ts, s3.ts); media.ts picks one.
import type { MediaKind } from "./keys.ts";

export interface MediaStore {
  readonly kind: "local" | "s3";
  /**
   * Write `name` (keys.ts) from the stream: the whole file or nothing (a failed or cut-off stream leaves no
   * file under that name). Writing a name again replaces it with the same bytes (a repeated copy). Rejects as
   * soon as `signal` aborts (the copy's time-out, or shutdown), whatever the disk or the bucket is doing.
   */
  put(name: string, body: ReadableStream<Uint8Array>, kind: MediaKind, signal?: AbortSignal): Promise<void>;
  /** The URL recorded as the video's result_url once the copy exists. */
  urlOf(name: string): string;
  /**
   * The URL get_status answers for a recorded result_url, when that is not the recorded one: a presigned URL
   * for a private bucket (signed at read time, so it is never expired when given; anything not ours is
   * answered as recorded). Absent: the recorded URL is the answer.
   */
  answerUrl?: (url: string) => string;
}

/**
 * `work`, or a rejection with the signal's reason as soon as it aborts: for a write that takes no signal of its
 * own (Bun's S3 client). The work itself is left to end on its own; its outcome is then ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
