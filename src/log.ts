// Structured JSON logs: one line per event, scoped by request or job id, secrets redacted, errors with their
// stack. The lines are made by pino; this module is the thin adapter that keeps the call sites' signature
// (`log.info(msg, fields)`, where pino's is `(fields, msg)`) and adds what pino does not do by itself:
// redaction of secret-named keys at any depth, errors serialized wherever they sit in the fields, and
// scrubbing of secret values wherever they appear in a line.
import { pino, type DestinationStream, type Logger as PinoLogger } from "pino";
import { LineWriter } from "./log-output.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
  enabled(level: LogLevel): boolean;
  /** The one line per HTTP request, at info: the line `info("request", line)` would write, made cheaply. */
  request(line: RequestLine): void;
}

/** What the per-request line holds (src/http/scope.ts). */
export interface RequestLine {
  request_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  /**
   * Nothing in the line was written by the caller (our own id, a declared route's path): it cannot hold a
   * secret, so it is not scanned for one. Absent: scanned like every other line.
   */
  callerFree?: boolean;
}

/** Receives each line, without its newline (tests pass one to read the log). */
export type LogSink = (line: string) => void;

const CENSOR = "[redacted]";

// --- Secret keys -------------------------------------------------------------------------------------------
//
// Two layers. pino's `redact` censors the secret names we know callers (and libraries' objects: headers,
// connection options) use: the declared, reviewable list. Its paths are exact and case-sensitive, and a
// path starting with a wildcard (`*.password`) makes pino run its redactor on every value of every line:
// measured at about 27 µs a line for this list, ten times the rest of the line and more than a whole status
// read. So `redact` holds top-level names and the nested paths we know (headers); SECRET_KEYS, tested on
// every key at any depth by `prepare` (pino's `formatters.log`, and the child bindings), catches the rest:
// a name the list lacks (`x-pixverse-token`, `sessionCookie`), one deeper down, one inside an array.
const SECRET_KEYS = /pass(word)?|token|secret|authorization|cookie|api[_-]?key|database_url/i;
const SECRET_NAMES = [
  "password", "passwd", "pass", "token", "access_token", "refresh_token", "accessToken", "refreshToken",
  "secret", "client_secret", "authorization", "Authorization", "cookie", "Cookie", "set-cookie",
  "api_key", "apiKey", "apikey", "x-api-key", "database_url", "DATABASE_URL", "databaseUrl",
];
const HEADER_NAMES = ["authorization", "Authorization", "cookie", "Cookie", "set-cookie", "x-api-key", "proxy-authorization"];
// Every name listed also matches SECRET_KEYS, so today the two agree; the list stays the one place that
// states what is censored whatever `prepare` becomes.
const REDACT_PATHS = [...SECRET_NAMES.map((n) => `["${n}"]`), ...HEADER_NAMES.map((n) => `headers["${n}"]`)];

// Field names are few and repeat on every line: test each against SECRET_KEYS once.
const secretKey = new Map<string, boolean>();
function isSecretKey(key: string): boolean {
  let secret = secretKey.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.test(key);
    if (secretKey.size < 10_000) secretKey.set(key, secret);
  }
  return secret;
}

// --- Errors --------------------------------------------------------------------------------------------------

const MAX_DEPTH = 6;
const MAX_FRAMES = 15;
const MAX_CAUSES = 3;

/** The stack's frames (the first MAX_FRAMES): the header repeats name and message, which have their own fields. */
function stackFrames(err: Error): string | undefined {
  const lines = err.stack?.split("\n");
  if (!lines) return undefined;
  const frames = lines.filter((l) => /^\s*at\s/.test(l));
  // An engine that does not write "at …" frames: keep all but the header.
  const kept = (frames.length > 0 ? frames : lines.slice(1)).slice(0, MAX_FRAMES).map((l) => l.trim());
  return kept.length > 0 ? kept.join("\n") : undefined;
}

