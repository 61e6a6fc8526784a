// Where our copies live: the interface both stores implement (local.ts, s3.ts); media.ts picks one.
import type { MediaKind } from "./keys.ts";

export interface MediaStore {
  readonly kind: "local" | "s3";
  /**
   * Write `name` (keys.ts) from the stream: the whole file or nothing (a failed or cut-off stream leaves no
   * file under that name). Writing a name again replaces it with the same bytes (a repeated copy).
   */
  put(name: string, body: ReadableStream<Uint8Array>, kind: MediaKind): Promise<void>;
  /** The URL recorded as the video's result_url once the copy exists. */
  urlOf(name: string): string;
  /**
   * The URL get_status answers for a recorded result_url, when that is not the recorded one: a presigned URL
   * for a private bucket (signed at read time, so it is never expired when given; anything not ours is
   * answered as recorded). Absent: the recorded URL is the answer.
   */
  answerUrl?: (url: string) => string;
}
