// The image upload steps (docs/PIXVERSE.md "Creating a video"): an upload token, the bytes to the
// storage host, then a media record. Real Pixverse uses Aliyun OSS STS credentials and the bucket
// `pixverse-fe-upload`; the simulator plays the storage host itself on its own port, in memory.
import { randomBytes } from "node:crypto";
import { imageSize } from "image-size";
import { ERR, type ErrCode } from "./codes.ts";

/** Uploaded objects live under `upload/<uuid>.<ext>` like Pixverse's `customer_img_path`. */
export const UPLOAD_NAME = /^[A-Za-z0-9-]{1,64}\.(png|jpe?g|webp)$/;
/** Pixverse refuses images over 4000 px a side (spec "Creating a video"). */
const MAX_SIDE_PX = 4000;
const TOKEN_TTL_MS = 60 * 60 * 1000;
const IMAGE_TYPES = new Set(["png", "jpg", "webp"]);

export interface UploadToken {
  Ak: string;
  Sk: string;
  Token: string;
  Bucket: string;
  Expiration: string;
}

/** What `batch_upload_media` answers per image (shape seen in a third-party client; spec is silent). */
export interface MediaRecord {
  id: number;
  category: number;
  err_msg: string;
  name: string;
  path: string;
  size: number;
  url: string;
  width: number;
  height: number;
}

interface StoredObject {
  bytes: Uint8Array<ArrayBuffer>;
  contentType: string;
  accountId: number;
}

export class UploadStore {
  private tokens = new Map<string, { accountId: number; expiresAt: number }>();
  private objects = new Map<string, StoredObject>();
  private media = new Map<string, MediaRecord>();

  constructor(
    private readonly now: () => number,
    private readonly nextId: () => number,
  ) {}

  clear(): void {
    this.tokens.clear();
    this.objects.clear();
    this.media.clear();
  }

  issueToken(accountId: number): UploadToken {
    const token = randomBytes(24).toString("base64url");
    const expiresAt = this.now() + TOKEN_TTL_MS;
    this.tokens.set(token, { accountId, expiresAt });
    return {
      Ak: `STS.sim${randomBytes(8).toString("hex")}`,
      Sk: randomBytes(16).toString("hex"),
      Token: token,
      Bucket: "pixverse-fe-upload",
      Expiration: new Date(expiresAt).toISOString(),
    };
  }

  /** The storage host's PUT: accepted only with a live upload token, like an STS credential. */
  put(securityToken: string | undefined, name: string, bytes: Uint8Array<ArrayBuffer>, contentType: string): "ok" | "denied" | "bad_name" {
    const grant = securityToken ? this.tokens.get(securityToken) : undefined;
    if (!grant || grant.expiresAt <= this.now()) return "denied";
    if (!UPLOAD_NAME.test(name)) return "bad_name";
    this.objects.set(name, { bytes, contentType, accountId: grant.accountId });
    return "ok";
  }

  object(name: string): StoredObject | undefined {
    return this.objects.get(name);
  }

  /** `batch_upload_media`: judge the uploaded bytes and record the image for this account. */
  register(accountId: number, path: string, displayName: string, origin: string): MediaRecord | ErrCode {
    const name = path.startsWith("upload/") ? path.slice("upload/".length) : "";
    const stored = this.objects.get(name);
    if (!stored || stored.accountId !== accountId) return ERR.invalidImagePath;
    let size: { width?: number; height?: number; type?: string };
    try {
      size = imageSize(stored.bytes);
    } catch {
      return ERR.invalidImageFormat;
    }
    const { width = 0, height = 0, type = "" } = size;
    if (!IMAGE_TYPES.has(type)) return ERR.invalidImageFormat;
    if (width < 1 || height < 1 || width > MAX_SIDE_PX || height > MAX_SIDE_PX) return ERR.invalidImageSize;
    const record: MediaRecord = {
      id: this.nextId(),
      category: 0,
      err_msg: "",
      name: displayName || name,
      path,
      size: stored.bytes.byteLength,
      url: `${origin}/media/${path}`,
      width,
      height,
    };
    this.media.set(`${accountId}:${path}`, record);
    return record;
  }

  /** The account's registered image at `upload/<name>`, as i2v's `customer_img_path` names it. */
  mediaFor(accountId: number, path: string): MediaRecord | undefined {
    return this.media.get(`${accountId}:${path}`);
  }
}
