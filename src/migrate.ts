// Migrations alone: `bun src/migrate.ts` (`bun run db:migrate`), Fly's release_command. Opens the database
// from DATABASE_URL exactly as the service does (openDatabase runs drizzle/ under the advisory lock), closes
// it, writes one JSON line and exits 0, or 1 when it could not migrate (2 for a bad configuration).
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import { createLogger, registerSecrets } from "./log.ts";

async function migrate(env: Record<string, string | undefined>): Promise<number> {
  const log = createLogger("info");
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    log.error("migrations not run: invalid configuration", { problems: e.problems });
    return 2;
  }
  registerSecrets([config.DATABASE_URL, config.PASSWORD]);
  // Fly runs the release command on a temporary machine without the volume: PGlite there would migrate a
  // database nobody uses and report success. The Fly deployment keeps its data in PostgreSQL.
  if (!config.DATABASE_URL && (env.RELEASE_COMMAND === "1" || env.FLY_APP_NAME)) {
    log.error("migrations not run: DATABASE_URL is not set (fly secrets set DATABASE_URL=postgres://…)", { app: env.FLY_APP_NAME });
    return 1;
  }
  const started = performance.now();
  try {
    const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATABASE_URL ? undefined : `${config.DATA_DIR}/pglite` });
    await database.close();
    log.info("migrations applied", { kind: database.kind, duration_ms: Math.round(performance.now() - started) });
    return 0;
  } catch (e) {
    log.error("migrations failed", { error: e });
    return 1;
  }
}

process.exit(await migrate(process.env));
