// Entry point: load config once → database (migrated) → generator (+ simulator in demo mode) → dispatcher →
// HTTP server. SIGTERM/SIGINT drain: stop accepting, let submissions in progress finish, close everything.
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { createLogger, registerSecrets, type Logger } from "./log.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { migrationsApplied, openDatabase, ping, type Database } from "./db/client.ts";
import { createSessionQueries } from "./db/sessions.ts";
import { createSessionSync } from "./sidecar/session-sync.ts";
import { createVideoRepository } from "./db/videos.ts";
import { createVideoService } from "./videos.ts";
import { bunFetch, IDLE_TIMEOUT_SECONDS } from "./http/bun-fetch.ts";
import { createApp } from "./app.ts";
import { postgresRateLimitStores } from "./http/rate-limit.ts";
import { createDispatcher, type Dispatcher } from "./dispatcher/dispatcher.ts";
import { createLeaseKeeper, type LeaseKeeper } from "./dispatcher/leases.ts";
import { createLeaseQueries, type AccountReport } from "./db/leases.ts";
import { createQueueDetail } from "./db/queue-position.ts";
import { etaSlots } from "./domain/eta.ts";
import type { VideoGenerator } from "./domain/generator.ts";
import { createSidecarGenerator, maskEmail, type SidecarGenerator } from "./sidecar/client.ts";
import { DEFAULT_WEB_URL, expectedCredits } from "./sidecar/pixverse.ts";
import { sessionFile } from "./sidecar/session-file.ts";
import { createAdminQueries } from "./db/admin.ts";
import { createControlsWatcher, type ControlsWatcher } from "./admin/controls.ts";
import type { ReadinessReport } from "./http/routes/health.ts";
import type { AccountStatus } from "./sidecar/protocol.ts";
import { createWebhookOutbox } from "./db/webhooks.ts";
import { createWebhookWorker } from "./webhooks/worker.ts";
import { createMedia, listeningBase } from "./media/media.ts";

/** The whole drain, within fly.toml's kill_timeout (90 s): submissions get 30 s, the sidecar up to 30 s more. */
const SHUTDOWN_LIMIT_MS = 75_000;

/** The demo account that the bundled simulator creates; it exists only inside the simulator. */
const DEMO_ACCOUNT = { email: "demo@simulator.local", password: "demo-password" };

interface StartedGenerator {
  generator: VideoGenerator | null;
  /** The e-mails of every account it drives (the dispatcher polls and counts their jobs). */
  accounts: string[];
  /** Each Pixverse account's last known state (for /ready). */
  states: () => AccountStatus[];
  stop: () => Promise<void>;
  /** The browser sidecar, when there is one: the operator page's "retry sign-in" and session file names. */
  sidecar?: SidecarGenerator;
}

/** "Not in the list" is believed three quarters of the reconcile grace after the submission (RECONCILE_GRACE_SECONDS). */
const reconcileSettleMs = (config: Config) => config.RECONCILE_GRACE_SECONDS * 750;

