// The typed channel between the API process (parent) and the sidecar (child): Bun IPC, JSON messages,
// parsed with these schemas on both sides. Every request has an id and a timeout; errors cross as {code, message}.
import { z } from "zod";

const id = z.number().int().nonnegative();
const timeoutMs = z.number().int().positive();
const pixverseId = z.string().regex(/^\d+$/);

export const LOG_LEVEL = z.enum(["debug", "info", "warn", "error", "silent"]);

/** Numbers that tune the account driver; each optional (defaults in account.ts). */
export const tuningSchema = z
  .object({
    actionTimeoutMs: timeoutMs,
    navigationTimeoutMs: timeoutMs,
    uploadTimeoutMs: timeoutMs,
    createAnswerTimeoutMs: timeoutMs,
    reloginCooldownMs: z.number().int().nonnegative(),
    loginBlockMs: z.number().int().nonnegative(),
    creditsRecheckMs: z.number().int().nonnegative(),
    reconcileSkewMs: z.number().int().nonnegative(),
    reconcileMaxPages: z.number().int().positive(),
    pollMaxPages: z.number().int().positive(),
    pollMaxDetails: z.number().int().nonnegative(),
    signInWaitMs: z.number().int().nonnegative(),
    viewMaxAgeMs: z.number().int().nonnegative(),
  })
  .partial();

/** Everything the child needs, sent once after it starts: it reads no environment of its own. */
export const initConfigSchema = z.object({
  accounts: z.array(z.object({ email: z.string().min(1), password: z.string().min(1) })).min(1),
  webUrl: z.url(),
  apiUrl: z.url(),
  headless: z.boolean(),
  chromiumPath: z.string().min(1),
  sessionDir: z.string().min(1),
  timezone: z.string().min(1),
  humanLoginTimeoutMs: timeoutMs,
  fallbackConcurrency: z.number().int().positive(),
  submitMode: z.enum(["page-api", "ui"]),
  createPath: z.string().regex(/^\//),
  logLevel: LOG_LEVEL,
  tuning: tuningSchema.default({}),
  /**
   * The accounts to drive from the start (this instance holds their leases); the others stay on standby,
   * never signed in to, until an `activate` names them.
   */
  active: z.array(z.string().min(1)).default([]),
  /** The browser's environment; absent: the child's own. */
  browserEnv: z.record(z.string(), z.string()).optional(),
});
export type InitConfig = z.infer<typeof initConfigSchema>;

/** domain/settings.ts GenerationSettings, checked on the wire. */
export const settingsSchema = z.object({
  model: z.string().min(1),
  quality: z.string().min(1),
  duration: z.number().int().positive(),
  aspectRatio: z.string().min(1),
  audio: z.boolean(),
  multiShot: z.boolean(),
  seed: z.number().int().nonnegative().optional(),
  negativePrompt: z.string().min(1).optional(),
});

const imageSchema = z.object({
  base64: z.string().min(1),
  type: z.enum(["png", "jpg", "webp"]),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

// ── Parent → child ─────────────────────────────────────────────────────────────────────────────────────

export const requestSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("init"), id, timeoutMs, config: initConfigSchema }),
  /**
   * The accounts to drive from now on, all of them (the leases held). Newly named ones open their context and
   * sign in; those left out are closed at once and go to standby.
   */
  z.object({ op: z.literal("activate"), id, timeoutMs, accounts: z.array(z.string().min(1)) }),
  z.object({
    op: z.literal("submit"),
    id,
    timeoutMs,
    jobId: z.number().int(),
    /** The account to submit through (no other is tried). */
    account: z.string().min(1),
    kind: z.enum(["t2v", "i2v"]),
    prompt: z.string().min(1),
    settings: settingsSchema,
    image: imageSchema.optional(),
  }),
  /** `owners`: the account holding each id (from the job rows); only that account is asked about it. */
  z.object({ op: z.literal("poll"), id, timeoutMs, ids: z.array(pixverseId), owners: z.record(pixverseId, z.string().min(1)).default({}) }),
  z.object({
    op: z.literal("reconcile"),
    id,
    timeoutMs,
    jobId: z.number().int(),
    /** The account whose list is searched. */
    account: z.string().min(1),
    prompt: z.string().min(1),
    submittedAt: z.iso.datetime(),
    /** Ids other jobs hold on that account (from the database): never a match. */
    excludeIds: z.array(pixverseId),
  }),
  z.object({ op: z.literal("capacity"), id, timeoutMs }),
  /**
   * The operator's "retry sign-in" (/admin): an active account that is not signed in reopens its context from
   * the saved session and signs in at once (pool.ts signInAgain); a signed-in one is left alone.
   */
  z.object({ op: z.literal("sign_in"), id, timeoutMs, account: z.string().min(1) }),
  z.object({ op: z.literal("ping"), id, timeoutMs }),
  z.object({ op: z.literal("shutdown"), id, timeoutMs }),
]);
export type Request = z.infer<typeof requestSchema>;
export type Op = Request["op"];

