// BucketHistogram (src/metrics-histogram.ts) must expose exactly what prom-client's own Histogram exposes for
// the same observations: scrapers and dashboards cannot tell them apart.
import { describe, expect, test } from "bun:test";
import { Histogram, Registry } from "prom-client";
import { BucketHistogram } from "../../src/metrics-histogram.ts";

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: [string, string, number][] = [
  ["/get_status", "GET", 0.0004],
  ["/get_status", "GET", 0.001],
  ["/get_status", "GET", 0.05],
  ["/text2video", "POST", 0.3],
  ["/text2video", "POST", 7],
  ["/get_status", "GET", 2.5],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const histogram = new Histogram({ name: "d_seconds", help: "Durations.", labelNames: ["route", "method"], buckets: BUCKETS, registers: [theirs] });
  const bucket = new BucketHistogram("d_seconds", "Durations.", BUCKETS, ours);
  for (const [route, method, v] of OBSERVED) {
    histogram.labels(route, method).observe(v);
    bucket.child({ route, method }).observe(v);
  }
  return { theirs, ours, bucket };
}

describe("BucketHistogram", () => {
  test("writes the same exposition text as prom-client's Histogram for the same observations", async () => {
    const { theirs, ours } = both();
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('d_seconds_bucket{le="0.001",route="/get_status",method="GET"} 2');
    expect(text).toContain('d_seconds_bucket{le="+Inf",route="/text2video",method="POST"} 2');
    expect(text).toContain('d_seconds_count{route="/get_status",method="GET"} 4');
  });

  test("answers the same JSON as prom-client's Histogram (which adds an empty exemplar)", async () => {
    const { theirs, ours } = both();
    const strip = (metrics: { values: object[] }[]) => metrics.map((m) => m.values.map(({ exemplar: _, ...v }: { exemplar?: unknown }) => v));
    expect(strip(await ours.getMetricsAsJSON())).toEqual(strip(await theirs.getMetricsAsJSON()));
  });

  test("ignores a value that is not a finite number instead of corrupting the sum", async () => {
    const registry = new Registry();
    const h = new BucketHistogram("d_seconds", "Durations.", BUCKETS, registry);
    const child = h.child({ route: "/x" });
    child.observe(Number.NaN);
    child.observe(0.5);
    expect(await registry.metrics()).toContain('d_seconds_sum{route="/x"} 0.5');
    expect(await registry.metrics()).toContain('d_seconds_count{route="/x"} 1');
  });

  test("keeps one child per label set and empties on reset", async () => {
    const { ours, bucket } = both();
    expect(bucket.child({ route: "/get_status", method: "GET" })).toBe(bucket.child({ route: "/get_status", method: "GET" }));
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain("d_seconds_count");
  });
});
