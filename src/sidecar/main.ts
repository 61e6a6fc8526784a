// The sidecar process: started by the API process (client.ts) with Bun IPC. It owns Chromium, waits for
// `init` (its whole configuration), then answers requests. It exits when the parent goes away or the
// browser dies, so the parent can start a clean one.
import { IMAGE_MIME } from "../domain/limits.ts";
import { createLogger, registerSecrets, type Logger } from "../log.ts";
import { DEFAULT_TUNING } from "./account.ts";
import { AccountPool } from "./pool.ts";
import {
  childMessageSchema,
  requestSchema,
  WIRE_ERRORS,
  type ChildMessage,
  type InitConfig,
  type Reply,
  type Request,
} from "./protocol.ts";
import { exitWhenSent, sendToParent } from "./to-parent.ts";
import { errorMessage, within } from "./waits.ts";

// The exit code when Chromium died under us (the parent logs it and starts a fresh sidecar).
const EXIT_BROWSER_GONE = 70;
// Closing the browser on the way out may take this long at most.
const SHUTDOWN_MS = 10_000;

let log: Logger = createLogger("info").child({ component: "sidecar" });
let pool: AccountPool | null = null;
let starting: Promise<AccountPool> | null = null;
let stopping = false;

function send(message: ChildMessage): void {
  // Parsed on the way out too: a reply that does not fit the protocol is a bug here, not in the parent.
  sendToParent(childMessageSchema.parse(message));
}

function replyError(id: number, code: string, message: string): void {
  send({ type: "error", id, error: { code, message } });
}

async function start(config: InitConfig): Promise<AccountPool> {
  registerSecrets(config.accounts.map((a) => a.password));
  log = createLogger(config.logLevel).child({ component: "sidecar" });
  log.info("sidecar starting", {
    accounts: config.accounts.length,
    active: config.active.length,
    webUrl: config.webUrl,
    headless: config.headless,
    submitMode: config.submitMode,
    createPath: config.createPath,
  });
  return AccountPool.start(
    {
      accounts: config.accounts,
      active: config.active,
      chromiumPath: config.chromiumPath,
      browserEnv: config.browserEnv,
      account: {
        webUrl: config.webUrl,
        apiUrl: config.apiUrl,
        sessionDir: config.sessionDir,
        headless: config.headless,
        timezone: config.timezone,
        humanLoginTimeoutMs: config.humanLoginTimeoutMs,
        fallbackConcurrency: config.fallbackConcurrency,
        submitMode: config.submitMode,
        createPath: config.createPath,
        tuning: { ...DEFAULT_TUNING, ...config.tuning },
      },
    },
    log,
    (accounts) => send({ type: "state", accounts }),
    () => {
      log.error("Chromium is gone; exiting so the service starts a fresh sidecar");
      stopping = true;
      void exitWhenSent(EXIT_BROWSER_GONE);
    },
  );
}

async function handle(request: Request): Promise<Reply> {
  if (request.op === "init") {
    starting ??= start(request.config);
    pool = await starting;
    return { op: "init", accounts: pool.statuses() };
  }
  if (request.op === "shutdown") {
    await shutdown();
    return { op: "shutdown" };
  }
  if (!pool) throw new WireFailure(WIRE_ERRORS.notInitialized, "the sidecar has not been initialised");
  // Leave a little of the caller's time for the reply to travel back.
  const budget = Math.max(1, request.timeoutMs - 250);
  switch (request.op) {
    case "activate":
      await pool.activate(request.accounts);
      return { op: "activate", accounts: pool.statuses() };
    case "submit": {
      const image = request.image
        ? { name: `image.${request.image.type}`, mimeType: IMAGE_MIME[request.image.type], buffer: Buffer.from(request.image.base64, "base64") }
        : undefined;
      const result = await pool.submit({ kind: request.kind, prompt: request.prompt, settings: request.settings, image }, budget, request.account);
      log.info("submit", { jobId: request.jobId, kind: request.kind, account: request.account, ok: result.ok, ...(result.ok ? { pixverseId: result.pixverseId, account: result.account } : { error: result.kind, code: result.code }) });
      return { op: "submit", result };
    }
    case "poll":
      return { op: "poll", ...(await pool.poll(request.ids, budget, request.owners)) };
    case "reconcile": {
      const result = await pool.reconcile(request.prompt, Date.parse(request.submittedAt), new Set(request.excludeIds), budget, request.account);
      log.info("reconcile", { jobId: request.jobId, result: result.kind });
      return { op: "reconcile", result };
    }
    case "capacity":
      return { op: "capacity", accounts: (await pool.capacity(budget)).accounts };
    case "ping":
      return { op: "ping", accounts: pool.statuses() };
    case "sign_in": {
      const restarted = await pool.signInAgain(request.account);
      log.info("sign-in asked for by the operator", { account: request.account, restarted });
      return { op: "sign_in", restarted, accounts: pool.statuses() };
    }
  }
}

class WireFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const close = async () => {
    const current = pool ?? (starting ? await starting.catch(() => null) : null);
    await current?.close().catch((err: unknown) => log.warn("closing the browser failed", { error: errorMessage(err) }));
  };
  await within(close(), SHUTDOWN_MS, undefined);
}

function exitAfterShutdown(code: number): void {
  void shutdown().finally(() => exitWhenSent(code));
}

process.on("message", (raw: unknown) => {
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === "object" && raw !== null && "id" in raw && typeof raw.id === "number" ? raw.id : 0;
    log.error("unreadable request from the service", { problems: parsed.error.issues.slice(0, 3).map((i) => i.message) });
    replyError(id, WIRE_ERRORS.badRequest, "request does not match the sidecar protocol");
    return;
  }
  const request = parsed.data;
  if (stopping && request.op !== "shutdown") {
    replyError(request.id, WIRE_ERRORS.shuttingDown, "the sidecar is shutting down");
    return;
  }
  handle(request).then(
    (reply) => {
      send({ type: "reply", id: request.id, reply });
      if (reply.op === "shutdown") void exitWhenSent(0);
    },
    (err: unknown) => {
      const code = err instanceof WireFailure ? err.code : WIRE_ERRORS.internal;
      log.error("request failed", { op: request.op, error: errorMessage(err) });
      replyError(request.id, code, errorMessage(err));
      // A failed start leaves nothing worth keeping: exit and let the parent start afresh.
      if (request.op === "init") exitAfterShutdown(1);
    },
  );
});

// The parent is gone (exit, crash or kill -9): close the browser and go.
process.on("disconnect", () => exitAfterShutdown(0));
// Asked to stop directly (e.g. Ctrl-C reaching the whole process group): close the browser first.
process.on("SIGTERM", () => exitAfterShutdown(0));
process.on("SIGINT", () => exitAfterShutdown(0));

send({ type: "hello", pid: process.pid });
