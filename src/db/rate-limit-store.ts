// hono-rate-limiter's Store over the rate_limits table (drizzle/0006, UNLOGGED: counters are worth less than
// the WAL writes a logged table would cost, and a crash at worst forgives a minute of requests). Every
// instance on the same database shares the counters, so a per-user limit holds across instances.
//
// One statement per request: an upsert that starts a fresh window when the key has none or its window has
// passed, and otherwise adds one hit, returning the count and the window's end. The window is measured on the
// database's clock (now()), the one clock every instance shares. Values travel as parameters only.
import { eq, lt, sql } from "drizzle-orm";
import type { ClientRateLimitInfo, HonoConfigType, Store } from "hono-rate-limiter";
import type { Env } from "hono";
import { isDatabaseUnavailable, type Db } from "./client.ts";
import { rateLimits } from "./schema.ts";

export interface PostgresRateLimitStoreOptions {
  /**
   * Called when the database cannot be reached during a count. The request is then let through uncounted
   * (a status read can still be answered from the cache, and a generation request gets its 503 from the
   * insert itself) rather than refused for a reason that is not the caller's. Called at most once a
   * minute, however many requests pass uncounted meanwhile.
   */
  onUnavailable?: (error: unknown) => void;
  /** How often rows whose window has passed are deleted (default: every 5 minutes). */
  purgeEveryMs?: number;
}

const DEFAULT_WINDOW_MS = 60_000;

export class PostgresRateLimitStore<E extends Env = Env> implements Store<E> {
  /** Counters are shared with other instances: hono-rate-limiter's double-count check must not assume otherwise. */
  readonly localKeys = false;
  #windowMs = DEFAULT_WINDOW_MS;
  #purge: ReturnType<typeof setInterval> | undefined;
  #lastUnavailableReport = 0;

  constructor(
    private readonly db: Db,
    private readonly options: PostgresRateLimitStoreOptions = {},
  ) {}

  init(options: HonoConfigType<E>): void {
    this.#windowMs = options.windowMs;
    // Expired rows are harmless (the upsert restarts them) but would pile up, one per user ever seen.
    clearInterval(this.#purge);
    this.#purge = setInterval(() => void this.#deleteExpired(), this.options.purgeEveryMs ?? 5 * 60_000);
    this.#purge.unref?.();
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const freshWindowEnd = sql`now() + ${this.#windowMs} * interval '1 millisecond'`;
    const expired = sql`${rateLimits.resetAt} <= now()`;
    try {
      const [row] = await this.db
        .insert(rateLimits)
        .values({ key, hits: 1, resetAt: freshWindowEnd })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            hits: sql`case when ${expired} then 1 else ${rateLimits.hits} + 1 end`,
            resetAt: sql`case when ${expired} then ${freshWindowEnd} else ${rateLimits.resetAt} end`,
          },
        })
        .returning({ hits: rateLimits.hits, resetAt: rateLimits.resetAt });
      return { totalHits: row!.hits, resetTime: row!.resetAt };
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (Date.now() - this.#lastUnavailableReport >= 60_000) {
        this.#lastUnavailableReport = Date.now();
        this.options.onUnavailable?.(error);
      }
      return { totalHits: 0, resetTime: undefined };
    }
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const [row] = await this.db
      .select({ hits: rateLimits.hits, resetAt: rateLimits.resetAt })
      .from(rateLimits)
      .where(sql`${rateLimits.key} = ${key} and ${rateLimits.resetAt} > now()`);
    return row ? { totalHits: row.hits, resetTime: row.resetAt } : undefined;
  }

  async decrement(key: string): Promise<void> {
    await this.db
      .update(rateLimits)
      .set({ hits: sql`greatest(${rateLimits.hits} - 1, 0)` })
      .where(eq(rateLimits.key, key));
  }

  async resetKey(key: string): Promise<void> {
    await this.db.delete(rateLimits).where(eq(rateLimits.key, key));
  }

  async resetAll(): Promise<void> {
    await this.db.delete(rateLimits);
  }

  shutdown(): void {
    clearInterval(this.#purge);
    this.#purge = undefined;
  }

  async #deleteExpired(): Promise<void> {
    await this.db
      .delete(rateLimits)
      .where(lt(rateLimits.resetAt, sql`now()`))
      .catch(() => {
        // An unreachable database now is retried at the next purge; nothing depends on it.
      });
  }
}
