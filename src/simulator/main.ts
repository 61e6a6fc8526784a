// `bun run simulator`: the Pixverse simulator as a process for people (and benchmarks). The only module
// of the simulator that reads the environment.
import { z } from "zod";
import { createLogger, LOG_LEVELS } from "../log.ts";
import { DEFAULT_UI, UI_LAYOUTS } from "./layouts.ts";
import { DEFAULTS, startSimulator } from "./server.ts";

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const int = (fallback: number, min: number) => z.preprocess(emptyAsUndefined, z.coerce.number().int().min(min).default(fallback));

const envSchema = z
  .object({
    SIM_PORT: int(0, 0).pipe(z.number().max(65535)),
    SIM_HOST: z.preprocess(emptyAsUndefined, z.string().default("127.0.0.1")),
    SIM_GENERATION_MS: int(DEFAULTS.generationMs, 0),
    SIM_CONCURRENCY: int(DEFAULTS.concurrency, 1),
    SIM_CREDITS: int(DEFAULTS.credits, 0),
    SIM_EMAIL: z.preprocess(emptyAsUndefined, z.string().optional()),
    SIM_PASSWORD: z.preprocess(emptyAsUndefined, z.string().optional()),
    SIM_UI: z.preprocess(emptyAsUndefined, z.enum(UI_LAYOUTS).default(DEFAULT_UI)),
    SIM_STATE_FILE: z.preprocess(emptyAsUndefined, z.string().optional()),
    LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(LOG_LEVELS).default("info")),
  })
  .refine((e) => (e.SIM_EMAIL === undefined) === (e.SIM_PASSWORD === undefined), {
    message: "SIM_EMAIL and SIM_PASSWORD must be set together",
    path: ["SIM_EMAIL"],
  });

const parsed = envSchema.safeParse(process.env);
const logger = createLogger(parsed.success ? parsed.data.LOG_LEVEL : "info");
if (!parsed.success) {
  // Names the variables only, never their values.
  logger.error("invalid simulator configuration", { problems: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
  process.exit(2);
}
const env = parsed.data;

const sim = await startSimulator({
  port: env.SIM_PORT,
  hostname: env.SIM_HOST,
  generationMs: env.SIM_GENERATION_MS,
  concurrency: env.SIM_CONCURRENCY,
  credits: env.SIM_CREDITS,
  email: env.SIM_EMAIL,
  password: env.SIM_PASSWORD,
  ui: env.SIM_UI,
  stateFile: env.SIM_STATE_FILE,
  logger,
});
logger.info("Pixverse SIMULATOR ready: a local stand-in, not the real site", {
  url: sim.url,
  login: `${sim.url}/login`,
  ui: env.SIM_UI,
  account: env.SIM_EMAIL ?? "none (create one: POST /__sim/accounts)",
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  });
}
