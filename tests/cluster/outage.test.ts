// A running service process loses PostgreSQL (issue 11): a TCP proxy between it and the server is cut (every
// connection dropped, new ones refused) and later restored on the same port; the server itself is never
// touched. While cut: a request that needs the database is 503 JSON with Retry-After (never a 500), /ready
// says the database is down, get_status still answers a video read before the cut, and the process (with its
// dispatcher polling) stays up. Once restored: new requests succeed and /ready is ready again, without a restart.
import { afterEach, describe, expect, test } from "bun:test";
import { png } from "../support/images.ts";
import { viaProxy } from "../support/tcp-proxy.ts";
import {
  Cluster,
  finalStatuses,
  POSTGRES_URL,
  postText2video,
  ready,
  serverErrors,
  status,
  text2video,
  uniqueOwner,
  waitFor,
} from "./helpers.ts";

const UNAVAILABLE = { error: "service_unavailable", message: "the database is unreachable; try again shortly" };

async function expectUnavailable(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(503);
  expect(res.headers.get("content-type")).toContain("application/json");
  expect(res.headers.get("retry-after"), text).toBe("5");
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(JSON.parse(text)).toEqual(UNAVAILABLE);
}

const cluster = new Cluster();
afterEach(() => cluster.cleanup());

describe.skipIf(!POSTGRES_URL)("a database outage under a running service [postgres]", () => {
  test("while PostgreSQL is cut off requests are 503 with Retry-After, /ready is 503 naming the database, and get_status answers a video read before; once it is back everything works again without a restart", async () => {
    const sim = await cluster.simulator({ generationMs: 500, concurrency: 2 });
    const db = await cluster.database();
    const proxy = cluster.proxy(db.url);
    await proxy.listen();
    const s = await cluster.start({ instance: "instance-a", databaseUrl: viaProxy(db.url, proxy), sim });
    await waitFor(async () => ((await ready(s)).status === 200 ? true : undefined), 30_000, "the service to be ready");
    const owner = uniqueOwner();
    const known = await text2video(s, owner, "finished before the outage");
    const [knownAnswer] = await finalStatuses(s, owner, [known], 30_000);
    expect(knownAnswer!.url, JSON.stringify(knownAnswer)).toBeString();

    await proxy.cut();
    const during = uniqueOwner("outage");
    const started = Date.now();
    // Several rounds over a few seconds: the dispatcher's own queries fail meanwhile, and nothing falls over.
    for (let round = 0; Date.now() - started < 4000 || round < 2; round++) {
      const posts = await Promise.all(Array.from({ length: 4 }, (_, i) => postText2video(s, during, `during the outage ${round}.${i}`)));
      for (const res of posts) await expectUnavailable(res);
      const form = new FormData();
      for (const [k, v] of Object.entries(during)) form.append(k, v);
      form.append("prompt", "an image during the outage");
      form.append("file", new File([png(64, 48) as Uint8Array<ArrayBuffer>], "a.png", { type: "image/png" }));
      await expectUnavailable(await fetch(`${s.url}/image2video`, { method: "POST", body: form }));

      const r = await ready(s);
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.ready).toBe(false);
      expect(r.body.checks.database).toEqual({ ok: false, detail: "database unreachable" });

      expect(await status(s, owner, known)).toEqual(knownAnswer!);
      await Bun.sleep(500);
    }
    expect(s.proc.exitCode, "the service rode out the outage").toBeNull();

    await proxy.listen();
    // The pool reconnects on its own: 503 until then, 200 after, never anything else.
    const after = await waitFor(
      async () => {
        const res = await postText2video(s, owner, "after the outage");
        if (res.status === 503) return undefined;
        const text = await res.text();
        expect(res.status, text).toBe(200);
        return (JSON.parse(text) as { video_id: number }).video_id;
      },
      15_000,
      "text2video to be accepted again",
      250,
    );
    await waitFor(async () => ((await ready(s)).status === 200 ? true : undefined), 30_000, "/ready to be ready again");
    expect((await ready(s)).body.checks.database).toEqual({ ok: true });
    const [afterAnswer] = await finalStatuses(s, owner, [after], 30_000);
    expect(afterAnswer!.url, JSON.stringify(afterAnswer)).toBeString();

    // Nothing answered 503 was stored, and no request was ever a 500.
    expect((await db.query<{ n: number }>("select count(*)::int as n from videos where apphud_user_id = $1", [during.apphud_user_id]))[0]!.n).toBe(0);
    expect(serverErrors(s)).toEqual([]);
  }, 120_000);
});
