// SIGTERM to one of two instances while clients are sending it requests (issue 11): it stops taking new
// ones, answers those it has, exits 0 within its drain limit, and every request it answered 200 is a stored
// job that the other instance finishes, each submitted to Pixverse once. Once for the instance that drives
// the account (its lease is handed over) and once for the one that only takes requests.
import { afterEach, describe, expect, test } from "bun:test";
import {
  Cluster,
  expectEachSubmittedOnce,
  explained,
  finalStatuses,
  leaseHolder,
  POSTGRES_URL,
  postText2video,
  ready,
  simStats,
  uniqueOwner,
  waitFor,
} from "./helpers.ts";

/** src/main.ts SHUTDOWN_LIMIT_MS: past it the process gives up draining and exits 1. */
const DRAIN_LIMIT_MS = 75_000;
/** Short enough that the standby notices a released lease within a second (heartbeats every third). */
const TTL_MS = 3000;

const cluster = new Cluster();
afterEach(() => cluster.cleanup());

describe.skipIf(!POSTGRES_URL)("graceful shutdown in a cluster [postgres]", () => {
  for (const stopped of ["lease holder", "standby"] as const) {
    test(`SIGTERM to the ${stopped} under load: it exits 0 within the drain limit, and every request it answered 200 is a stored job that the other instance finishes, once`, async () => {
      const sim = await cluster.simulator({ generationMs: 500, concurrency: 4 });
      const db = await cluster.database();
      const env = { ACCOUNT_LEASE_TTL_MS: String(TTL_MS) };
      // A first, holding the lease and signed in; then B, the standby.
      const a = await cluster.start({ instance: "instance-a", databaseUrl: db.url, sim, env });
      await waitFor(async () => ((await ready(a)).status === 200 ? true : undefined), 30_000, "instance-a to be signed in and ready");
      const b = await cluster.start({ instance: "instance-b", databaseUrl: db.url, sim, env });
      const why = <T>(p: Promise<T>) => explained(p, db, { "instance-a": a, "instance-b": b }, sim);
      expect((await why(leaseHolder(db, 5000))).holder).toBe("instance-a");
      const [target, other] = stopped === "lease holder" ? [a, b] : [b, a];

      const owner = uniqueOwner();
      const MAX_REQUESTS = 40;
      const results: { prompt: string; status?: number; id?: number; error?: string }[] = [];
      let sent = 0;
      let accepted = 0;
      let enoughAccepted!: () => void;
      const loaded = new Promise<void>((resolve) => (enoughAccepted = resolve));
      // Eight clients, each sending its next request as soon as the last is answered, until the instance is gone.
      const client = async () => {
        while (sent < MAX_REQUESTS) {
          const prompt = `sigterm to the ${stopped} ${sent++}`;
          try {
            const res = await postText2video(target, owner, prompt);
            const text = await res.text();
            const id = res.status === 200 ? (JSON.parse(text) as { video_id: number }).video_id : undefined;
            results.push({ prompt, status: res.status, id, error: res.status === 200 ? undefined : text });
            if (res.status === 200 && ++accepted === 5) enoughAccepted();
          } catch (e) {
            results.push({ prompt, error: String(e) }); // refused: the instance no longer takes connections
            return;
          }
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await Promise.race([loaded, Bun.sleep(20_000)]);
      expect(accepted, "requests accepted before SIGTERM").toBeGreaterThanOrEqual(5);
      const signalledAt = Date.now();
      const exit = target.stop("SIGTERM");
      await Promise.all(clients);
      const code = await Promise.race([exit, Bun.sleep(DRAIN_LIMIT_MS + 5_000).then(() => "still running")]);
      expect(code, "exit code of the SIGTERMed instance").toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(DRAIN_LIMIT_MS);
      expect(target.logs().some((l) => l.msg === "stopped")).toBe(true);

      // Every answer it gave was a 200; the rest found the door closed.
      const answered = results.filter((r) => r.status !== undefined);
      expect(answered.filter((r) => r.status !== 200)).toEqual([]);
      const acceptedIds = answered.map((r) => r.id!);
      expect(acceptedIds.length).toBeGreaterThanOrEqual(5);
      // Stored, every one of them, and nothing that was not answered.
      const rows = await db.query<{ id: number }>("select id from videos where apphud_user_id = $1 order by id", [owner.apphud_user_id]);
      expect(rows.map((r) => Number(r.id))).toEqual([...acceptedIds].sort((x, y) => x - y));

      expect(other.proc.exitCode, "the other instance is still running").toBeNull();
      const done = await why(finalStatuses(other, owner, acceptedIds, 60_000));
      for (const d of done) expect(d.url, JSON.stringify(d)).toBeString();
      const stats = await simStats(sim);
      expectEachSubmittedOnce(
        stats.prompts.map((p) => p.prompt),
        answered.map((r) => r.prompt),
      );
      // The account moved only if its driver was stopped: one more sign-in then, none otherwise.
      expect(stats.logins).toBe(stopped === "lease holder" ? 2 : 1);
    }, 150_000);
  }
});
