// The image upload steps (docs/PIXVERSE.md "Creating a video"): an upload token, the bytes to the
// storage host, then a media record. Real Pixverse uses Aliyun OSS STS credentials and the bucket
// `pixverse-fe-upload`; the simulator plays the storage host itself on its own port, in memory.
import { randomBytes } from "node:crypto";
import { imageSize } from "image-size";
import { ERR, errMsg, UPLOAD_POLICY_MESSAGE, type ErrCode } from "./codes.ts";

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

/** A media record with its owner, as the state file keeps it. */
export interface MediaEntry {
  accountId: number;
  record: MediaRecord;
}

export type Registered = { ok: true; record: MediaRecord } | { ok: false; code: ErrCode; message: string };

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
    /** Told when a media record is added (the state file keeps them; tokens and bytes are not kept). */
    private readonly changed: () => void = () => {},
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

  /**
   * `batch_upload_media`: judge the uploaded bytes and record the image for this account. `refuseContent`
   * is asked only about a valid image: it stands for Pixverse's moderation of the picture itself.
   */
  register(accountId: number, path: string, displayName: string, origin: string, refuseContent: () => boolean = () => false): Registered {
    const refuse = (code: ErrCode, message: string = errMsg(code)): Registered => ({ ok: false, code, message });
    const name = path.startsWith("upload/") ? path.slice("upload/".length) : "";
    const stored = this.objects.get(name);
    if (!stored || stored.accountId !== accountId) return refuse(ERR.invalidImagePath);
    let size: { width?: number; height?: number; type?: string };
    try {
      size = imageSize(stored.bytes);
    } catch {
      return refuse(ERR.invalidImageFormat);
    }
    const { width = 0, height = 0, type = "" } = size;
    if (!IMAGE_TYPES.has(type)) return refuse(ERR.invalidImageFormat);
    if (width < 1 || height < 1 || width > MAX_SIDE_PX || height > MAX_SIDE_PX) return refuse(ERR.invalidImageSize);
    // Spec "Creating a video": an image refused by moderation is ErrCode 400 with a content-policy message.
    if (refuseContent()) return refuse(ERR.badRequest, UPLOAD_POLICY_MESSAGE);
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
    this.changed();
    return { ok: true, record };
  }

  /** The account's registered image at `upload/<name>`, as i2v's `customer_img_path` names it. */
  mediaFor(accountId: number, path: string): MediaRecord | undefined {
    return this.media.get(`${accountId}:${path}`);
  }

  /** The account's registered image by the `id` batch_upload_media answered (i2v's `img_id`). */
  mediaById(accountId: number, id: number): MediaRecord | undefined {
    for (const [key, record] of this.media) if (record.id === id && key.startsWith(`${accountId}:`)) return record;
    return undefined;
  }

  /** The account's registered image by its media URL (i2v's `customer_img_url`). */
  mediaByUrl(accountId: number, url: string): MediaRecord | undefined {
    for (const [key, record] of this.media) if (record.url === url && key.startsWith(`${accountId}:`)) return record;
    return undefined;
  }

  snapshot(): MediaEntry[] {
    return [...this.media].map(([key, record]) => ({ accountId: Number(key.slice(0, key.indexOf(":"))), record: { ...record } }));
  }

  /** Media records only: the uploaded bytes were never saved, so their `/media/upload/…` URLs answer 404. */
  restore(entries: MediaEntry[]): void {
    this.clear();
    for (const { accountId, record } of entries) this.media.set(`${accountId}:${record.path}`, record);
  }
}