async function startGenerator(config: Config, logger: Logger, metrics: Metrics, database: Database): Promise<StartedGenerator> {
  // SESSION_STORE=postgres: the sessions in the database too, so an account moves between instances signed in.
  const sessions =
    config.sessionStore === "postgres"
      ? createSessionSync({ queries: createSessionQueries(database.db), secret: config.SESSION_KEY!, logger: logger.child({ component: "sessions" }) })
      : undefined;
  if (config.GENERATOR === "none") {
    logger.warn("GENERATOR=none: the API accepts and stores jobs, but nothing submits them to Pixverse");
    return { generator: null, accounts: [], states: () => [], stop: async () => {} };
  }
  if (config.demo) {
    const { startSimulator } = await import("./simulator/server.ts");
    // With SIM_PORT=0 a restarted demo asks for its last port: the URLs of the videos it finished point there.
    const portFile = join(config.DATA_DIR, "simulator", "port");
    const lastPort = config.SIM_PORT === 0 ? Number((await Bun.file(portFile).text().catch(() => "")).trim()) || 0 : 0;
    const sim = await startSimulator({
      port: config.SIM_PORT || lastPort,
      portIsPreferred: config.SIM_PORT === 0,
      generationMs: config.SIM_GENERATION_MS,
      ui: config.SIM_UI,
      email: DEMO_ACCOUNT.email,
      password: DEMO_ACCOUNT.password,
      // A restarted demo still has the videos it was making; they finish on their own schedule.
      stateFile: join(config.DATA_DIR, "simulator", "state.json"),
      logger: logger.child({ component: "simulator" }),
    });
    if (config.SIM_PORT === 0) await Bun.write(portFile, `${sim.port}\n`);
    const banner = [
      "==================================================================",
      " DEMO MODE: no EMAIL/PASSWORD set, so videos come from the bundled",
      " Pixverse SIMULATOR, not from Pixverse. Set EMAIL and PASSWORD in",
      " .env to drive the real site.",
      ` simulator: ${sim.url}`,
      "==================================================================",
    ];
    for (const line of banner) process.stderr.write(line + "\n");
    logger.warn("demo mode: driving the bundled Pixverse simulator, not Pixverse", { simulator_url: sim.url });
    const generator = createSidecarGenerator({
      config,
      logger: logger.child({ component: "sidecar" }),
      accounts: [DEMO_ACCOUNT],
      webUrl: sim.url,
      apiUrl: sim.url,
      metrics,
      timeouts: { reconcileSettleMs: reconcileSettleMs(config) },
      sessions,
    });
    return {
      generator,
      sidecar: generator,
      accounts: [DEMO_ACCOUNT.email],
      states: () => generator.accountStates(),
      stop: async () => {
        await generator.close();
        await sim.stop();
      },
    };
  }
  const generator = createSidecarGenerator({
    config,
    logger: logger.child({ component: "sidecar" }),
    accounts: config.accounts,
    webUrl: config.PIXVERSE_WEB_URL,
    apiUrl: config.PIXVERSE_API_URL,
    metrics,
    timeouts: { reconcileSettleMs: reconcileSettleMs(config) },
    sessions,
  });
  logger.info("Pixverse accounts", { count: config.accounts.length, accounts: config.accounts.map((a) => maskEmail(a.email)) });
  return { generator, sidecar: generator, accounts: config.accounts.map((a) => a.email), states: () => generator.accountStates(), stop: () => generator.close() };
}

/** The accounts' states as lease reports (no e-mail, no Pixverse text): what /admin shows of them elsewhere. */
function accountReports(states: readonly AccountStatus[]): Map<string, AccountReport> {
  return new Map(states.map((a) => [a.email, { state: a.state, since: a.since, capacity: a.capacity, inFlight: a.inFlight, credits: a.credits ?? null }]));
}

