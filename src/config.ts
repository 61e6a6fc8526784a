// The service's configuration: one zod schema over the environment, parsed once at start and passed down.
import { z } from "zod";
import { LOG_LEVELS } from "./log.ts";
import { ID_MAX_LENGTH, INT4_MAX } from "./domain/limits.ts";
import type { AllowedSettings, GenerationSettings } from "./domain/settings.ts";
import { readFileSync } from "node:fs";
import { parseApiKeys, type ApiKeyBinding } from "./http/api-keys.ts";
import { mediaOf, type MediaSettings } from "./media/settings.ts";

// An empty value (`PORT=` in .env) means "use the default", as if the variable were not set.
const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const bool = (fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(["true", "false", "1", "0", "yes", "no"])
      .optional()
      .transform((v) => (v === undefined ? fallback : v === "true" || v === "1" || v === "yes")),
  );
// Limits are PostgreSQL int4 arguments: larger values are refused at start, not at the first request.
const int = (fallback: number, min = 0) =>
  z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).max(INT4_MAX).default(fallback));
const text = (fallback: string) => z.preprocess(emptyAsUndefined, z.string().min(1).default(fallback));
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyAsUndefined, z.url().optional());
/** A comma-separated list (`a, b,c`), never empty. */
const items = (v: unknown) => String(v).split(",").map((x) => x.trim()).filter(Boolean);
const list = (fallback: string, item: z.ZodString) =>
  z.preprocess((v) => items(emptyAsUndefined(v) ?? fallback), z.array(item).min(1, "must name at least one value"));
const numberList = (fallback: string) =>
  z.preprocess((v) => items(emptyAsUndefined(v) ?? fallback), z.array(z.coerce.number().int().positive().max(60)).min(1, "must name at least one value"));

