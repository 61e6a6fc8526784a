// Judges an uploaded image by its bytes alone: type and size through image-size, completeness by the
// format's own structure (where it ends). Never by the file name or the declared content type.
import { imageSize } from "image-size";
import { IMAGE_MAX_SIDE_PX, IMAGE_TYPES, UPLOAD_MAX_BYTES, type ImageType } from "../domain/limits.ts";
import { invalidImage, invalidParameter, payloadTooLarge } from "./errors.ts";

export interface AcceptedImage {
  bytes: Uint8Array;
  type: ImageType;
  width: number;
  height: number;
}

// Each format's own end: bytes after it are not part of the image and are dropped (a "motion photo" from an
// Android camera is a JPEG with an MP4 after its end marker; PNG and WEBP files may carry trailing bytes too).
// Where the data runs out before that end, the file is truncated.

/** Just past the PNG's IEND chunk, walking the chunks from the signature; null when they run out first. */
function pngEnd(b: Uint8Array): number | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Each chunk: length (4), type (4), data (length), CRC (4).
  for (let at = 8; at + 12 <= b.byteLength; ) {
    const end = at + 12 + view.getUint32(at);
    if (end > b.byteLength) return null;
    if (b[at + 4] === 0x49 && b[at + 5] === 0x45 && b[at + 6] === 0x4e && b[at + 7] === 0x44) return end; // "IEND"
    at = end;
  }
  return null;
}

const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7;

/**
 * Just past the JPEG's end marker (EOI, FF D9), walking its segments from SOI: a segment's length skips its
 * payload (an EXIF thumbnail's own EOI included), and after a scan header the entropy-coded data runs to the
 * first marker that is neither a stuffed FF 00 nor a restart marker. Null when the walk finds no EOI.
 */
function jpegEndBySegments(b: Uint8Array): number | null {
  let at = 2;
  while (at + 1 < b.byteLength) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (marker === 0xff) {
      at++; // a fill byte before the marker
      continue;
    }
    if (marker === 0xd9) return at + 2;
    if (marker === 0x01 || isRestart(marker)) {
      at += 2; // markers without a length
      continue;
    }
    if (at + 4 > b.byteLength) return null;
    const length = (b[at + 2]! << 8) | b[at + 3]!;
    if (length < 2) return null;
    at += 2 + length;
    if (marker !== 0xda) continue;
    // Start of scan: find the marker that ends its entropy-coded data.
    for (;;) {
      const ff = b.indexOf(0xff, at);
      if (ff < 0 || ff + 1 >= b.byteLength) return null;
      const next = b[ff + 1]!;
      at = ff + 2;
      if (next === 0x00 || isRestart(next)) continue;
      at = ff;
      break;
    }
  }
  return null;
}

/** The segment walk's end; a file it cannot walk (bytes between segments) is whole if it ends in an EOI. */
function jpegEnd(b: Uint8Array): number | null {
  const walked = jpegEndBySegments(b);
  if (walked !== null) return walked;
  return b.byteLength >= 4 && b[b.byteLength - 2] === 0xff && b[b.byteLength - 1] === 0xd9 ? b.byteLength : null;
}

/** The end the RIFF header gives. */
function webpEnd(b: Uint8Array): number | null {
  if (b.byteLength < 12) return null;
  const end = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true) + 8;
  return end <= b.byteLength ? end : null;
}

const IMAGE_END: Record<ImageType, (b: Uint8Array) => number | null> = { png: pngEnd, jpg: jpegEnd, webp: webpEnd };

/** Validate the `file` field of image2video; throws the contract's 400/413 errors. */
export async function acceptImage(file: File | undefined): Promise<AcceptedImage> {
  if (!file) throw invalidParameter("file", "file is required (multipart/form-data field `file`)");
  if (file.size >= UPLOAD_MAX_BYTES) throw payloadTooLarge(`file must be smaller than ${UPLOAD_MAX_BYTES} bytes (20 MB)`);
  if (file.size === 0) throw invalidImage("file is empty");
  const bytes = new Uint8Array(await file.arrayBuffer());
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch {
    throw invalidImage("file is not a PNG, JPEG or WEBP image");
  }
  const type = size.type === "jpeg" ? "jpg" : size.type;
  if (!type || !(IMAGE_TYPES as readonly string[]).includes(type)) {
    throw invalidImage("file is not a PNG, JPEG or WEBP image");
  }
  const imageType = type as ImageType;
  if (!size.width || !size.height) throw invalidImage("the image has no dimensions");
  const end = IMAGE_END[imageType](bytes);
  if (end === null) throw invalidImage("the image is truncated or damaged");
  if (size.width > IMAGE_MAX_SIDE_PX || size.height > IMAGE_MAX_SIDE_PX) {
    throw payloadTooLarge(`image must be at most ${IMAGE_MAX_SIDE_PX} × ${IMAGE_MAX_SIDE_PX} pixels; got ${size.width} × ${size.height}`);
  }
  // A copy, not a view, when bytes are dropped: the view would keep the whole upload in memory.
  return { bytes: end < bytes.byteLength ? bytes.slice(0, end) : bytes, type: imageType, width: size.width, height: size.height };
}
