// Durability: the real service (src/main.ts, GENERATOR=none) accepts a job with a callback URL and is killed
// with SIGKILL; the job is then ended by updating its row (which writes the outbox event in that
// transaction), and the service started again on the same data delivers the signed event. On the embedded
// PGlite of DATA_DIR and, with TEST_DATABASE_URL, on PostgreSQL.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../src/db/client.ts";
import { verifySignature } from "../../src/webhooks/signature.ts";
import { backends, emptyPostgresDatabase } from "../support/db.ts";
import { startService, type ServiceProcess } from "../support/service-process.ts";
import { SECRET, startReceiver } from "./helpers.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

for (const backend of backends()) {
  describe(`webhooks across a kill -9 [${backend}]`, () => {
    test("an event written while the service was dead is delivered, signed, after it starts again", async () => {
      const receiver = startReceiver();
      cleanups.push(receiver.stop);
      const dir = await mkdtemp(join(tmpdir(), "webhooks-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const pg = backend === "postgres" ? await emptyPostgresDatabase() : null;
      if (pg) cleanups.push(pg.drop);
      const env = {
        DATA_DIR: dir,
        GENERATOR: "none",
        INSTANCE_ID: "webhooks-e2e",
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_ALLOW_PRIVATE: "true",
        ...(pg ? { DATABASE_URL: pg.url } : {}),
      };
      let service: ServiceProcess = await startService(env);
      cleanups.push(() => service.stop("SIGKILL"));

      const res = await fetch(`${service.url}/text2video`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ app_bundle_id: "com.example.videoapp", apphud_user_id: "user-1", prompt: "a fox", callback_url: receiver.url }),
      });
      expect(res.status).toBe(200);
      const { video_id } = (await res.json()) as { video_id: number };

      expect(await service.stop("SIGKILL")).not.toBe(0);
      // The job ends while no service runs: the outbox row is written by the statement that ends it.
      const database = await openDatabase(pg ? { url: pg.url } : { dataDir: join(dir, "pglite") });
      await database.db.execute(sql`update videos set state = 'succeeded', result_url = 'https://cdn.example/fox.mp4', finished_at = now() where id = ${video_id}`);
      await database.close();
      await Bun.sleep(200);
      expect(receiver.received).toHaveLength(0);

      service = await startService(env);
      await receiver.waitFor(1, 30_000);
      const got = receiver.received[0]!;
      expect(verifySignature(SECRET, got.body, got.headers.get("x-signature"))).toBe(true);
      expect(JSON.parse(got.body)).toMatchObject({
        event: "video.finished",
        video_id,
        app_bundle_id: "com.example.videoapp",
        apphud_user_id: "user-1",
        status: "Generation successful",
        url: "https://cdn.example/fox.mp4",
      });
      expect(got.headers.get("x-event-id")).toBe(JSON.parse(got.body).event_id);

      // A clean stop after delivery; nothing is sent twice.
      expect(await service.stop("SIGTERM")).toBe(0);
      expect(service.logs().some((l) => l.msg === "webhook worker stopped")).toBe(true);
      expect(receiver.received).toHaveLength(1);
    });
  });
}
