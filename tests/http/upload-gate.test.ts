// image2video's upload gate (src/http/upload-gate.ts): a few uploads are read at once, and slow senders cannot
// stall the others: a wait for a slot is bounded (503 with Retry-After), a body that does not arrive in time is
// a 408 that frees its slot, and a caller that goes away while waiting leaves the queue with nothing stored.
import { expect, test } from "bun:test";
import { connect } from "node:net";
import { createApp } from "../../src/app.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { createVideoService } from "../../src/videos.ts";
import type { UploadGateOptions } from "../../src/http/upload-gate.ts";
import { bunFetch } from "../../src/http/bun-fetch.ts";
import { GENEROUS, TEST_ALLOWED } from "../support/app.ts";
import { png } from "../support/images.ts";
import { expectError, multipartPost, sharedPglite, uniqueOwner, videoIdOf } from "./helpers.ts";

const db = sharedPglite();

function appWith(uploads: UploadGateOptions) {
  const videos = createVideoService(createVideoRepository(db()), {
    limits: { maxActivePerUser: GENEROUS.maxActivePerUser, maxQueueDepth: GENEROUS.maxQueueDepth, deadlineMinutes: GENEROUS.deadlineMinutes },
  });
  return createApp({ videos, logger: silentLogger, limits: { generationsPerMinute: 1000, statusPerMinute: 1000 }, allowed: TEST_ALLOWED, uploads });
}

const upload = (owner = uniqueOwner(), init: RequestInit = {}): [string, RequestInit] => {
  const [path, base] = multipartPost("/image2video", { prompt: "the cat waves", ...owner }, { name: "cat.png", bytes: png(32, 32), type: "image/png" });
  return [path, { ...base, ...init }];
};

/** An upload whose body sends its first fields and then nothing more, never ending. */
function stalledUpload(): [string, RequestInit] {
  const boundary = "stalled-boundary";
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nslow\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`;
  const body = new ReadableStream<Uint8Array>({
    start(ctrl) {
      ctrl.enqueue(new TextEncoder().encode(head));
    },
  });
  return ["/image2video", { method: "POST", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body, duplex: "half" } as RequestInit];
}

test("an upload whose body does not arrive within the read time is a 408 JSON that closes the connection", async () => {
  const app = appWith({ slots: 1, waitMs: 5_000, readMs: 200 });
  const res = await app.request(...stalledUpload());
  const err = await expectError(res, 408);
  expect(err).toEqual({ error: "request_timeout", message: "the upload did not arrive within 0.2 s" });
  expect(res.headers.get("connection")).toBe("close");
});

test("with every slot held by a stalled upload, the next upload waits and gets the slot once the stalled one times out", async () => {
  const app = appWith({ slots: 1, waitMs: 5_000, readMs: 300 });
  const stalled = app.request(...stalledUpload());
  await Bun.sleep(20);
  const started = performance.now();
  const id = await videoIdOf(await app.request(...upload()));
  expect(id).toBeGreaterThan(0);
  // It waited for the stalled upload's read time, not for the stalled body.
  expect(performance.now() - started).toBeGreaterThan(200);
  await expectError(await stalled, 408);
});

test("a wait for a slot longer than the wait limit is a 503 with Retry-After, and nothing is stored", async () => {
  const app = appWith({ slots: 1, waitMs: 100, readMs: 2_000 });
  const stalled = app.request(...stalledUpload());
  await Bun.sleep(20);
  const owner = uniqueOwner();
  const res = await app.request(...upload(owner));
  const err = await expectError(res, 503);
  expect(err).toEqual({ error: "service_unavailable", message: "too many uploads are in progress; try again shortly" });
  expect(res.headers.get("retry-after")).toBe("5");
  await expectError(await stalled, 408);
  const stored = await db().db.execute(`select count(*)::int as n from videos where apphud_user_id = '${owner.apphud_user_id}'`);
  expect(Number(stored.rows[0]!.n)).toBe(0);
});

test("a caller that goes away while waiting for a slot leaves the queue: nothing is read or stored for it", async () => {
  const app = appWith({ slots: 1, waitMs: 5_000, readMs: 300 });
  const stalled = app.request(...stalledUpload());
  await Bun.sleep(20);
  const owner = uniqueOwner();
  const abort = new AbortController();
  const gone = app.request(...upload(owner, { signal: abort.signal }));
  await Bun.sleep(20);
  abort.abort();
  expect((await gone).status).toBe(400);
  await expectError(await stalled, 408);
  // The slot is free again: a new upload goes through at once.
  await videoIdOf(await app.request(...upload()));
  const stored = await db().db.execute(`select count(*)::int as n from videos where apphud_user_id = '${owner.apphud_user_id}'`);
  expect(Number(stored.rows[0]!.n)).toBe(0);
});

test("on a real connection an upload that takes longer than the server's idle timeout is read to the end and stored, with the caller's address; the kept-alive connection then idles out as usual", async () => {
  // Bun closes a connection not answered within idleTimeout, body data or not; the gate gives an upload's
  // connection its whole wait and read (here 1 + 10 + 30 s), then the usual timeout again. Here: idle 1 s (Bun
  // closes such a connection after about 4 s), a body sent over about 8 s.
  const app = appWith({ slots: 1, waitMs: 1_000, readMs: 10_000 });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 1, fetch: bunFetch(app.fetch, 1) });
  try {
    const owner = uniqueOwner();
    const [, init] = upload(owner);
    const encoded = new Response(init.body);
    const type = encoded.headers.get("content-type");
    const body = new Uint8Array(await encoded.arrayBuffer());
    const head = `POST /image2video HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${body.byteLength}\r\n\r\n`;
    let answeredAt = 0;
    const { answer, closedAt } = await new Promise<{ answer: string; closedAt: number }>((resolve) => {
      let text = "";
      const socket = connect(server.port!, "127.0.0.1", async () => {
        socket.write(head);
        const piece = Math.ceil(body.byteLength / 8);
        for (let at = 0; at < body.byteLength; at += piece) {
          socket.write(body.subarray(at, at + piece));
          await Bun.sleep(1_000);
        }
      });
      socket.setEncoding("utf8");
      socket.on("data", (chunk) => {
        text += chunk;
        if (!answeredAt && /\r\n\r\n\{.*\}$/s.test(text)) answeredAt = Date.now();
      });
      socket.on("close", () => resolve({ answer: text, closedAt: Date.now() }));
      socket.on("error", () => resolve({ answer: text, closedAt: Date.now() }));
    });
    expect(answer).toStartWith("HTTP/1.1 200");
    const { video_id } = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { video_id: number };
    const stored = await db().db.execute(`select client_ip from videos where id = ${video_id}`);
    expect(stored.rows[0]!.client_ip).toBe("127.0.0.1");
    // Closed by the server's usual idle timeout, not the 41 s the upload had.
    expect(closedAt - answeredAt).toBeLessThan(12_000);
  } finally {
    server.stop(true);
  }
}, 40_000);