const configObject = z.object({
  PORT: int(3000).pipe(z.number().max(65535)),
  HOST: text("0.0.0.0"),
  /**
   * API keys (off when unset): `KEY:APP|APP,KEY:APP`, APP an app_bundle_id, `prefix.*` or `*`. Parsed and
   * checked by loadConfig (src/http/api-keys.ts has the format); the parsed form is `config.apiKeys`.
   */
  API_KEYS: optionalString,
  /** A file holding the same as API_KEYS (entries may be on separate lines); not both. */
  API_KEYS_FILE: optionalString,
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional()),
  DATA_DIR: text("./data"),
  EMAIL: optionalString,
  PASSWORD: optionalString,
  /**
   * More Pixverse accounts: a JSON array `[{"email":"…","password":"…"}]`, or the path of a file holding one
   * (a value starting with `[` is the JSON itself). Parsed and checked by loadConfig; merged after EMAIL/PASSWORD
   * into `config.accounts`.
   */
  PIXVERSE_ACCOUNTS: optionalString,
  HEADLESS: bool(true),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default("info")),

  RATE_LIMIT_GENERATIONS_PER_MINUTE: int(10, 1),
  RATE_LIMIT_STATUS_PER_MINUTE: int(120, 1),
  MAX_ACTIVE_VIDEOS_PER_USER: int(10, 1),
  MAX_QUEUE_DEPTH: int(1000, 1),
  JOB_DEADLINE_MINUTES: int(30, 1),
  /**
   * Where the per-minute counters live: this process's memory (one instance) or the database's rate_limits
   * table, shared by every instance on the same database.
   */
  RATE_LIMIT_STORE: z.preprocess(emptyAsUndefined, z.enum(["memory", "postgres"]).default("memory")),

  /** Which generator the dispatcher drives: the browser sidecar (default) or none (API only). */
  GENERATOR: z.preprocess(emptyAsUndefined, z.enum(["browser", "none"]).default("browser")),
  /** Fallback cap on generations at once per account when the plan does not say. */
  PIXVERSE_CONCURRENCY: int(2, 1),
  /** How a generation reaches Pixverse: the signed-in page's own API call (default) or a click on Create. */
  PIXVERSE_SUBMIT: z.preprocess(emptyAsUndefined, z.enum(["page-api", "ui"]).default("page-api")),
  /** The creation page's path on the web app. */
  PIXVERSE_CREATE_PATH: z.preprocess(emptyAsUndefined, z.string().regex(/^\//, "must start with /").default("/creation/video")),
  /** Generation settings sent with every video unless its caller chose otherwise (each from its list below). */
  PIXVERSE_MODEL: text("v5.6"),
  PIXVERSE_QUALITY: text("360p"),
  PIXVERSE_DURATION: int(5, 1),
  PIXVERSE_ASPECT_RATIO: text("16:9"),
  PIXVERSE_AUDIO: bool(false),
  PIXVERSE_MULTI_SHOT: bool(false),
  /** What callers may choose per request (`model`, `quality`, `duration`, `aspect_ratio`). */
  PIXVERSE_MODELS: list("v5,v5.5,v5.6,v6", z.string()),
  PIXVERSE_QUALITIES: list("360p,540p,720p,1080p", z.string()),
  PIXVERSE_DURATIONS: numberList("5,8,10"),
  PIXVERSE_ASPECT_RATIOS: list("16:9,9:16,1:1,4:3,3:4", z.string().regex(/^\d+:\d+$/, "must look like 16:9")),
  PIXVERSE_WEB_URL: optionalUrl,
  PIXVERSE_API_URL: optionalUrl,
  CHROMIUM_PATH: text("/usr/bin/chromium"),
  /** Where the signed-in browser session (storage state) is kept; owner-only permissions. */
  SESSION_DIR: optionalString,
  /**
   * Where the signed-in browser sessions are kept: `file` (SESSION_DIR only: one machine's volume) or `postgres`
   * (also in the database, sealed with SESSION_KEY, so the instance that takes an account over needs no sign-in).
   * Unset: `postgres` when SESSION_KEY is set, else `file` (Config.sessionStore).
   */
  SESSION_STORE: z.preprocess(emptyAsUndefined, z.enum(["file", "postgres"]).optional()),
  /** The secret that seals the sessions in the database (SESSION_STORE=postgres): 32 characters or more. */
  SESSION_KEY: z.preprocess(emptyAsUndefined, z.string().min(32, "must be at least 32 characters").optional()),
  /** How long a headed browser waits for a person to finish a login that needs one. */
  HUMAN_LOGIN_TIMEOUT_SECONDS: int(600, 1),
  BROWSER_TIMEZONE: text("UTC"),
  /** Port of the bundled simulator in demo mode (0 = any free port). */
  SIM_PORT: int(0).pipe(z.number().max(65535)),
  /** How long a simulated generation takes in demo mode. */
  SIM_GENERATION_MS: int(4000),
  /** Which of Pixverse's page layouts the demo's simulator shows. */
  SIM_UI: z.preprocess(emptyAsUndefined, z.enum(["2026", "2025"]).default("2026")),
  /**
   * How long after a submission whose answer was lost (a crash, a time-out) before the account's video list is
   * searched for it; "not there" is believed only after three quarters of it (Pixverse lists a new video within
   * seconds, and a request already on its way may still land).
   */
  RECONCILE_GRACE_SECONDS: int(20, 1).pipe(z.number().max(600)),
  /**
   * get_status detail=true: the generation time assumed until a video has finished here (after that, the mean
   * of the recent ones). Default 60 (a 5 s 360p video at Pixverse); in demo mode, the simulator's own time.
   */
  ETA_DEFAULT_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(3600).optional()),
  /** Stable id of this instance for job locks and account leases; default: Fly machine id or host name. */
  INSTANCE_ID: optionalString,
  /**
   * How long an account lease lasts without a heartbeat (renewed every third of it). After an instance dies,
   * another takes its accounts over this long after its last heartbeat; under 2 s a slow database round trip
   * could cost the lease, over 10 minutes a dead instance's accounts wait too long.
   */
  ACCOUNT_LEASE_TTL_MS: int(30_000, 2_000).pipe(z.number().max(600_000)),
  /**
   * Webhooks (src/webhooks/): the HMAC-SHA256 key of X-Signature. Unset: webhooks are off and a callback_url
   * is a 400. At least 16 characters, so that a placeholder is not taken for a key.
   */
  WEBHOOK_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, "must be at least 16 characters").optional()),
  /** Let callback URLs reach loopback, private and other non-public addresses (tests, a receiver next door). */
  WEBHOOK_ALLOW_PRIVATE: bool(false),
  /** How long one webhook attempt may take before it counts as failed and is retried. */
  WEBHOOK_TIMEOUT_SECONDS: int(10, 1).pipe(z.number().max(120)),
  /** How long after a video ended its webhook is still retried (at least; then given up). */
  WEBHOOK_RETRY_HOURS: int(24, 1).pipe(z.number().max(720)),
  /**
   * Our own copy of every finished video (src/media/): off (Pixverse's URL, as before), local (DATA_DIR/media,
   * served at /media/…) or s3 (an S3-compatible bucket). What each needs is checked by loadConfig (mediaOf).
   */
  MEDIA_STORE: z.preprocess(emptyAsUndefined, z.enum(["off", "local", "s3"]).default("off")),
  /** The service's public base URL (https://api.example.com), for MEDIA_STORE=local links; demo default: where it listens. */
  PUBLIC_URL: optionalUrl,
  /** MEDIA_STORE=s3: the bucket, its endpoint (https://fly.storage.tigris.dev, https://s3.<region>.amazonaws.com …) and region. */
  S3_BUCKET: optionalString,
  S3_ENDPOINT: optionalUrl,
  S3_REGION: text("auto"),
  /** MEDIA_STORE=s3: the access key (the secret is redacted from logs). */
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  /** MEDIA_STORE=s3: answer S3_PUBLIC_URL/<name> (a public bucket or CDN) … */
  S3_PUBLIC_URL: optionalUrl,
  /** … or presigned URLs valid this long (60 s to 7 days), signed when get_status is read. Exactly one of the two. */
  S3_PRESIGN_SECONDS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(60).max(604_800).optional()),
  /** A finished video (or its first frame) larger than this many MiB is not copied. */
  MEDIA_MAX_MB: int(512, 1).pipe(z.number().max(4096)),
  /** How long one copy (download and store) may take before it counts as failed and is retried. */
  MEDIA_COPY_TIMEOUT_SECONDS: int(120, 5).pipe(z.number().max(3600)),
  /** Copies running at once in one instance. */
  MEDIA_COPY_CONCURRENCY: int(4, 1).pipe(z.number().max(64)),
  /**
   * The operator page /admin (src/admin/): HTTP basic auth as user `admin` with this password. Unset: no
   * page at all (404). At least 12 characters: the page pauses accounts and requeues jobs.
   */
  ADMIN_PASSWORD: z.preprocess(emptyAsUndefined, z.string().min(12, "must be at least 12 characters").optional()),
  /**
   * Fair turns (src/db/queue-position.ts): how many queued jobs each end user of an app takes per round, as a
   * JSON object {"com.example.app": 3}; an app not named takes 1. Whole numbers from 1 to 1000.
   */
  FAIR_SHARE_WEIGHTS: z.preprocess((v) => {
    const s = emptyAsUndefined(v);
    if (s === undefined) return {};
    try {
      return JSON.parse(String(s));
    } catch {
      return null;
    }
  }, z.unknown().transform((v, ctx): Record<string, number> => {
    // One problem for the variable, never naming an entry (the rule for every value here).
    const fine =
      typeof v === "object" && v !== null && !Array.isArray(v) &&
      Object.entries(v).every(([app, w]) => app.length >= 1 && app.length <= ID_MAX_LENGTH && Number.isInteger(w) && w >= 1 && w <= 1000);
    if (fine) return v as Record<string, number>;
    ctx.addIssue({ code: "custom", message: 'must be a JSON object {"app_bundle_id": weight}, each weight a whole number from 1 to 1000' });
    return z.NEVER;
  })),
});

