// MEDIA_STORE and what each store needs, checked once at start (loadConfig calls mediaOf): a setting that
// cannot work stops start-up naming the variable, never its value (S3_SECRET_ACCESS_KEY is a secret).

/** Limits of one copy: a Pixverse video is a few MB to a few tens of MB. */
export interface CopyLimits {
  /** A download larger than this is refused (Content-Length, or counted while it streams). */
  maxBytes: number;
  /** One copy (download and store) must end within this. */
  timeoutMs: number;
  /** Copies running at once in this process. */
  concurrency: number;
}

export interface S3Settings {
  bucket: string;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Base of the answered URLs (a public bucket or a CDN); null when presigning. */
  publicUrl: string | null;
  /** Answer presigned URLs valid this long (signed when read, see urls.ts); null: S3_PUBLIC_URL. */
  presignSeconds: number | null;
}

export type MediaSettings =
  | { store: "off" }
  /** `publicUrl` null: the address the service listens on (demo mode only), known once it listens. */
  | { store: "local"; dir: string; publicUrl: string | null; copy: CopyLimits }
  | { store: "s3"; s3: S3Settings; copy: CopyLimits };

/** The variables mediaOf reads, as config.ts's schema parsed them. */
export interface MediaVariables {
  MEDIA_STORE: "off" | "local" | "s3";
  DATA_DIR: string;
  PUBLIC_URL?: string;
  S3_BUCKET?: string;
  S3_ENDPOINT?: string;
  S3_REGION: string;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_PUBLIC_URL?: string;
  S3_PRESIGN_SECONDS?: number;
  MEDIA_MAX_MB: number;
  MEDIA_COPY_TIMEOUT_SECONDS: number;
  MEDIA_COPY_CONCURRENCY: number;
}

const isHttp = (url: string) => /^https?:\/\//i.test(url);
/** A base URL without its trailing slashes, so `${base}/${name}` has exactly one. */
const base = (url: string) => url.replace(/\/+$/, "");

export function mediaOf(v: MediaVariables, demo: boolean): { media: MediaSettings; problems: string[] } {
  const problems: string[] = [];
  const copy: CopyLimits = {
    maxBytes: v.MEDIA_MAX_MB * 1024 * 1024,
    timeoutMs: v.MEDIA_COPY_TIMEOUT_SECONDS * 1000,
    concurrency: v.MEDIA_COPY_CONCURRENCY,
  };
  if (v.MEDIA_STORE === "off") return { media: { store: "off" }, problems };
  for (const name of ["PUBLIC_URL", "S3_ENDPOINT", "S3_PUBLIC_URL"] as const) {
    const value = v[name];
    if (value !== undefined && !isHttp(value)) problems.push(`${name}: must be an http:// or https:// URL`);
  }
  if (v.MEDIA_STORE === "local") {
    // Outside the demo nothing says how callers reach this service (a proxy, a domain, https).
    if (v.PUBLIC_URL === undefined && !demo) problems.push("PUBLIC_URL: MEDIA_STORE=local needs the service's public base URL for its /media links");
    const media: MediaSettings = { store: "local", dir: `${v.DATA_DIR}/media`, publicUrl: v.PUBLIC_URL === undefined ? null : base(v.PUBLIC_URL), copy };
    return { media, problems };
  }
  for (const name of ["S3_BUCKET", "S3_ENDPOINT", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
    if (v[name] === undefined) problems.push(`${name}: required with MEDIA_STORE=s3`);
  }
  const publicUrl = v.S3_PUBLIC_URL === undefined ? null : base(v.S3_PUBLIC_URL);
  const presignSeconds = v.S3_PRESIGN_SECONDS ?? null;
  // One way to answer: a public base, or presigned URLs of a private bucket; never a guess that may not work.
  if ((publicUrl === null) === (presignSeconds === null)) {
    problems.push("S3_PUBLIC_URL: MEDIA_STORE=s3 needs exactly one of S3_PUBLIC_URL (public bucket or CDN) and S3_PRESIGN_SECONDS (private bucket)");
  }
  const s3: S3Settings = {
    bucket: v.S3_BUCKET ?? "",
    endpoint: base(v.S3_ENDPOINT ?? ""),
    region: v.S3_REGION,
    accessKeyId: v.S3_ACCESS_KEY_ID ?? "",
    secretAccessKey: v.S3_SECRET_ACCESS_KEY ?? "",
    publicUrl,
    presignSeconds,
  };
  return { media: { store: "s3", s3, copy }, problems };
}
