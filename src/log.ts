// Structured JSON logs: one line per event, scoped by request or job id, secrets redacted.
import { writeSync } from "node:fs";
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET_KEYS = /pass(word)?|token|secret|authorization|cookie|api[_-]?key|database_url/i;

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /**
   * A line whose fields the caller has serialized itself: `members` is the inside of a JSON object
   * (`"a":1,"b":"x"`) and holds no secret. For the per-request line, which is written a hundred thousand
   * times a second and whose fields are known.
   */
  preformatted(level: Exclude<LogLevel, "silent">, msg: string, members: string): void;
  child(fields: Fields): Logger;
  enabled(level: LogLevel): boolean;
}

export type LogSink = (line: string) => void;

// Secrets are also caught by value, wherever they appear in a line (a message, an error, a URL): credentials
// inside a URL (`postgres://user:pass@host`), JWTs (Pixverse's tokens), and the literal values registered at
// start (the account passwords, the database password, API keys).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/\s@"]*:)[^@/\s"]+@/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const literalSecrets = new Set<string>();

/**
 * Values that must never appear in a log line, whatever field or text holds them. Values under 6 characters
 * are not taken: scrubbing them would garble ordinary words (and such a password is no secret anyway).
 */
export function registerSecrets(values: readonly (string | undefined | null)[]): void {
  for (const v of values) if (v && v.length >= 6) literalSecrets.add(v);
}

/** The line with every secret value replaced; cheap when there is none. */
export function scrubSecrets(line: string): string {
  let out = line.replace(URL_CREDENTIALS, "$1[redacted]@").replace(JWT, "[redacted-token]");
  for (const secret of literalSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
    // JSON escapes what a secret's quotes or backslashes would otherwise break.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join("[redacted]");
  }
  return out;
}

/** An error with its stack (the first lines), so that an error log says where it came from. */
function errorFields(err: Error): Record<string, unknown> {
  const stack = err.stack?.split("\n").slice(1, 16).map((l) => l.trim()).join("\n");
  const cause = err.cause instanceof Error ? { cause: { name: err.cause.name, message: err.cause.message } } : {};
  return { name: err.name, message: err.message, ...(stack ? { stack } : {}), ...cause };
}

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return errorFields(value);
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/**
 * Standard output, written in chunks (every 10 ms, or at 64 KiB): a request's line costs an array push, not
 * a syscall (one write per line was a quarter of a status read's CPU). Lines still waiting are written
 * synchronously when the process exits.
 */
function bufferedStdout(): LogSink {
  let pending: string[] = [];
  let pendingChars = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("\n") + "\n";
    pending = [];
    pendingChars = 0;
    try {
      writeSync(1, text);
    } catch {
      // stdout closed or full: a log line is not worth crashing or blocking the service for.
    }
  };
  process.on("exit", flush);
  return (line) => {
    pending.push(line);
    pendingChars += line.length;
    if (pendingChars >= 64 * 1024) flush();
    else if (!scheduled) {
      scheduled = true;
      setTimeout(flush, 10).unref();
    }
  };
}

let sharedStdout: LogSink | undefined;
const stdoutSink: LogSink = (line) => (sharedStdout ??= bufferedStdout())(line);

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

function needsRedaction(fields: Fields): boolean {
  for (const key in fields) {
    const v = fields[key];
    if ((v !== null && typeof v === "object") || isSecretKey(key)) return true;
  }
  return false;
}

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

/** A logger writing JSON lines at or above `level` to `sink` (stdout by default). */
export function createLogger(level: LogLevel = "info", sink: LogSink = stdoutSink, base: Fields = {}): Logger {
  const min = RANK[level];
  // The scope is serialized once, not on every line.
  const baseJson = Object.keys(base).length > 0 ? "," + JSON.stringify(base).slice(1, -1) : "";
  const write = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[lvl] < min) return;
    let line = `{"time":"${isoNow()}","level":"${lvl}","msg":${JSON.stringify(msg)}${baseJson}`;
    if (fields) {
      const json = JSON.stringify(needsRedaction(fields) ? redact(fields) : fields);
      if (json.length > 2) line += "," + json.slice(1, -1);
    }
    sink(scrubSecrets(line + "}"));
  };
  return {
    preformatted: (lvl, msg, members) => {
      if (RANK[lvl] >= min) sink(`{"time":"${isoNow()}","level":"${lvl}","msg":${JSON.stringify(msg)}${baseJson},${members}}`);
    },
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(level, sink, { ...base, ...(redact(fields) as Fields) }),
    enabled: (lvl) => RANK[lvl] >= min,
  };
}

/** A logger that writes nothing (tests that do not look at logs). */
export const silentLogger: Logger = createLogger("silent");