// ── Child → parent ─────────────────────────────────────────────────────────────────────────────────────

export const ACCOUNT_STATES = [
  "signed_out",
  "signing_in",
  "ready",
  "needs_human",
  "paused_credits",
  "login_blocked",
  "login_failed",
  "standby",
] as const;
/**
 * - `signed_out`     no live session; a login is under way or scheduled (after the re-login cooldown).
 * - `signing_in`     the login page is being driven.
 * - `ready`          signed in; submissions go through.
 * - `needs_human`    the site asks for something a script must not answer; waiting for a person.
 * - `paused_credits` credits or the monthly limit are used up; polls go on, submissions wait.
 * - `login_blocked`  Pixverse said too many login attempts (500213); no login until the block ends.
 * - `login_failed`   wrong e-mail or password, an OAuth-only account or a non-English UI: needs the operator.
 * - `standby`        configured but not driven here: another instance holds its lease (or nobody yet). No
 *                    context, no session, never signed in to.
 */
export type AccountState = (typeof ACCOUNT_STATES)[number];

export const accountStatusSchema = z.object({
  email: z.string(),
  state: z.enum(ACCOUNT_STATES),
  detail: z.string().optional(),
  since: z.string(),
  capacity: z.number().int().nonnegative(),
  inFlight: z.number().int().nonnegative(),
  /** Credits left (daily + monthly + package) when last read; absent or null while unknown. */
  credits: z.number().nullable().optional(),
});
export type AccountStatus = z.infer<typeof accountStatusSchema>;

export const submitResultSchema = z.discriminatedUnion("ok", [
  /** `account`: the e-mail of the account that took it. */
  z.object({ ok: z.literal(true), pixverseId, account: z.string().min(1) }),
  z.object({
    ok: z.literal(false),
    kind: z.enum(["concurrency", "overloaded", "credits", "session", "unavailable", "moderation", "bad_input", "unknown_outcome"]),
    code: z.number().int().optional(),
    message: z.string(),
  }),
]);

export const pixverseVideoSchema = z.object({
  id: pixverseId,
  status: z.number(),
  url: z.string().nullable(),
  outputWidth: z.number().nullable(),
  outputHeight: z.number().nullable(),
  firstFrame: z.string().nullish(),
});

/** domain/generator.ts AccountCapacity on the wire. */
export const accountCapacitySchema = z.object({
  account: z.string().min(1),
  ready: z.boolean(),
  slots: z.number().int().nonnegative(),
  busy: z.number().int().nonnegative().nullable(),
});

export const reconcileResultSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("found"), pixverseId, account: z.string().min(1) }),
  z.object({ kind: z.literal("absent") }),
  z.object({ kind: z.literal("unknown"), message: z.string() }),
]);

/** The value of a successful reply, by the request's op. */
export const replySchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("init"), accounts: z.array(accountStatusSchema) }),
  z.object({ op: z.literal("activate"), accounts: z.array(accountStatusSchema) }),
  z.object({ op: z.literal("submit"), result: submitResultSchema }),
  /** `gone`: ids Pixverse says it no longer has (absent from the list, `list/detail` 500008). */
  z.object({ op: z.literal("poll"), videos: z.array(pixverseVideoSchema), gone: z.array(pixverseId) }),
  z.object({ op: z.literal("reconcile"), result: reconcileResultSchema }),
  /** One entry per active account; `busy`: running there as its own list shows (hand-made videos too), null without a fresh view. */
  z.object({ op: z.literal("capacity"), accounts: z.array(accountCapacitySchema) }),
  z.object({ op: z.literal("ping"), accounts: z.array(accountStatusSchema) }),
  /** `restarted`: false when the account is signed in already or not driven here. */
  z.object({ op: z.literal("sign_in"), restarted: z.boolean(), accounts: z.array(accountStatusSchema) }),
  z.object({ op: z.literal("shutdown") }),
]);
export type Reply = z.infer<typeof replySchema>;
export type ReplyFor<O extends Op> = Extract<Reply, { op: O }>;

export const wireErrorSchema = z.object({ code: z.string(), message: z.string() });
export type WireError = z.infer<typeof wireErrorSchema>;

export const childMessageSchema = z.discriminatedUnion("type", [
  /** The child is up and waits for `init`. */
  z.object({ type: z.literal("hello"), pid: z.number().int() }),
  z.object({ type: z.literal("reply"), id, reply: replySchema }),
  z.object({ type: z.literal("error"), id, error: wireErrorSchema }),
  /** Pushed whenever an account's state changes, so the parent's health() is current without asking. */
  z.object({ type: z.literal("state"), accounts: z.array(accountStatusSchema) }),
]);
export type ChildMessage = z.infer<typeof childMessageSchema>;

/** Error codes that cross the channel. */
export const WIRE_ERRORS = {
  badRequest: "bad_request",
  notInitialized: "not_initialized",
  internal: "internal",
  shuttingDown: "shutting_down",
} as const;