/** Every variable the service reads (each is documented in .env.example). */
export const CONFIG_KEYS = Object.keys(configObject.shape);

export const configSchema = configObject
  .refine((c) => (c.EMAIL === undefined) === (c.PASSWORD === undefined), {
    message: "EMAIL and PASSWORD must be set together (or both left unset for demo mode)",
    path: ["EMAIL"],
  })
  .refine((c) => c.SESSION_STORE !== "postgres" || c.SESSION_KEY !== undefined, {
    message: "SESSION_STORE=postgres needs SESSION_KEY (32 characters or more) to seal the sessions",
    path: ["SESSION_KEY"],
  })
  .refine((c) => c.PIXVERSE_MODELS.includes(c.PIXVERSE_MODEL), { message: "must be one of PIXVERSE_MODELS", path: ["PIXVERSE_MODEL"] })
  .refine((c) => c.PIXVERSE_QUALITIES.includes(c.PIXVERSE_QUALITY), { message: "must be one of PIXVERSE_QUALITIES", path: ["PIXVERSE_QUALITY"] })
  .refine((c) => c.PIXVERSE_DURATIONS.includes(c.PIXVERSE_DURATION), { message: "must be one of PIXVERSE_DURATIONS", path: ["PIXVERSE_DURATION"] })
  .refine((c) => c.PIXVERSE_ASPECT_RATIOS.includes(c.PIXVERSE_ASPECT_RATIO), {
    message: "must be one of PIXVERSE_ASPECT_RATIOS",
    path: ["PIXVERSE_ASPECT_RATIO"],
  });

