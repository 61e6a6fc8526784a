// One download from Pixverse's media host, as a stream for a store to write: nothing is held in memory
// beyond a chunk, a body past the size limit is cut off (by its Content-Length at once, or counted while it
// streams), and the first bytes must be what the file claims to be (an error page answered with 200 is not
// a video). The caller's signal bounds the whole copy in time.
import type { MediaKind } from "./keys.ts";

/** A download that cannot become a copy; the message names no URL (Pixverse's carry signed queries). */
export class DownloadError extends Error {
  constructor(
    message: string,
    /**
     * Trying again will not help: the file is refused or gone (an HTTP 4xx other than 408 and 429), the URL is
     * malformed, or the bytes are not the kind of file asked for or too many. False: a network error, a
     * time-out, a server error.
     */
    readonly permanent = false,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/** The first bytes of each kind: an MP4 (ISO BMFF) has `ftyp` at offset 4, a JPEG starts FF D8 FF. */
const SIGNATURES: Record<MediaKind, { length: number; matches: (b: Uint8Array) => boolean }> = {
  mp4: { length: 8, matches: (b) => b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70 },
  jpg: { length: 3, matches: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
};

/** A stream over `body` that fails past `maxBytes` or when its first bytes are not a `kind` file. */
export function checkedStream(body: ReadableStream<Uint8Array>, kind: MediaKind, maxBytes: number): ReadableStream<Uint8Array> {
  const signature = SIGNATURES[kind];
  let seen = 0;
  let head: Uint8Array | null = new Uint8Array(0);
  const checkHead = (more: Uint8Array, done: boolean) => {
    const joined = new Uint8Array(head!.length + more.length);
    joined.set(head!);
    joined.set(more, head!.length);
    head = joined;
    if (head.length < signature.length && !done) return;
    if (head.length < signature.length || !signature.matches(head)) throw new DownloadError(`the download is not a ${kind} file`, true);
    head = null;
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) throw new DownloadError(`the download is larger than ${maxBytes} bytes`, true);
        if (head !== null) checkHead(chunk, false);
        controller.enqueue(chunk);
      },
      flush() {
        if (head !== null) checkHead(new Uint8Array(0), true);
      },
    }),
  );
}

/** GET `url`; the body, checked as above, for the store to consume. */
export async function download(url: string, kind: MediaKind, o: { maxBytes: number; signal: AbortSignal }): Promise<ReadableStream<Uint8Array>> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new DownloadError("the URL is not a valid http(s) URL", true);
  let res: Response;
  try {
    res = await fetch(url, { signal: o.signal, redirect: "follow" });
  } catch (e) {
    if (o.signal.aborted) throw new DownloadError("the copy took too long or was stopped");
    // The error's code (ConnectionRefused, …), not its message: that may quote the URL.
    const code = (e as { code?: unknown }).code;
    throw new DownloadError(`the download failed: ${typeof code === "string" ? code : "network error"}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    // A 4xx is the file refused or gone for good, except a time-out (408) or a rate limit (429).
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw new DownloadError(`the media host answered HTTP ${res.status}`, permanent);
  }
  const length = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(length) && length > o.maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new DownloadError(`the download is larger than ${o.maxBytes} bytes (Content-Length ${length})`, true);
  }
  return checkedStream(res.body, kind, o.maxBytes);
}
