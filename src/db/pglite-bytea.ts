// Large bytea values on PGlite. Its query parameters travel as text (hex), which costs seconds for a
// 20 MiB image and blocks the single connection meanwhile; binary COPY through PGlite's /dev/blob does the
// same in a fraction of that. PostgreSQL through `pg` needs none of this (its parameters are binary).
import type { Transaction, PGliteInterface } from "@electric-sql/pglite";
import { PgliteSession } from "drizzle-orm/pglite";
import type { Db } from "./client.ts";

type PgliteQueryable = Pick<PGliteInterface | Transaction, "query">;

/** The PGlite client behind a drizzle database or transaction (inside one, its Transaction), or null on PostgreSQL. */
export function pgliteClientOf(db: Db): PgliteQueryable | null {
  const session = db._.session;
  if (!(session instanceof PgliteSession)) return null;
  // drizzle keeps the session's client private, with no accessor: it is what the constructor took.
  const client: ConstructorParameters<typeof PgliteSession>[0] = session["client"];
  return client;
}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // "PGCOPY\n\377\r\n\0"

type Field = { int8: number } | { int4: number } | { text: string } | { bytes: Uint8Array };

/** One row in PostgreSQL's binary COPY format (header, one tuple, trailer). */
function binaryCopyRow(fields: Field[]): Blob {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(21);
  header.set(SIGNATURE, 0); // then int32 flags = 0, int32 header-extension length = 0
  new DataView(header.buffer).setInt16(19, fields.length);
  parts.push(header);
  for (const f of fields) {
    let data: Uint8Array;
    if ("int8" in f) {
      data = new Uint8Array(8);
      new DataView(data.buffer).setBigInt64(0, BigInt(f.int8));
    } else if ("int4" in f) {
      data = new Uint8Array(4);
      new DataView(data.buffer).setInt32(0, f.int4);
    } else if ("text" in f) {
      data = new TextEncoder().encode(f.text);
    } else {
      data = f.bytes;
    }
    const length = new Uint8Array(4);
    new DataView(length.buffer).setInt32(0, data.byteLength);
    parts.push(length, data);
  }
  const trailer = new Uint8Array(2);
  new DataView(trailer.buffer).setInt16(0, -1);
  parts.push(trailer);
  return new Blob(parts as Uint8Array<ArrayBuffer>[]);
}

export async function insertImageByCopy(
  client: PgliteQueryable,
  image: { videoId: number; bytes: Uint8Array; type: string; width: number; height: number },
): Promise<void> {
  const blob = binaryCopyRow([
    { int8: image.videoId },
    { bytes: image.bytes },
    { text: image.type },
    { int4: image.width },
    { int4: image.height },
  ]);
  await client.query("copy video_images (video_id, bytes, type, width, height) from '/dev/blob' with (format binary)", [], { blob });
}

/** The bytes of one image, or null; read through binary COPY. */
export async function loadImageBytesByCopy(client: PgliteQueryable, videoId: number): Promise<Uint8Array | null> {
  // COPY takes no parameters; the id is a safe integer by type, so inlining it is exact and safe.
  if (!Number.isSafeInteger(videoId)) return null;
  const result = await client.query(`copy (select bytes from video_images where video_id = ${videoId}) to '/dev/blob' with (format binary)`);
  if (!result.blob) return null;
  const out = new Uint8Array(await result.blob.arrayBuffer());
  // header (19 bytes) · int16 field count · int32 length · data · int16 trailer; no tuple: just the trailer.
  if (out.byteLength < 19 + 2 + 4) return null;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (view.getInt16(19) !== 1) return null;
  const length = view.getInt32(21);
  return out.subarray(25, 25 + length);
}
