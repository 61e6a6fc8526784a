// MEDIA_STORE=s3: copies in an S3-compatible bucket (AWS, Fly's Tigris, R2, MinIO …) through Bun's built-in
// S3 client; a large video goes up as a multipart upload while it downloads. Answered URLs are either
// S3_PUBLIC_URL/<name> (a public bucket or a CDN) or presigned: then result_url records the object's plain
// path-style URL and every read signs it again (answerUrl), so an answer is never already expired. A
// presigned URL is kept for half its lifetime (signing costs about as much as the rest of a status read),
// so each answer stays valid for at least half of S3_PRESIGN_SECONDS.
import { LRUCache } from "lru-cache";
import { abortable, type MediaStore } from "./store.ts";
import { CONTENT_TYPES, parseMediaName } from "./keys.ts";
import type { S3Settings } from "./settings.ts";

export function createS3Store(s: S3Settings): MediaStore {
  const client = new Bun.S3Client({
    bucket: s.bucket,
    endpoint: s.endpoint,
    region: s.region,
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
  });
  const plainBase = `${s.endpoint}/${s.bucket}/`;
  const presignSeconds = s.presignSeconds;
  const signed =
    presignSeconds === null
      ? null
      : new LRUCache<string, string>({ max: 10_000, ttl: (presignSeconds * 1000) / 2, ttlAutopurge: false });

  const presigned = (url: string): string => {
    if (signed === null || presignSeconds === null || !url.startsWith(plainBase)) return url;
    const name = url.slice(plainBase.length);
    if (!parseMediaName(name)) return url;
    let answer = signed.get(name);
    if (answer === undefined) {
      answer = client.presign(name, { expiresIn: presignSeconds, method: "GET" });
      signed.set(name, answer);
    }
    return answer;
  };

  return {
    kind: "s3",
    async put(name, body, kind, signal) {
      signal?.throwIfAborted();
      const write = client.write(name, new Response(body), { type: CONTENT_TYPES[kind] });
      // Bun's client takes no signal and has no time-out of its own: a bucket that accepts the connection and
      // never answers would hold the copy forever. The copy's signal (its time-out, shutdown) ends the wait.
      await (signal ? abortable(write, signal) : write);
    },
    urlOf: (name) => (s.publicUrl !== null ? `${s.publicUrl}/${name}` : `${plainBase}${name}`),
    ...(signed === null ? {} : { answerUrl: presigned }),
  };
}