/**
 * An error as name, message, code (a driver's ECONNREFUSED, a Pixverse code), stack and cause, the causes
 * down to MAX_CAUSES, so that an error log says what failed and where, and what it came from. pino's own
 * `err` serializer only applies to the key `err`; the call sites use `error` (and any key may hold one), so
 * `prepare` serializes an Error wherever it is.
 */
function errorFields(err: Error, causes = 0): Fields {
  const out: Fields = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  const stack = stackFrames(err);
  if (stack) out.stack = stack;
  if (err instanceof AggregateError && causes < MAX_CAUSES) {
    out.errors = err.errors.slice(0, 10).map((e) => (e instanceof Error ? errorFields(e, causes + 1) : describe(e)));
  }
  if (err.cause !== undefined && causes < MAX_CAUSES) {
    out.cause = err.cause instanceof Error ? errorFields(err.cause, causes + 1) : describe(err.cause);
  }
  return out;
}

/** A thrown or attached non-Error: its value if it is a plain primitive, else only its type. */
function describe(value: unknown): unknown {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : `(${typeof value})`;
}

// --- Fields --------------------------------------------------------------------------------------------------

/**
 * The fields as they are logged: secret-named keys censored, Errors serialized, at any depth. Most lines
 * (the per-request line above all) have flat fields with ordinary names and are returned as they are.
 */
function prepare(fields: Fields): Fields {
  for (const key in fields) {
    const v = fields[key];
    if ((v !== null && typeof v === "object") || isSecretKey(key)) return walk(fields, 0) as Fields;
  }
  return fields;
}

function walk(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Error) return errorFields(value);
  // A value past the depth is left out rather than written unredacted.
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  // Dates, URLs, Buffers: what JSON.stringify would write (a URL's credentials are then scrubbed by value).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return walk(toJSON.call(value), depth + 1);
  const out: Fields = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? CENSOR : walk(v, depth + 1);
  return out;
}

// --- Secret values -----------------------------------------------------------------------------------------
//
// Secrets are also caught by value, wherever they appear in a line (a message, an error's message or stack, a
// nested field, a binding): credentials inside a URL (`postgres://user:pass@host`), JWTs (Pixverse's tokens),
// and the literal values registered at start (the account passwords, the database password, API keys).
//
// This is done in pino's `hooks.streamWrite`, on the finished line, not in `formatters.log` or `logMethod`:
// only the finished line holds everything that is written (the message, the bindings, what serializers and
// `prepare` produced, error stacks), so nothing can slip past by sitting where a hook on the fields does not
// look. Lines hold no secret almost always, so the check is a few `includes` and two regex tests on the text;
// a line that does hold one is parsed, scrubbed string by string and serialized again, which keeps it valid
// JSON (a secret replaced inside a number or across an escape would not be) and finds a secret in the form
// JSON gives it (a quote in a password is `\"` in the line).

// A scheme starts where a run of scheme characters starts (the lookbehind): without it the engine tries
// every position inside a long run (a 4 KB base64 field) and the test is quadratic, milliseconds a line.
/** In a decoded string (the password may hold anything but `@`, `/` and space). */
const URL_CREDENTIALS = /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@/\s]+@/gi;
/** In JSON text: the same, and a quote may also end the user part. A false alarm only costs the slow path. */
const URL_CREDENTIALS_IN_TEXT = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^:/\s@"]*:[^@/\s]+@/i;
/** In plain text (scrubSecrets): a quote ends the password, as in a JSON line. */
const URL_CREDENTIALS_PLAIN = /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^:/\s@"]*:)[^@/\s"]+@/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const JWT_IN_TEXT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

// Each registered secret in the forms it can take: as it is in a decoded string, and JSON-escaped (a JSON
// document held in a string field); in a line, JSON-escaped once, or twice for a JSON document inside a field.
// Flat arrays: every line is checked against them.
const registered = new Set<string>();
let textForms: string[] = [];
let decodedForms: string[] = [];
const escape = (s: string) => JSON.stringify(s).slice(1, -1);