export type RawConfig = z.infer<typeof configSchema>;

/** One Pixverse web account (email/password sign-in). */
export interface AccountCredentials {
  email: string;
  password: string;
}

export interface Config extends RawConfig {
  /** No credentials: drive the bundled simulator instead of Pixverse. */
  demo: boolean;
  /** Every Pixverse account to drive: EMAIL/PASSWORD first, then PIXVERSE_ACCOUNTS; e-mails unique. */
  accounts: AccountCredentials[];
  sessionDir: string;
  /** SESSION_STORE, or its default: `postgres` when SESSION_KEY is set, else `file`. */
  sessionStore: "file" | "postgres";
  /** The operator's generation settings (PIXVERSE_MODEL …). */
  generation: GenerationSettings;
  /** What a caller may choose per request. */
  allowed: AllowedSettings;
  /** API keys and the app_bundle_id patterns each may act for; null when keys are off (the default). */
  apiKeys: ApiKeyBinding[] | null;
  /** MEDIA_STORE and what its store needs, checked (src/media/settings.ts). */
  media: MediaSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** Parse the environment; a bad value is reported by variable name only, never by value. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`);
  const keys = apiKeysOf(env);
  problems.push(...keys.problems);
  const listed = accountsOf(env);
  problems.push(...listed.problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const c = parsed.data;
  const accounts = mergeAccounts(c.EMAIL !== undefined && c.PASSWORD !== undefined ? { email: c.EMAIL, password: c.PASSWORD } : null, listed.accounts);
  if (accounts.problems.length > 0) throw new ConfigError(accounts.problems);
  const media = mediaOf(c, accounts.accounts.length === 0);
  if (media.problems.length > 0) throw new ConfigError(media.problems);
  return {
    ...c,
    media: media.media,
    apiKeys: keys.bindings,
    accounts: accounts.accounts,
    demo: accounts.accounts.length === 0,
    sessionDir: c.SESSION_DIR ?? `${c.DATA_DIR}/session`,
    sessionStore: c.SESSION_STORE ?? (c.SESSION_KEY !== undefined ? "postgres" : "file"),
    generation: {
      model: c.PIXVERSE_MODEL,
      quality: c.PIXVERSE_QUALITY,
      duration: c.PIXVERSE_DURATION,
      aspectRatio: c.PIXVERSE_ASPECT_RATIO,
      audio: c.PIXVERSE_AUDIO,
      multiShot: c.PIXVERSE_MULTI_SHOT,
    },
    allowed: {
      models: c.PIXVERSE_MODELS,
      qualities: c.PIXVERSE_QUALITIES,
      durations: c.PIXVERSE_DURATIONS,
      aspectRatios: c.PIXVERSE_ASPECT_RATIOS,
    },
  };
}

/**
 * API_KEYS, or the content of the file API_KEYS_FILE names, parsed. Problems name the variable and the entry
 * number, never any part of the value (it holds keys).
 */
function apiKeysOf(env: Record<string, string | undefined>): { bindings: ApiKeyBinding[] | null; problems: string[] } {
  const inline = emptyAsUndefined(env.API_KEYS) as string | undefined;
  const file = emptyAsUndefined(env.API_KEYS_FILE) as string | undefined;
  if (inline !== undefined && file !== undefined) return { bindings: null, problems: ["API_KEYS: set API_KEYS or API_KEYS_FILE, not both"] };
  let text = inline;
  let name = "API_KEYS";
  if (file !== undefined) {
    name = "API_KEYS_FILE";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return { bindings: null, problems: ["API_KEYS_FILE: the file cannot be read"] };
    }
  }
  if (text === undefined) return { bindings: null, problems: [] };
  const { bindings, problems } = parseApiKeys(text);
  return { bindings: problems.length > 0 ? null : bindings, problems: problems.map((p) => `${name}: ${p}`) };
}

const accountEntry = z
  .object({
    email: z.string({ error: "must have an email (a string)" }).trim().pipe(z.email({ error: "email must be an e-mail address" })),
    password: z.string({ error: "must have a password (a string)" }).min(1, { error: "password must not be empty" }),
  })
  .strict();

/**
 * PIXVERSE_ACCOUNTS: the JSON array itself (the value starts with `[`) or a file holding it. Problems name the
 * variable and the entry (1 = the first), never a value (passwords): not even the JSON parser's message, which may quote one.
 */
function accountsOf(env: Record<string, string | undefined>): { accounts: AccountCredentials[]; problems: string[] } {
  const value = emptyAsUndefined(env.PIXVERSE_ACCOUNTS) as string | undefined;
  if (value === undefined) return { accounts: [], problems: [] };
  const none = (problem: string) => ({ accounts: [], problems: [`PIXVERSE_ACCOUNTS: ${problem}`] });
  let text = value.trim();
  const inline = text.startsWith("[");
  if (!inline) {
    try {
      text = readFileSync(text, "utf8");
    } catch {
      return none("not a JSON array (it does not start with [) and not a readable file");
    }
  }
  const where = inline ? "" : " (in the file it names)";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return none(`not valid JSON${where}`);
  }
  if (!Array.isArray(json)) return none(`must be a JSON array of {"email","password"}${where}`);
  if (json.length === 0) return none(`lists no account${where}; leave it unset instead`);
  const accounts: AccountCredentials[] = [];
  const problems: string[] = [];
  json.forEach((entry: unknown, i) => {
    const parsed = accountEntry.safeParse(entry);
    if (parsed.success) accounts.push(parsed.data);
    else for (const issue of parsed.error.issues) problems.push(`PIXVERSE_ACCOUNTS: entry ${i + 1}${where}: ${entryProblem(issue)}`);
  });
  return { accounts, problems };
}

/** An issue in words of our own: zod's message for an unknown key quotes the key, and a key could be anything. */
function entryProblem(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "only email and password are allowed";
  if (issue.path.length === 0) return 'must be an object {"email","password"}';
  return issue.message;
}

/** EMAIL/PASSWORD first, then the list; an e-mail given twice (case aside) is refused. */
function mergeAccounts(single: AccountCredentials | null, listed: AccountCredentials[]): { accounts: AccountCredentials[]; problems: string[] } {
  const accounts: AccountCredentials[] = single ? [single] : [];
  const seen = new Map<string, string>(single ? [[single.email.toLowerCase(), "EMAIL"]] : []);
  const problems: string[] = [];
  listed.forEach((a, i) => {
    const key = a.email.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`PIXVERSE_ACCOUNTS: entry ${i + 1} repeats the e-mail of ${first}`);
      return;
    }
    seen.set(key, `entry ${i + 1}`);
    accounts.push(a);
  });
  return { accounts, problems };
}
