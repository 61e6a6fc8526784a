// Structured JSON logs: one line per event, scoped by request or job id, secrets redacted.
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
  child(fields: Fields): Logger;
  enabled(level: LogLevel): boolean;
}

export type LogSink = (line: string) => void;

function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value === null || typeof value !== "object" || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

const stdoutSink: LogSink = (line) => process.stdout.write(line + "\n");

/** A logger writing JSON lines at or above `level` to `sink` (stdout by default). */
export function createLogger(level: LogLevel = "info", sink: LogSink = stdoutSink, base: Fields = {}): Logger {
  const min = RANK[level];
  const write = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[lvl] < min) return;
    const entry = { time: new Date().toISOString(), level: lvl, msg, ...base, ...(fields ? (redact(fields) as Fields) : {}) };
    sink(JSON.stringify(entry));
  };
  return {
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
