// GET /metrics after real traffic through the app: requests by declared route, method and status, latency
// histograms, the queue depth by state read from the database at scrape time, and no metrics at all when
// the app is built without them.
import { expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { createVideoRepository } from "../../src/db/videos.ts";
import { silentLogger } from "../../src/log.ts";
import { createMetrics, type Metrics } from "../../src/metrics.ts";
import { createVideoService } from "../../src/videos.ts";
import type { Database } from "../../src/db/client.ts";
import { jsonPost, OWNER, statusUrl, TEST_ALLOWED } from "../support/app.ts";
import { describeEachDatabase } from "../support/db.ts";
import { parseMetrics, samplesOf, valueOf } from "./parse.ts";

const LIMITS = { maxActivePerUser: 1000, maxQueueDepth: 1000, deadlineMinutes: 30 };

function build(database: Database, metrics?: Metrics) {
  const repo = createVideoRepository(database);
  const videos = createVideoService(repo, { limits: LIMITS });
  const app = createApp({ videos, logger: silentLogger, limits: { generationsPerMinute: 10_000, statusPerMinute: 10_000 }, allowed: TEST_ALLOWED, metrics });
  return { app, repo };
}

async function scrape(app: ReturnType<typeof build>["app"]) {
  const res = await app.request("/metrics");
  expect(res.status).toBe(200);
  return { res, samples: parseMetrics(await res.text()) };
}

describeEachDatabase("metrics over HTTP", (db) => {
  test("counts requests by declared route, method and status, never by raw URL", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { app } = build(db(), metrics);
    const created = await app.request(...jsonPost("/text2video", { ...OWNER, prompt: "a fox" }));
    expect(created.status).toBe(200);
    const { video_id } = (await created.json()) as { video_id: number };
    for (let i = 0; i < 3; i++) expect((await app.request(statusUrl(video_id))).status).toBe(200);
    expect((await app.request(statusUrl(999_999))).status).toBe(404);
    expect((await app.request("/no/such/path?x=1")).status).toBe(404);
    expect((await app.request("/get_status", { method: "DELETE" })).status).toBe(405);

    const { res, samples } = await scrape(app);
    expect(res.headers.get("content-type")).toBe(metrics.contentType);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const total = (route: string, method: string, status: string) => valueOf(samples, "http_requests_total", { route, method, status });
    expect(total("/get_status", "GET", "200")).toBe(3);
    expect(total("/get_status", "GET", "404")).toBe(1);
    expect(total("/text2video", "POST", "200")).toBe(1);
    expect(total("unmatched", "GET", "404")).toBe(1);
    expect(total("/get_status", "DELETE", "405")).toBe(1);
    // No label anywhere carries a query string or an unknown path.
    for (const s of samplesOf(samples, "http_requests_total")) expect(["/get_status", "/text2video", "unmatched"]).toContain(s.labels.route!);

    const count = (route: string, method: string) => valueOf(samples, "http_request_duration_seconds_count", { route, method });
    expect(count("/get_status", "GET")).toBe(4);
    expect(count("/text2video", "POST")).toBe(1);
    expect(valueOf(samples, "http_request_duration_seconds_bucket", { route: "/get_status", method: "GET", le: "+Inf" })).toBe(4);
    expect(valueOf(samples, "http_request_duration_seconds_sum", { route: "/get_status", method: "GET" })).toBeGreaterThan(0);
  });

  test("a scrape is itself counted under /metrics", async () => {
    const { app } = build(db(), createMetrics({ processMetrics: false }));
    await scrape(app);
    const { samples } = await scrape(app);
    expect(valueOf(samples, "http_requests_total", { route: "/metrics", method: "GET", status: "200" })).toBe(1);
  });

  test("reports the jobs not yet final by state from the database at scrape time; finished ones are not scanned", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { app, repo } = build(db(), metrics);
    metrics.queueDepthFrom(() => repo.countByState());
    for (const prompt of ["one", "two", "three"]) expect((await app.request(...jsonPost("/text2video", { ...OWNER, prompt }))).status).toBe(200);
    const [first] = await repo.claimQueued("owner-a", 1);
    await repo.finish(first!.id, "failed", { errorCode: "test" });

    const { samples } = await scrape(app);
    const depth = (state: string) => valueOf(samples, "videos_by_state", { state });
    expect(depth("queued")).toBe(2);
    expect(depth("generating")).toBe(0);
    expect(depth("failed")).toBeUndefined();
    expect(valueOf(samples, "pixverse_metrics_scrape_errors_total", { collector: "videos_by_state" })).toBe(0);
  });

  test("a database failure at scrape time skips the queue depth and counts a scrape error", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const { app } = build(db(), metrics);
    metrics.queueDepthFrom(async () => {
      throw new Error("connection refused");
    });
    const { samples } = await scrape(app);
    expect(samplesOf(samples, "videos_by_state")).toEqual([]);
    expect(valueOf(samples, "pixverse_metrics_scrape_errors_total", { collector: "videos_by_state" })).toBe(1);
  });

  test("without metrics there is no /metrics route and nothing is recorded", async () => {
    const { app } = build(db());
    const res = await app.request("/metrics");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe("not_found");
  });
});
