// The per-minute limits (429 with a JSON body naming the limit and a Retry-After header), keyed by the
// caller's app_bundle_id + apphud_user_id and never by address: one user's 429 never touches another.
// These are HTTP concerns, so the videos live in memory; the database limits are in persistence.test.ts.
import { describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log.ts";
import { jsonPost, statusUrl } from "../support/app.ts";
import { png } from "../support/images.ts";
import { appWith, expectError, multipartPost, recordingVideos, uniqueOwner, videoIdOf, type ErrorBody } from "./helpers.ts";

type Owner = { app_bundle_id: string; apphud_user_id: string };

function limited(limits: { generationsPerMinute?: number; statusPerMinute?: number }) {
  const videos = recordingVideos();
  const app = appWith(videos, silentLogger, { generationsPerMinute: 10_000, statusPerMinute: 10_000, ...limits });
  return { app, videos };
}

const t2v = (owner: Owner, headers: Record<string, string> = {}) => jsonPost("/text2video", { ...owner, prompt: "a fox" }, headers);

/** A 429 naming `limit`, with a Retry-After of whole seconds within the minute that agrees with the body. */
async function expectLimited(res: Response, limit: string): Promise<ErrorBody> {
  const body = await expectError(res, 429);
  expect(body.error).toBe("rate_limited");
  expect(body.limit, JSON.stringify(body)).toBe(limit);
  const retryAfter = res.headers.get("retry-after");
  expect(retryAfter, JSON.stringify(body)).toMatch(/^[1-9][0-9]*$/);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  expect(body.retry_after).toBe(Number(retryAfter));
  expect(Object.keys(body).sort()).toEqual(["error", "limit", "message", "retry_after"]);
  return body;
}

describe("generation requests per user per minute", () => {
  test("answers the third text2video of a user with 429 generations_per_minute when the limit is 2", async () => {
    const { app, videos } = limited({ generationsPerMinute: 2 });
    const owner = uniqueOwner();
    await videoIdOf(await app.request(...t2v(owner)));
    await videoIdOf(await app.request(...t2v(owner)));
    await expectLimited(await app.request(...t2v(owner)), "generations_per_minute");
    expect(videos.created).toHaveLength(2);
  });

  test("does not limit another apphud_user_id or another app_bundle_id", async () => {
    const { app } = limited({ generationsPerMinute: 2 });
    const owner = uniqueOwner();
    for (let i = 0; i < 3; i++) await app.request(...t2v(owner));
    await expectLimited(await app.request(...t2v(owner)), "generations_per_minute");
    await videoIdOf(await app.request(...t2v({ ...owner, apphud_user_id: `${owner.apphud_user_id}-b` })));
    await videoIdOf(await app.request(...t2v({ ...owner, app_bundle_id: "com.example.another" })));
  });

  test("keeps ids apart when one id's text could run into the other's", async () => {
    const { app } = limited({ generationsPerMinute: 1 });
    await videoIdOf(await app.request(...t2v({ app_bundle_id: "com.a:b", apphud_user_id: "c" })));
    await videoIdOf(await app.request(...t2v({ app_bundle_id: "com.a", apphud_user_id: "b:c" })));
    await videoIdOf(await app.request(...t2v({ app_bundle_id: "com.a:b:c", apphud_user_id: "x" })));
  });

  test("keys the limit by user, not by address", async () => {
    const { app } = limited({ generationsPerMinute: 1 });
    const owner = uniqueOwner();
    await videoIdOf(await app.request(...t2v(owner, { "x-forwarded-for": "203.0.113.1" })));
    await expectLimited(await app.request(...t2v(owner, { "x-forwarded-for": "203.0.113.2" })), "generations_per_minute");
    await videoIdOf(await app.request(...t2v(uniqueOwner(), { "x-forwarded-for": "203.0.113.1" })));
  });

  test("counts text2video and image2video together", async () => {
    const { app } = limited({ generationsPerMinute: 2 });
    const owner = uniqueOwner();
    await videoIdOf(await app.request(...t2v(owner)));
    await videoIdOf(await app.request(...multipartPost("/image2video", { ...owner, prompt: "cat" }, { name: "a.png", bytes: png(8, 8) })));
    const res = await app.request(...multipartPost("/image2video", { ...owner, prompt: "cat" }, { name: "a.png", bytes: png(8, 8) }));
    await expectLimited(res, "generations_per_minute");
  });

  test("does not count requests refused for their input: bad fields, a file that is not an image, one too wide", async () => {
    const { app } = limited({ generationsPerMinute: 1 });
    const owner = uniqueOwner();
    await expectError(await app.request(...jsonPost("/text2video", { ...owner, prompt: "" })), 400);
    await expectError(await app.request(...multipartPost("/image2video", { ...owner, prompt: "cat" }, { name: "a.gif", bytes: new TextEncoder().encode("GIF89a not really") })), 400);
    await expectError(await app.request(...multipartPost("/image2video", { ...owner, prompt: "cat" }, { name: "a.png", bytes: png(4001, 10) })), 413);
    // The one request of the minute is still there for a good one.
    await videoIdOf(await app.request(...multipartPost("/image2video", { ...owner, prompt: "cat" }, { name: "a.png", bytes: png(8, 8) })));
    await expectLimited(await app.request(...t2v(owner)), "generations_per_minute");
  });

  test("does not spend the status budget on generation requests", async () => {
    const { app } = limited({ generationsPerMinute: 5, statusPerMinute: 1 });
    const owner = uniqueOwner();
    const id = await videoIdOf(await app.request(...t2v(owner)));
    await videoIdOf(await app.request(...t2v(owner)));
    const res = await app.request(statusUrl(id, owner));
    expect(res.status, await res.clone().text()).toBe(200);
  });
});

describe("status requests per user per minute", () => {
  test("answers the third get_status of a user with 429 status_requests_per_minute when the limit is 2, and not another user", async () => {
    const { app } = limited({ statusPerMinute: 2 });
    const owner = uniqueOwner();
    const other = uniqueOwner();
    const mine = await videoIdOf(await app.request(...t2v(owner)));
    const theirs = await videoIdOf(await app.request(...t2v(other)));
    for (let i = 0; i < 2; i++) {
      const res = await app.request(statusUrl(mine, owner));
      expect(res.status, await res.clone().text()).toBe(200);
    }
    await expectLimited(await app.request(statusUrl(mine, owner)), "status_requests_per_minute");
    const res = await app.request(statusUrl(theirs, other));
    expect(res.status, await res.clone().text()).toBe(200);
  });

  test("does not spend the generation budget on status requests", async () => {
    const { app } = limited({ generationsPerMinute: 1, statusPerMinute: 5 });
    const owner = uniqueOwner();
    for (let i = 0; i < 3; i++) await app.request(statusUrl(1, owner));
    await videoIdOf(await app.request(...t2v(owner)));
  });
});