/**
 * Values that must never appear in a log line, whatever field or text holds them. Values under 6 characters
 * are not taken: scrubbing them would garble ordinary words (and such a password is no secret anyway).
 */
export function registerSecrets(values: readonly (string | undefined | null)[]): void {
  for (const v of values) {
    if (!v || v.length < 6 || registered.has(v)) continue;
    registered.add(v);
    const once = escape(v);
    const twice = escape(once);
    decodedForms = [...new Set([...decodedForms, v, once])];
    textForms = [...new Set([...textForms, v, once, twice])];
  }
}

// `includes` first: the URL regex costs more than the whole rest of the check, and most lines hold no URL.
const mayHoldUrl = (s: string) => s.includes("://");
const replaceAll = (s: string, find: string) => (s.includes(find) ? s.split(find).join(CENSOR) : s);

/** A text (any text, not only a log line) with every secret value replaced; cheap when there is none. */
export function scrubSecrets(line: string): string {
  let out = (mayHoldUrl(line) ? line.replace(URL_CREDENTIALS_PLAIN, `$1${CENSOR}@`) : line).replace(JWT, "[redacted-token]");
  for (const form of textForms) out = replaceAll(out, form);
  return out;
}

function holdsSecret(line: string): boolean {
  if ((mayHoldUrl(line) && URL_CREDENTIALS_IN_TEXT.test(line)) || JWT_IN_TEXT.test(line)) return true;
  for (const form of textForms) if (line.includes(form)) return true;
  return false;
}

function scrubString(s: string): string {
  let out = (mayHoldUrl(s) ? s.replace(URL_CREDENTIALS, `$1${CENSOR}@`) : s).replace(JWT, "[redacted-token]");
  for (const form of decodedForms) out = replaceAll(out, form);
  return out;
}

function scrubValue(value: unknown): unknown {
  if (typeof value === "string") return scrubString(value);
  // A numeric password inside a number (a duration, an id) cannot be half replaced: the number goes.
  if (typeof value === "number") return scrubString(String(value)) === String(value) ? value : CENSOR;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(scrubValue);
  const out: Fields = {};
  for (const [k, v] of Object.entries(value)) out[scrubString(k)] = scrubValue(v);
  return out;
}

/** pino's streamWrite hook: the finished line (ending in a newline), scrubbed of secret values. */
function scrubLine(line: string): string {
  if (!holdsSecret(line)) return line;
  try {
    return JSON.stringify(scrubValue(JSON.parse(line))) + "\n";
  } catch {
    // Not JSON (it always is): scrub it as text.
    return scrubSecrets(line);
  }
}

// --- Output --------------------------------------------------------------------------------------------------

// Many lines share a millisecond under load: format each millisecond's timestamp once.
let clockMs = 0;
let clockIso = "";
function isoNow(): string {
  const now = Date.now();
  if (now !== clockMs) {
    clockMs = now;
    clockIso = new Date(now).toISOString();
  }
  return clockIso;
}

/** Standard output, buffered (src/log-output.ts); what is pending is written at exit, an uncaught error's too. */
function stdoutDestination(): DestinationStream {
  const out = new LineWriter(1);
  process.on("exit", () => out.flushSync());
  return out;
}
let sharedStdout: DestinationStream | undefined;

function sinkDestination(sink: LogSink): DestinationStream {
  return { write: (line: string) => sink(line.endsWith("\n") ? line.slice(0, -1) : line) };
}

const EMPTY: Fields = Object.freeze({}) as Fields;

/** The request line's own members: a binding of the same name is left out of that line. */
const REQUEST_LINE_KEYS = new Set(["level", "time", "request_id", "method", "path", "status", "duration_ms", "msg"]);

function renamesAny(fields: Fields, bound: Fields): boolean {
  for (const key in fields) if (Object.hasOwn(bound, key)) return true;
  return false;
}

