// Names of our copies. A video's key is `<2 hex>/<video id>-<32 hex>`: 128 random bits, so a link cannot be
// guessed from a video id (ids are sequential and /media needs no API key, like Pixverse's own links), and
// the two-character folder keeps a local directory from holding every file. The video is `<key>.mp4`, its
// first frame `<key>.jpg`; both are written once and never change (hence immutable caching).

export type MediaKind = "mp4" | "jpg";

export const CONTENT_TYPES: Record<MediaKind, string> = { mp4: "video/mp4", jpg: "image/jpeg" };

/** The only names /media serves and the stores write: no dots, slashes or escapes beyond these. */
const NAME = /^([0-9a-f]{2})\/([1-9][0-9]{0,18})-([0-9a-f]{32})\.(mp4|jpg)$/;

/** A new key for a video's copy (random: two copies of one video never share a name by chance). */
export function newMediaKey(videoId: number): string {
  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  return `${token.slice(0, 2)}/${videoId}-${token}`;
}

export function mediaName(key: string, kind: MediaKind): string {
  return `${key}.${kind}`;
}

/** A name as /media/<name> receives it, or null for anything that is not exactly one of ours. */
export function parseMediaName(name: string): { name: string; kind: MediaKind } | null {
  const m = NAME.exec(name);
  return m ? { name, kind: m[4] as MediaKind } : null;
}
