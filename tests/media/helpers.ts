// What the media tests share: a stand-in for Pixverse's media host (the simulator's sample MP4 and JPEG,
// with failures and holds on demand), a local S3-compatible server (s3rver, an npm devDependency, run in
// this process: nothing to install beyond `bun install`), and a dispatcher wired with a copier.
import S3rver from "s3rver";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { createVideoRepository, type NewVideo } from "../../src/db/videos.ts";
import type { Database } from "../../src/db/client.ts";
import { createLogger } from "../../src/log.ts";
import { createMediaCopier } from "../../src/media/copier.ts";
import { createMediaQueries } from "../../src/media/queries.ts";
import type { MediaStore } from "../../src/media/store.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";

export const SAMPLE_MP4 = new Uint8Array(await Bun.file(new URL("../../src/simulator/assets/sample.mp4", import.meta.url)).arrayBuffer());
export const SAMPLE_JPG = new Uint8Array(await Bun.file(new URL("../../src/simulator/assets/sample.jpg", import.meta.url)).arrayBuffer());

export const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Pixverse's media host: `/v/<n>.mp4` and `/f/<n>.jpg` are the samples; failures and holds are scripted. */
export interface Origin {
  url: string;
  /** Requests seen, by path. */
  hits: string[];
  /** The next `n` requests answer this status (default 500). */
  fail(n: number, status?: number): void;
  /** Requests wait until release() (a copy caught in the middle). */
  hold(): void;
  release(): void;
  /** Answer this instead of the sample (e.g. an HTML error page with 200). */
  body: Uint8Array<ArrayBuffer> | null;
  /** Answer this instead of the sample JPEG, for first frames only. */
  frame: Uint8Array<ArrayBuffer> | null;
  /** First frames only: answer this HTTP status instead (e.g. 404), until set back to null. */
  frameStatus: number | null;
  stop(): Promise<void>;
}

export function startOrigin(): Origin {
  let failures: { n: number; status: number } = { n: 0, status: 500 };
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  const origin: Origin = {
    url: "",
    hits: [],
    body: null,
    frame: null,
    frameStatus: null,
    fail(n, status = 500) {
      failures = { n, status };
    },
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open();
      gate = null;
    },
    stop: async () => server.stop(true),
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = new URL(req.url).pathname;
      origin.hits.push(path);
      if (gate) await gate;
      if (failures.n > 0) {
        failures.n--;
        return new Response("upstream trouble", { status: failures.status });
      }
      if (origin.frameStatus !== null && path.endsWith(".jpg")) return new Response("no such frame", { status: origin.frameStatus });
      if (origin.body) return new Response(origin.body, { headers: { "content-type": "text/html" } });
      if (path.endsWith(".mp4")) return new Response(SAMPLE_MP4, { headers: { "content-type": "video/mp4" } });
      if (path.endsWith(".jpg")) return new Response(origin.frame ?? SAMPLE_JPG, { headers: { "content-type": "image/jpeg" } });
      return new Response("not found", { status: 404 });
    },
  });
  origin.url = `http://127.0.0.1:${server.port}`;
  return origin;
}

/** A local S3-compatible server with one bucket; its files in a temporary folder. */
export async function startS3(bucket = "media"): Promise<{ endpoint: string; bucket: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "s3rver-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    stop: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function t2v(prompt = "a fox in the snow", user = "u1"): NewVideo {
  return { appBundleId: "com.example.videoapp", apphudUserId: user, clientIp: null, kind: "t2v", prompt };
}

/** A dispatcher over a scripted Pixverse whose finished videos are copied into `store`; the log kept in `lines`. */
export function mediaDispatcher(
  database: Database,
  store: MediaStore | null,
  o: { backoffBaseMs?: number; timeoutMs?: number; deadlineMarginMs?: number; onChange?: (id: number) => void } = {},
) {
  const repo = createVideoRepository(database);
  const generator = new ScriptedGenerator();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("debug", (line) => lines.push(JSON.parse(line)));
  const copier = store
    ? createMediaCopier({
        store,
        queries: createMediaQueries(database.db),
        logger,
        limits: { maxBytes: 1024 * 1024, timeoutMs: o.timeoutMs ?? 5000, concurrency: 2 },
        backoffBaseMs: o.backoffBaseMs ?? 10,
        backoffMaxMs: o.backoffBaseMs ?? 10,
        deadlineMarginMs: o.deadlineMarginMs ?? 0,
      })
    : undefined;
  const dispatcher = createDispatcher({
    repo,
    generator,
    logger,
    owner: "instance-a",
    accounts: ["acct@example.com"],
    settings: TEST_SETTINGS,
    reconcileGraceMs: 0,
    lockTtlMs: 60_000,
    watchPollMs: 0,
    media: copier,
    onChange: o.onChange,
  });
  /** Pixverse finishes the job's video, with a first frame on the origin (or at the URL given, or none). */
  const finishAtPixverse = async (id: number, origin: Origin, frame: boolean | string = true) => {
    const job = (await repo.findJob(id))!;
    const pid = job.pixverseVideoId!;
    generator.videos.set(pid, {
      id: pid,
      status: 1,
      url: `${origin.url}/v/${pid}.mp4`,
      outputWidth: 640,
      outputHeight: 360,
      ...(typeof frame === "string" ? { firstFrame: frame } : frame ? { firstFrame: `${origin.url}/f/${pid}.jpg` } : {}),
    });
    return pid;
  };
  return { repo, generator, dispatcher, copier, lines, finishAtPixverse };
}