// Each key appears once in a line: a child's binding replaces its parent's of the same name, and a line's own
// field replaces a binding (pino itself would write both, and readers of JSON disagree on which one counts).
class PinoAdapter implements Logger {
  private readonly min: number;
  /** The child bindings as JSON members (`,"a":1,"b":"x"`), for the request line (less the line's own keys). */
  private readonly bindings: string;
  /** The pino logger of this adapter's bindings. */
  private readonly p: PinoLogger;

  constructor(
    /** The logger without bindings: every child is made from it, with all its bindings at once. */
    private readonly root: PinoLogger,
    private readonly level: LogLevel,
    private readonly destination: DestinationStream,
    /** The bindings, prepared (secret keys censored). */
    private readonly bound: Fields = EMPTY,
  ) {
    this.min = RANK[level];
    this.p = Object.keys(bound).length > 0 ? root.child(bound) : root;
    const members = JSON.stringify(Object.fromEntries(Object.entries(bound).filter(([key]) => !REQUEST_LINE_KEYS.has(key)))).slice(1, -1);
    this.bindings = members ? `,${members}` : "";
  }

  // Kept out of pino: on bench/api.sh pino's own call for this line cost 15-20 % of get_status's throughput.
  // The members are the same as pino's, in the same order, and the line goes through the same scrubbing
  // unless nothing in it came from the caller.
  request(line: RequestLine): void {
    if (this.min > RANK.info) return;
    // A caller-free line holds our id ([0-9a-z-]), a declared route's path and its method: JSON strings as they
    // are, with nothing to escape and nothing to scrub.
    const free = line.callerFree === true && this.bindings === "";
    const text = free
      ? `{"level":"info","time":"${isoNow()}","request_id":"${line.request_id}","method":"${line.method}","path":"${line.path}"` +
        `,"status":${line.status},"duration_ms":${line.duration_ms},"msg":"request"}\n`
      : `{"level":"info","time":"${isoNow()}"${this.bindings}` +
        `,"request_id":${JSON.stringify(line.request_id)},"method":${JSON.stringify(line.method)},"path":${JSON.stringify(line.path)}` +
        `,"status":${line.status},"duration_ms":${line.duration_ms},"msg":"request"}\n`;
    this.destination.write(free ? text : scrubLine(text));
  }

  debug(msg: string, fields?: Fields): void {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields?: Fields): void {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields?: Fields): void {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields?: Fields): void {
    this.write("error", msg, fields);
  }

  /** Through the bound logger, unless the line's fields rename a binding: then the root writes them all, once. */
  private write(level: "debug" | "info" | "warn" | "error", msg: string, fields: Fields | undefined): void {
    // pino skips a disabled level before looking at the fields; so does this.
    if (RANK[level] < this.min) return;
    if (fields && this.p !== this.root && renamesAny(fields, this.bound)) this.root[level]({ ...this.bound, ...fields }, msg);
    else this.p[level](fields ?? EMPTY, msg);
  }

  child(fields: Fields): Logger {
    // Bindings are serialized once, when the child is made, without formatters.log: prepare them the same way.
    return new PinoAdapter(this.root, this.level, this.destination, { ...this.bound, ...prepare(fields) });
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }
}

/**
 * A logger writing JSON lines at or above `level` to `sink` (standard output by default). A line:
 * `{"level":"info","time":"2026-…Z",<bindings>,<fields>,"msg":"…"}`.
 */
export function createLogger(level: LogLevel = "info", sink?: LogSink): Logger {
  const destination = sink ? sinkDestination(sink) : (sharedStdout ??= stdoutDestination());
  const p = pino(
    {
      level,
      // No pid/hostname: the platform labels each instance's lines, and they would cost bytes on every one.
      base: undefined,
      messageKey: "msg",
      timestamp: () => `,"time":"${isoNow()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => prepare(fields),
      },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      hooks: { streamWrite: scrubLine },
    },
    destination,
  );
  return new PinoAdapter(p, level, destination);
}

/** A logger that writes nothing (tests that do not look at logs). */
export const silentLogger: Logger = createLogger("silent", () => {});
