// callback_url on POST /text2video and /image2video: stored with the job when acceptable, a 400 naming the
// field for every refused kind of URL, a 400 saying webhooks are off without a secret, and the webhook in
// the OpenAPI document.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createApp } from "../../src/app.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { createVideoService } from "../../src/videos.ts";
import { createLogger } from "../../src/log.ts";
import type { CallbackPolicy } from "../../src/webhooks/address.ts";
import { freshDatabase, resetDatabase } from "../support/db.ts";
import { formPost, jsonPost, OWNER, TEST_ALLOWED } from "../support/app.ts";
import { png } from "../support/images.ts";

let current: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  current = await freshDatabase("pglite");
});
afterAll(() => current.drop());
beforeEach(() => resetDatabase(current.database));

function app(webhooks?: CallbackPolicy) {
  const repo = createVideoRepository(current.database);
  const videos = createVideoService(repo, { limits: { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 } });
  return createApp({
    videos,
    logger: createLogger("silent"),
    limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 },
    allowed: TEST_ALLOWED,
    webhooks,
  });
}

const ON: CallbackPolicy = { enabled: true, allowPrivate: false };

async function storedCallback(id: number): Promise<string | null> {
  const r = await current.database.db.execute<{ callback_url: string | null }>(sql`select callback_url from videos where id = ${id}`);
  return r.rows[0]!.callback_url;
}

describe("callback_url", () => {
  test("text2video stores it with the job and answers the contract's {video_id}", async () => {
    const res = await app(ON).request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url: "https://hooks.example.com/p?t=1" }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { video_id: number };
    expect(Object.keys(body)).toEqual(["video_id"]);
    expect(await storedCallback(body.video_id)).toBe("https://hooks.example.com/p?t=1");
  });

  test("image2video takes it as a form field", async () => {
    const res = await app(ON).request(
      ...formPost("/image2video", { ...OWNER, prompt: "a fox", callback_url: "https://hooks.example.com/i" }, { name: "a.png", bytes: png(8, 8), type: "image/png" }),
    );
    expect(res.status).toBe(200);
    expect(await storedCallback(((await res.json()) as { video_id: number }).video_id)).toBe("https://hooks.example.com/i");
  });

  test("absent, null or blank means no webhook", async () => {
    for (const callback_url of [undefined, null, "", "   "]) {
      const res = await app(ON).request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url }));
      expect(res.status).toBe(200);
      expect(await storedCallback(((await res.json()) as { video_id: number }).video_id)).toBeNull();
    }
  });

  const refused: [string, unknown, RegExp][] = [
    ["loopback IPv4", "http://127.0.0.1:8080/hook", /loopback/],
    ["private 10/8", "http://10.0.0.5/hook", /private/],
    ["private 172.16/12", "http://172.20.1.1/hook", /private/],
    ["private 192.168/16", "https://192.168.0.10/hook", /private/],
    ["link-local (cloud metadata)", "http://169.254.169.254/latest/meta-data/", /link-local/],
    ["CGNAT", "http://100.100.100.100/", /CGNAT/],
    ["multicast", "http://239.1.2.3/", /multicast/],
    ["unspecified", "http://0.0.0.0:3000/", /unspecified/],
    ["loopback IPv6", "http://[::1]:3000/", /loopback/],
    ["unique-local IPv6", "http://[fd00::1]/", /unique-local/],
    ["link-local IPv6", "http://[fe80::1]/", /link-local/],
    ["IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/", /loopback/],
    ["localhost", "http://localhost:3000/", /localhost/],
    ["a name under localhost", "http://app.localhost/", /localhost/],
    ["another scheme", "ftp://hooks.example.com/", /http or https/],
    ["not a URL", "hooks.example.com/x", /absolute/],
    ["credentials", "https://me:pw@hooks.example.com/", /user name or password/],
    ["too long", `https://hooks.example.com/${"x".repeat(2048)}`, /at most 2048/],
    ["not a string", 42, /must be a string/],
  ];
  for (const [what, url, why] of refused) {
    test(`refuses ${what} with a 400 naming callback_url`, async () => {
      const res = await app(ON).request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url: url }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; field: string; message: string };
      expect(body.error).toBe("invalid_parameter");
      expect(body.field).toBe("callback_url");
      expect(body.message).toMatch(why);
    });
  }

  test("nothing is stored for a refused callback URL", async () => {
    await app(ON).request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url: "http://127.0.0.1/" }));
    const r = await current.database.db.execute<{ n: number }>(sql`select count(*)::int as n from videos`);
    expect(r.rows[0]!.n).toBe(0);
  });

  test("WEBHOOK_ALLOW_PRIVATE=true accepts a private receiver", async () => {
    const res = await app({ enabled: true, allowPrivate: true }).request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url: "http://127.0.0.1:9/hook" }));
    expect(res.status).toBe(200);
  });

  test("without WEBHOOK_SECRET a callback_url is a 400 saying webhooks are off", async () => {
    const res = await app().request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox", callback_url: "https://hooks.example.com/" }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_parameter", field: "callback_url", message: expect.stringMatching(/webhooks are off/) });
  });

  test("the OpenAPI document describes callback_url and, with webhooks on, the video.finished webhook", async () => {
    const doc = (await (await app(ON).request("/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, { description?: string }> }> };
      webhooks?: Record<string, { post: { requestBody: { content: Record<string, unknown> } } }>;
    };
    expect(doc.components.schemas.Text2VideoRequest!.properties.callback_url!.description).toMatch(/video\.finished/);
    expect(doc.components.schemas.Image2VideoRequest!.properties.callback_url).toBeDefined();
    expect(doc.webhooks?.["video.finished"]?.post.requestBody.content["application/json"]).toBeDefined();
    expect(doc.components.schemas.VideoFinishedEvent).toBeDefined();
    const off = (await (await app().request("/openapi.json")).json()) as { webhooks?: unknown };
    expect(off.webhooks ?? {}).toEqual({});
  });
});