/** The password inside a postgres:// URL, so that it is redacted even where the URL is not. */
function databasePassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${JSON.stringify({ level: "error", msg: "invalid configuration", problems: e.problems })}\n`);
      process.exit(2);
    }
    throw e;
  }
  registerSecrets([
    ...config.accounts.map((a) => a.password),
    databasePassword(config.DATABASE_URL),
    ...(config.apiKeys?.map((b) => b.key) ?? []),
    config.WEBHOOK_SECRET,
    config.ADMIN_PASSWORD,
    config.S3_SECRET_ACCESS_KEY,
    config.SESSION_KEY,
  ]);
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : `${config.DATA_DIR}/pglite` });
  logger.info("database ready", { kind: database.kind });

  const repo = createVideoRepository(database);
  let dispatcher: Dispatcher | null = null;
  let leaseKeeper: LeaseKeeper | null = null;
  // The operator's controls of the accounts (/admin): paused accounts, sign-ins asked for.
  const adminQueries = createAdminQueries(database.db);
  let controls: ControlsWatcher | null = null;
  const videos = createVideoService(repo, {
    onAccepted: () => dispatcher?.notify(),
    limits: {
      maxActivePerUser: config.MAX_ACTIVE_VIDEOS_PER_USER,
      maxQueueDepth: config.MAX_QUEUE_DEPTH,
      deadlineMinutes: config.JOB_DEADLINE_MINUTES,
    },
    // MEDIA_STORE=s3 with S3_PRESIGN_SECONDS: the bucket's URL is answered presigned, signed when read.
    answerUrl: config.media.store === "s3" ? (url) => media?.store.answerUrl?.(url) ?? url : undefined,
  });

  const owner = config.INSTANCE_ID ?? process.env.FLY_MACHINE_ID ?? hostname();
  const metrics = createMetrics();
  metrics.queueDepthFrom(() => repo.countByState());
  const leases = createLeaseQueries(database.db);
  metrics.leaseHoldersFrom(() => leases.list());
  // MEDIA_STORE: our own copy of every finished video (src/media/). Local links without PUBLIC_URL (demo mode)
  // use the address the server listens on, set once it does (PORT=0 picks one).
  let listeningUrl = listeningBase(config.HOST, config.PORT);
  const media = createMedia(config.media, { db: database.db, logger, metrics, listening: () => listeningUrl });
  if (media) logger.info("our own copy of every video", { store: media.store.kind, ...(media.local ? { dir: media.local.dir } : {}) });
  // Webhooks (WEBHOOK_SECRET set): every instance delivers from the shared outbox, with or without a generator.
  const webhooks = config.WEBHOOK_SECRET
    ? createWebhookWorker({
        outbox: createWebhookOutbox(database.db),
        secret: config.WEBHOOK_SECRET,
        owner,
        logger,
        metrics,
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
        // S3_PRESIGN_SECONDS: the event's URL presigned at each attempt, like get_status's answer.
        answerUrl: media?.store.answerUrl,
        timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
        retryWindowMs: config.WEBHOOK_RETRY_HOURS * 3600_000,
      })
    : null;
  webhooks?.start();
  const gen = await startGenerator(config, logger, metrics, database);
  if (gen.generator) {
    const cost = expectedCredits(config.generation);
    logger.info("generation settings (callers may choose model, quality, duration, aspect_ratio, seed, negative_prompt)", {
      submit: config.PIXVERSE_SUBMIT,
      create_path: config.PIXVERSE_CREATE_PATH,
      ...config.generation,
      expected_credits_per_video: cost.credits ?? "unknown for this quality",
      ...(cost.extras.length > 0 ? { plus_unpriced_extras: cost.extras } : {}),
    });
    // Each account is driven by the one instance holding its lease (Pixverse keeps one live session per
    // account): the sidecar signs in only to the accounts held, and the dispatcher works only on those.
    const generator = gen.generator;
    leaseKeeper = createLeaseKeeper({
      leases,
      holder: owner,
      accounts: gen.accounts,
      ttlMs: config.ACCOUNT_LEASE_TTL_MS,
      onHeld: (held) => {
        generator.activate(held);
        dispatcher?.notify();
      },
      logger,
      metrics,
      // Each held account as the sidecar reports it, on its lease row: every instance's /admin shows it.
      reports: () => accountReports(gen.states()),
      busy: () => dispatcher?.submitting() ?? new Set(),
    });
    dispatcher = createDispatcher({
      repo,
      generator,
      logger,
      owner,
      accounts: gen.accounts,
      held: leaseKeeper.held,
      settings: config.generation,
      metrics,
      reconcileGraceMs: config.RECONCILE_GRACE_SECONDS * 1000,
      onChange: (id) => {
        videos.changed(id);
        // A job that just ended has its webhook in the outbox now: send it without waiting for the next poll.
        webhooks?.notify();
      },
      fairShareWeights: config.FAIR_SHARE_WEIGHTS,
      pausedAccounts: () => adminQueries.pausedAccounts(),
      media: media?.copier,
    });
    await leaseKeeper.start();
    await dispatcher.start();
    // "Retry sign-in" from /admin (on any instance) reaches the sidecar of the instance holding the account.
    if (gen.sidecar) {
      controls = createControlsWatcher({ queries: adminQueries, held: leaseKeeper.held, generator: gen.sidecar, logger });
      controls.start();
    }
  }

  // Readiness names each part's state; Pixverse's own words (which may quote an account) stay in the log.
  const readiness = async (): Promise<ReadinessReport> => {
    const checks: ReadinessReport["checks"] = {};
    let paused: ReadonlySet<string> = new Set();
    try {
      await ping(database.db);
      checks.database = { ok: true };
      const m = await migrationsApplied(database.db);
      checks.migrations = { ok: m.applied >= m.expected, detail: `${m.applied} of ${m.expected} applied` };
      if (gen.generator) paused = await adminQueries.pausedAccounts();
    } catch {
      checks.database = { ok: false, detail: "database unreachable" };
    }
    if (gen.generator) {
      const h = gen.generator.health();
      checks.pixverse = { ok: h.ready, detail: h.state };
      // `standby`: another instance holds the account's lease and drives it; not this instance's trouble.
      // `paused`: the operator paused it on /admin, so it takes no job whatever its session's state.
      for (const account of gen.states()) {
        const check = paused.has(account.email)
          ? { ok: false, detail: `paused (${account.state})` }
          : { ok: account.state === "ready" || account.state === "standby", detail: account.state };
        checks[`pixverse:${maskEmail(account.email)}`] = check;
      }
      if (leaseKeeper) checks.leases = { ok: true, detail: `${leaseKeeper.held().length} of ${gen.accounts.length} accounts driven by this instance (${owner})` };
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };

  const app = createApp({
    videos,
    logger,
    limits: { generationsPerMinute: config.RATE_LIMIT_GENERATIONS_PER_MINUTE, statusPerMinute: config.RATE_LIMIT_STATUS_PER_MINUTE },
    allowed: config.allowed,
    apiKeys: config.apiKeys,
    metrics,
    readiness,
    webhooks: { enabled: config.WEBHOOK_SECRET !== undefined, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE },
    // MEDIA_STORE=local: /media/… serves the copies.
    media: media?.local ?? undefined,
    // The operator page /admin, only with ADMIN_PASSWORD (src/admin/).
    admin: config.ADMIN_PASSWORD
      ? {
          password: config.ADMIN_PASSWORD,
          queries: adminQueries,
          leases: () => leases.list(),
          queue: () => repo.countByState(),
          accounts: gen.states,
          instance: owner,
          deadlineMinutes: config.JOB_DEADLINE_MINUTES,
          onJobChanged: (id) => {
            videos.changed(id);
            dispatcher?.notify();
          },
          humanLogin: {
            headless: config.HEADLESS,
            sessionFileOf: (email) => gen.sidecar?.sessionFileOf(email) ?? sessionFile(config.sessionDir, email, config.PIXVERSE_WEB_URL ?? DEFAULT_WEB_URL),
          },
        }
      : undefined,
    // get_status detail=true: queue position in the claim's fair order, and an ETA from the accounts' slots
    // (with GENERATOR=none, PIXVERSE_CONCURRENCY for each configured account, or for one).
    queueDetail: createQueueDetail(database.db, {
      weights: config.FAIR_SHARE_WEIGHTS,
      // Until a video has finished here: the operator's figure, or in demo mode the simulator's time (plus a
      // second for submitting and polling).
      expectedGenerationMs: config.ETA_DEFAULT_SECONDS !== undefined ? config.ETA_DEFAULT_SECONDS * 1000 : config.demo ? config.SIM_GENERATION_MS + 1000 : undefined,
      slots: gen.generator
        ? etaSlots({ accountStates: gen.states }, config.PIXVERSE_CONCURRENCY, () => adminQueries.pausedAccounts())
        : async () => Math.max(1, config.accounts.length) * config.PIXVERSE_CONCURRENCY,
    }),
    // RATE_LIMIT_STORE=postgres: the per-minute counters in the database, shared by every instance on it.
    rateLimitStores:
      config.RATE_LIMIT_STORE === "postgres"
        ? postgresRateLimitStores(database.db, { onUnavailable: () => logger.warn("rate limit not counted: the database is unreachable") })
        : undefined,
  });
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: bunFetch(app.fetch, IDLE_TIMEOUT_SECONDS),
    // No cap of Bun's own: a body is streamed, never buffered before a route reads it, and every route that
    // reads one bounds it with Hono's bodyLimit, which answers the contract's JSON 413 (Bun's is a bare one).
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
    development: false,
  });
  logger.info("listening", { url: `http://${config.HOST}:${server.port}`, demo: config.demo });
  listeningUrl = listeningBase(config.HOST, server.port ?? config.PORT);

  // SIGTERM/SIGINT: stop taking requests and let those in flight finish (their rows commit), let submissions
  // under way get Pixverse's answer, hand any claim still held to reconciliation, close Chromium and the
  // database. A second signal, or the drain outliving SHUTDOWN_LIMIT_MS, ends the process at once: every
  // accepted job is a committed row by then, and a restart reconciles what was in flight.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn("second signal: exiting without waiting", { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info("shutting down", { signal });
    setTimeout(() => {
      logger.error("shutdown took too long; exiting", { limit_ms: SHUTDOWN_LIMIT_MS });
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    await server.stop();
    logger.info("no longer taking requests; in-flight requests answered");
    await dispatcher?.stop();
    await controls?.stop();
    // Attempts under way get a few seconds; the rest are handed back to the outbox (due at once, any instance).
    await webhooks?.stop();
    const released = await repo.resetLocksOf(owner).catch(() => 0);
    if (released > 0) logger.warn("released claims still held at shutdown; those jobs will be reconciled", { jobs: released });
    // Chromium closes first (nothing more reaches Pixverse from here), then the leases are deleted: another
    // instance takes the accounts over at its next heartbeat, without waiting for the TTL, and never while a
    // submission of ours could still be on its way.
    await gen.stop().catch((e) => logger.warn("generator did not stop cleanly", { error: e }));
    await leaseKeeper?.stop();
    await database.close().catch(() => {});
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

// A start that fails (the database unreachable, the port taken) is one JSON error line and exit code 1, not the
// runtime's own dump of the error. Secrets are registered by then, so the line is scrubbed like any other.
await main().catch((err: unknown) => {
  createLogger("error").error("the service could not start", { error: err });
  process.exit(1);
});
