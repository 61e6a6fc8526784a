// Puts the simulator together on one port: pages, the JSON API, the upload route, media, the pages'
// scripts and the control API.
import { Hono } from "hono";
import { silentLogger, type Logger } from "../log.ts";
import { apiRoutes } from "./api.ts";
import { controlRoutes } from "./control.ts";
import { DEFAULT_UI, type Ui } from "./layouts.ts";
import { mediaRoutes, uploadRoutes, type MediaAssets } from "./media.ts";
import { pageRoutes } from "./pages.ts";
import { persistState, type StatePersistence } from "./persist.ts";
import { SimState } from "./state.ts";
import { mediaVideoId } from "./videos.ts";

export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** `port` is only a wish: when it is taken, any free port (a restarted demo asks for its last one). */
  portIsPreferred?: boolean;
  hostname?: string;
  /** Base generation time; each video takes it ±20 % (×10 with `[sim:slow]`). Default 4000. */
  generationMs?: number;
  /** Relative spread of generation times; default 0.2 (±20 %). Benchmarks use 0 for exact times. */
  jitter?: number;
  /** Generations one account may run at once (plan `gen_simultaneously`). Default 2. */
  concurrency?: number;
  /** Credits of each new account. Default 1 000 000 ("plenty"). */
  credits?: number;
  /** With a password: an account created at start and after every reset. */
  email?: string;
  password?: string;
  /** The page layout ("2026", the default, or "2025"); an account's own `ui` wins over it. */
  ui?: Ui;
  /**
   * A JSON file to keep the state in across restarts (accounts, sessions, videos, media records): loaded at
   * start if it exists, written after every change (debounced) and on stop. Without it, nothing is kept.
   */
  stateFile?: string;
  logger?: Logger;
  /** Test seams: the clock and the randomness behind jitter, seeds and ids. */
  now?: () => number;
  random?: () => number;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:43121`; pages, API and control API all live under it. */
  url: string;
  port: number;
  state: SimState;
  /** Close the port, save the state file (if any), and forget everything. Nothing keeps running afterwards. */
  stop(): Promise<void>;
}

export const DEFAULTS = { generationMs: 4000, concurrency: 2, credits: 1_000_000 } as const;

export interface SimulatorAssets extends MediaAssets {
  /** The pages' scripts by name (see SCRIPT_NAMES). */
  scripts: Record<string, string>;
}

const SCRIPT_NAMES = ["common", "login", "create", "ant", "login2026", "creation", "challenge"] as const;

/** Read the committed sample video, its first frame and the pages' scripts. */
export async function loadAssets(): Promise<SimulatorAssets> {
  const file = (path: string) => Bun.file(new URL(path, import.meta.url));
  const [mp4, jpg] = await Promise.all([file("./assets/sample.mp4").bytes(), file("./assets/sample.jpg").bytes()]);
  const scripts = await Promise.all(SCRIPT_NAMES.map(async (n) => [n, await file(`./static/${n}.js`).text()] as const));
  return { mp4, jpg, scripts: Object.fromEntries(scripts) };
}

/** The simulator's Hono app over a given state. No I/O here: the caller serves it. */
export function createSimulatorApp(deps: { state: SimState; assets: SimulatorAssets; logger: Logger }): Hono {
  const { state, assets, logger } = deps;
  const app = new Hono();
  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    logger.debug("simulator request", { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  });
  app.route("/creative_platform", apiRoutes(state));
  app.route("/oss", uploadRoutes(state.uploads));
  app.route(
    "/media",
    mediaRoutes(state.uploads, assets, (path) => {
      const id = mediaVideoId(path);
      return id !== null && state.rendering(id);
    }),
  );
  app.route("/__sim", controlRoutes(state));
  app.get("/static/:name{[a-z0-9]+\\.js}", (c) => {
    const script = assets.scripts[c.req.param("name").replace(/\.js$/, "")];
    if (script === undefined) return c.notFound();
    return c.body(script, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" });
  });
  app.route("/", pageRoutes(state));
  app.onError((err, c) => {
    logger.error("simulator error", { method: c.req.method, path: c.req.path, err });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/** Start a simulator on `port` (0 = any free one). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const logger = options.logger ?? silentLogger;
  const state = new SimState({
    generationMs: options.generationMs ?? DEFAULTS.generationMs,
    jitter: options.jitter ?? 0.2,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    credits: options.credits ?? DEFAULTS.credits,
    defaultAccount: options.email && options.password !== undefined ? { email: options.email, password: options.password } : null,
    ui: options.ui ?? DEFAULT_UI,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  });
  const persistence: StatePersistence | null = options.stateFile ? persistState(state, options.stateFile, logger) : null;
  const app = createSimulatorApp({ state, assets: await loadAssets(), logger });
  const hostname = options.hostname ?? "127.0.0.1";
  const listen = (port: number) => Bun.serve({ port, hostname, fetch: app.fetch });
  let server: ReturnType<typeof listen>;
  try {
    server = listen(options.port ?? 0);
  } catch (e) {
    if (!options.portIsPreferred || !options.port) throw e;
    server = listen(0);
  }
  const port = server.port ?? 0;
  // A wildcard address is not one to browse to; name the loopback instead.
  const shown = hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  const url = `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
  logger.debug("pixverse simulator listening (local stand-in, not the real Pixverse)", { url });
  return {
    url,
    port,
    state,
    async stop() {
      await server.stop(true);
      // Saved before the reset below, which must not reach the file.
      persistence?.close();
      state.reset();
    },
  };
}
