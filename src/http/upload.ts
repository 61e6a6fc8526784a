// Judges an uploaded image by its bytes alone: type and size through image-size, completeness by the
// format's own end marker. Never by the file name or the declared content type.
import { imageSize } from "image-size";
import { IMAGE_MAX_SIDE_PX, IMAGE_TYPES, UPLOAD_MAX_BYTES, type ImageType } from "../domain/limits.ts";
import { invalidImage, invalidParameter, payloadTooLarge } from "./errors.ts";

export interface AcceptedImage {
  bytes: Uint8Array;
  type: ImageType;
  width: number;
  height: number;
}

const PNG_IEND = [0x49, 0x45, 0x4e, 0x44]; // "IEND"

function endsWithPngTrailer(b: Uint8Array): boolean {
  // IEND chunk: 4-byte length 0, "IEND", 4-byte CRC → the type sits 8 bytes from the end.
  const at = b.byteLength - 8;
  return at > 8 && PNG_IEND.every((v, i) => b[at + i] === v);
}

function hasJpegEnd(b: Uint8Array): boolean {
  // EOI marker FF D9; some cameras append data after it, so look in the tail rather than at the last byte.
  const from = Math.max(2, b.byteLength - 4096);
  for (let i = b.byteLength - 2; i >= from; i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

function webpComplete(b: Uint8Array): boolean {
  if (b.byteLength < 12) return false;
  const riffSize = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
  return b.byteLength >= riffSize + 8;
}

const COMPLETE: Record<ImageType, (b: Uint8Array) => boolean> = { png: endsWithPngTrailer, jpg: hasJpegEnd, webp: webpComplete };

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
  if (!COMPLETE[imageType](bytes)) throw invalidImage("the image is truncated or damaged");
  if (size.width > IMAGE_MAX_SIDE_PX || size.height > IMAGE_MAX_SIDE_PX) {
    throw payloadTooLarge(`image must be at most ${IMAGE_MAX_SIDE_PX} × ${IMAGE_MAX_SIDE_PX} pixels; got ${size.width} × ${size.height}`);
  }
  return { bytes, type: imageType, width: size.width, height: size.height };
}
