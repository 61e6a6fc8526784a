// hono-rate-limiter's Store over the rate_limits table (drizzle/0006, UNLOGGED: counters are worth less than
// the WAL writes a logged table would cost, and a crash at worst forgives a minute of requests). Every
// instance on the same database shares the counters, so a per-user limit holds across instances.
//
// Counting is one upsert per turn of the event loop for every request of that turn (batcher.ts, as accepts share
// a commit), not one per request: with a statement each, get_status fell from 50–67k to 4k rps. The upsert
// starts a fresh window for a key that has none or whose window has passed, and otherwise adds the turn's hits,
// returning each key's count and window end; a key counted several times in one turn gives its requests
// consecutive counts, as one statement each would. Keys go in sorted order, so that instances lock their rows
// in one order. The window is measured on the database's clock (now()), the one clock every instance shares.
// Values travel as parameters only.
import { eq, lt, sql } from "drizzle-orm";
import type { ClientRateLimitInfo, HonoConfigType, Store } from "hono-rate-limiter";
import type { Env } from "hono";
import { isDatabaseUnavailable, type Db } from "./client.ts";
import { createBatcher } from "./batcher.ts";
import { rateLimits } from "./schema.ts";
import { int, rows, text } from "./sql-rows.ts";

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
/** The most requests counted by one statement. */
const COUNT_BATCH = 512;

export class PostgresRateLimitStore<E extends Env = Env> implements Store<E> {
  /** Counters are shared with other instances: hono-rate-limiter's double-count check must not assume otherwise. */
  readonly localKeys = false;
  #windowMs = DEFAULT_WINDOW_MS;
  #purge: ReturnType<typeof setInterval> | undefined;
  #lastUnavailableReport = 0;
  readonly #counts = createBatcher<string, ClientRateLimitInfo>((keys) => this.#count(keys), { maxItems: COUNT_BATCH });

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

  increment(key: string): Promise<ClientRateLimitInfo> {
    return this.#counts.add(key);
  }

  /** One hit for each of `keys` (a key may come more than once), in one statement; answers in the same order. */
  async #count(keys: string[]): Promise<ClientRateLimitInfo[]> {
    const hits = new Map<string, number>();
    for (const key of keys) hits.set(key, (hits.get(key) ?? 0) + 1);
    const distinct = [...hits.keys()].sort();
    let counted: Map<string, { total: number; resetTime: Date }>;
    try {
      counted = new Map(
        (await rows(this.db, upsertHits(distinct, distinct.map((key) => hits.get(key)!), this.#windowMs))).map((row) => [
          text(row.key),
          { total: int(row.hits), resetTime: new Date(int(row.reset_ms)) },
        ]),
      );
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (Date.now() - this.#lastUnavailableReport >= 60_000) {
        this.#lastUnavailableReport = Date.now();
        this.options.onUnavailable?.(error);
      }
      return keys.map(() => ({ totalHits: 0, resetTime: undefined }));
    }
    // The requests of a key counted n times get the last n counts, in the order they came.
    const given = new Map<string, number>();
    return keys.map((key) => {
      const { total, resetTime } = counted.get(key)!;
      const before = given.get(key) ?? 0;
      given.set(key, before + 1);
      return { totalHits: total - hits.get(key)! + before + 1, resetTime };
    });
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

/**
 * Adds `hits[i]` to `keys[i]`'s counter (keys distinct), restarting a counter whose window has passed; answers
 * each key's count and window end (ms since the epoch).
 */
function upsertHits(keys: string[], hits: number[], windowMs: number) {
  const freshWindowEnd = sql`now() + ${windowMs} * interval '1 millisecond'`;
  const expired = sql`${rateLimits.resetAt} <= now()`;
  return sql`insert into ${rateLimits} (key, hits, reset_at)
    select k, n, ${freshWindowEnd} from unnest(${sql.param(keys)}::text[], ${sql.param(hits)}::int[]) as t(k, n)
    on conflict (key) do update set
      hits = case when ${expired} then excluded.hits else ${rateLimits.hits} + excluded.hits end,
      reset_at = case when ${expired} then excluded.reset_at else ${rateLimits.resetAt} end
    returning key, hits, floor(extract(epoch from reset_at) * 1000)::bigint as reset_ms`;
}
