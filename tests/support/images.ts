// Builds real image bytes of any size and dimensions for upload tests: valid PNG/JPEG/WEBP, and the
// formats the API must refuse (GIF, BMP, SVG).
import { deflateSync } from "node:zlib";

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  const crc = Bun.hash.crc32(concat([typeBytes, data]));
  return concat([u32be(data.byteLength), typeBytes, data, u32be(crc)]);
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A valid grayscale PNG of `width` × `height`. With `totalBytes`, a private ancillary chunk pads the file to
 * exactly that many bytes (decoders skip it), so size limits can be tested to the byte.
 */
export function png(width: number, height: number, totalBytes?: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grayscale
  const raw = new Uint8Array((width + 1) * height); // filter byte 0 + zero pixels per row
  const parts = [PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(raw))];
  const end = pngChunk("IEND", new Uint8Array(0));
  let size = parts.reduce((n, p) => n + p.byteLength, 0) + end.byteLength;
  if (totalBytes !== undefined) {
    const pad = totalBytes - size - 12; // a chunk costs 12 bytes of framing
    if (pad < 0) throw new Error(`cannot make a ${width}x${height} PNG as small as ${totalBytes} bytes`);
    parts.push(pngChunk("prVt", new Uint8Array(pad)));
    size = totalBytes;
  }
  return concat([...parts, end]);
}

/** A baseline JPEG with the given dimensions (SOF0 header) and an end marker. */
export function jpeg(width: number, height: number): Uint8Array {
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, (height >> 8) & 0xff, height & 0xff, (width >> 8) & 0xff, width & 0xff, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00];
  const sos = [0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00];
  return new Uint8Array([0xff, 0xd8, ...app0, ...sof, ...sos, 0x00, 0x00, 0x00, 0x00, 0xff, 0xd9]);
}

/**
 * A progressive JPEG as cameras write them: an EXIF segment holding a thumbnail JPEG (with its own end marker),
 * two scans each after its own Huffman table, entropy-coded data with stuffed FF 00 bytes and restart markers,
 * then the end marker.
 */
export function progressiveJpeg(width: number, height: number): Uint8Array {
  const thumbnail = jpeg(8, 8);
  const exifBody = [...new TextEncoder().encode("Exif\0\0"), ...thumbnail];
  const app1 = [0xff, 0xe1, ((exifBody.length + 2) >> 8) & 0xff, (exifBody.length + 2) & 0xff, ...exifBody];
  const sof2 = [0xff, 0xc2, 0x00, 0x11, 0x08, (height >> 8) & 0xff, height & 0xff, (width >> 8) & 0xff, width & 0xff, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01];
  // A Huffman table segment (its bytes may be anything, FF D9 included: they are skipped by length).
  const dht = [0xff, 0xc4, 0x00, 0x08, 0x00, 0xff, 0xd9, 0x01, 0x02, 0x03];
  const sos = [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00];
  const scan1 = [0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0x00, 0xff, 0xd1, 0x78];
  const scan2 = [0x9a, 0xff, 0x00, 0xbc, 0xff, 0xd2, 0xde];
  return new Uint8Array([0xff, 0xd8, ...app1, ...sof2, ...dht, ...sos, ...scan1, ...dht, ...sos, ...scan2, 0xff, 0xd9]);
}

/** `image` with `extra` bytes after it (what an Android "motion photo" is: a JPEG, then an MP4). */
export function withTrailer(image: Uint8Array, extra: number): Uint8Array {
  const mp4Header = [0x00, 0x00, 0x00, 0x18, ...new TextEncoder().encode("ftypmp42")];
  return concat([image, new Uint8Array(mp4Header), new Uint8Array(Math.max(0, extra - mp4Header.length)).fill(0x11)]);
}

/** A WEBP (VP8X extended header) with the given canvas size and a correct RIFF length. */
export function webp(width: number, height: number): Uint8Array {
  const vp8x = new Uint8Array(18);
  const d = new DataView(vp8x.buffer);
  vp8x.set(new TextEncoder().encode("VP8X"), 0);
  d.setUint32(4, 10, true);
  const w = width - 1;
  const h = height - 1;
  vp8x.set([w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], 12);
  const body = concat([new TextEncoder().encode("WEBP"), vp8x]);
  const header = new Uint8Array(8);
  header.set(new TextEncoder().encode("RIFF"), 0);
  new DataView(header.buffer).setUint32(4, body.byteLength, true);
  return concat([header, body]);
}

export function gif(width = 10, height = 10): Uint8Array {
  const b = new Uint8Array(26);
  b.set(new TextEncoder().encode("GIF89a"), 0);
  b[6] = width & 0xff;
  b[7] = width >> 8;
  b[8] = height & 0xff;
  b[9] = height >> 8;
  b[25] = 0x3b;
  return b;
}

export function bmp(width = 10, height = 10): Uint8Array {
  const b = new Uint8Array(54);
  const d = new DataView(b.buffer);
  b.set([0x42, 0x4d], 0);
  d.setUint32(2, 54, true);
  d.setUint32(10, 54, true);
  d.setUint32(14, 40, true);
  d.setInt32(18, width, true);
  d.setInt32(22, height, true);
  d.setUint16(26, 1, true);
  d.setUint16(28, 24, true);
  return b;
}

export const svg = (): Uint8Array =>
  new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
