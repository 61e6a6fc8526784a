// Entry point: load config once → database (migrated) → generator (+ simulator in demo mode) → dispatcher →
// HTTP server. SIGTERM/SIGINT drain: stop accepting, let submissions in progress finish, close everything.
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { createLogger, type Logger } from "./log.ts";
import { openDatabase, ping } from "./db/client.ts";
import { createVideoRepository } from "./db/videos.ts";
import { createVideoService } from "./videos.ts";
import { createApp } from "./app.ts";
import { createDispatcher, type Dispatcher } from "./dispatcher/dispatcher.ts";
import type { VideoGenerator } from "./domain/generator.ts";
import { createSidecarGenerator } from "./sidecar/client.ts";
import { expectedCredits } from "./sidecar/pixverse.ts";
import type { ReadinessReport } from "./http/routes/health.ts";

/** The demo account that the bundled simulator creates; it exists only inside the simulator. */
const DEMO_ACCOUNT = { email: "demo@simulator.local", password: "demo-password" };

async function startGenerator(config: Config, logger: Logger): Promise<{ generator: VideoGenerator | null; account: string; stop: () => Promise<void> }> {
  if (config.GENERATOR === "none") {
    logger.warn("GENERATOR=none: the API accepts and stores jobs, but nothing submits them to Pixverse");
    return { generator: null, account: "none", stop: async () => {} };
  }
  if (config.demo) {
    const { startSimulator } = await import("./simulator/server.ts");
    const sim = await startSimulator({
      port: config.SIM_PORT,
      generationMs: config.SIM_GENERATION_MS,
      ui: config.SIM_UI,
      email: DEMO_ACCOUNT.email,
      password: DEMO_ACCOUNT.password,
      // A restarted demo still has the videos it was making; they finish on their own schedule.
      stateFile: join(config.DATA_DIR, "simulator", "state.json"),
      logger: logger.child({ component: "simulator" }),
    });
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
    });
    return {
      generator,
      account: DEMO_ACCOUNT.email,
      stop: async () => {
        await generator.close();
        await sim.stop();
      },
    };
  }
  const generator = createSidecarGenerator({
    config,
    logger: logger.child({ component: "sidecar" }),
    accounts: [{ email: config.EMAIL!, password: config.PASSWORD! }],
    webUrl: config.PIXVERSE_WEB_URL,
    apiUrl: config.PIXVERSE_API_URL,
  });
  return { generator, account: config.EMAIL!, stop: () => generator.close() };
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
  const logger = createLogger(config.LOG_LEVEL);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : `${config.DATA_DIR}/pglite` });
  logger.info("database ready", { kind: database.kind });

  const repo = createVideoRepository(database);
  let dispatcher: Dispatcher | null = null;
  const videos = createVideoService(repo, {
    onAccepted: () => dispatcher?.notify(),
    limits: {
      maxActivePerUser: config.MAX_ACTIVE_VIDEOS_PER_USER,
      maxQueueDepth: config.MAX_QUEUE_DEPTH,
      deadlineMinutes: config.JOB_DEADLINE_MINUTES,
    },
  });

  const gen = await startGenerator(config, logger);
  if (gen.generator) {
    const cost = expectedCredits(config.generation);
    logger.info("generation settings (callers may choose model, quality, duration, aspect_ratio, seed, negative_prompt)", {
      submit: config.PIXVERSE_SUBMIT,
      create_path: config.PIXVERSE_CREATE_PATH,
      ...config.generation,
      expected_credits_per_video: cost.credits ?? "unknown for this quality",
      ...(cost.extras.length > 0 ? { plus_unpriced_extras: cost.extras } : {}),
    });
    dispatcher = createDispatcher({
      repo,
      generator: gen.generator,
      logger,
      owner: config.INSTANCE_ID ?? process.env.FLY_MACHINE_ID ?? hostname(),
      account: gen.account,
      settings: config.generation,
      onChange: (id) => videos.changed(id),
    });
    await dispatcher.start();
  }

  const readiness = async (): Promise<ReadinessReport> => {
    const checks: ReadinessReport["checks"] = {};
    try {
      await ping(database.db);
      checks.database = { ok: true };
    } catch {
      checks.database = { ok: false, detail: "database unreachable" };
    }
    if (gen.generator) {
      const h = gen.generator.health();
      checks.pixverse = { ok: h.ready, detail: h.detail ? `${h.state}: ${h.detail}` : h.state };
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };

  const app = createApp({
    videos,
    logger,
    limits: { generationsPerMinute: config.RATE_LIMIT_GENERATIONS_PER_MINUTE, statusPerMinute: config.RATE_LIMIT_STATUS_PER_MINUTE },
    allowed: config.allowed,
    readiness,
  });
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    fetch: app.fetch,
    // Our own bounded reader answers 413 in JSON; Bun's cap only guards against absurd bodies.
    maxRequestBodySize: 1024 * 1024 * 1024,
    idleTimeout: 60,
    development: false,
  });
  logger.info("listening", { url: `http://${config.HOST}:${server.port}`, demo: config.demo });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    await server.stop();
    await dispatcher?.stop();
    await gen.stop().catch((e) => logger.warn("generator did not stop cleanly", { error: e }));
    await database.close().catch(() => {});
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

await main();
