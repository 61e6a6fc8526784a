// createMetrics on its own: registries that do not clash, and logins/replacements derived from pushed states.
import { expect, test } from "bun:test";
import { register } from "prom-client";
import { createMetrics } from "../../src/metrics.ts";
import { parseMetrics, valueOf } from "./parse.ts";

test("two metric sets in one process keep their own counts and leave the global registry empty", async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.sidecarRestarted();
  a.sidecarRestarted();
  b.sidecarRestarted();
  expect(valueOf(parseMetrics(await a.text()), "sidecar_restarts_total")).toBe(2);
  expect(valueOf(parseMetrics(await b.text()), "sidecar_restarts_total")).toBe(1);
  expect((await register.metrics()).trim()).toBe("");
  // Process metrics come along by default.
  expect(valueOf(parseMetrics(await a.text()), "process_cpu_user_seconds_total")).toBeGreaterThanOrEqual(0);
});

test("a session restored without signing in is not a login; a repeated 10005 detail is one replacement", async () => {
  const m = createMetrics({ processMetrics: false });
  const acct = "o***@example.com";
  m.accounts([{ account: acct, state: "ready" }]);
  m.accounts([{ account: acct, state: "ready" }]);
  m.accounts([{ account: acct, state: "signed_out", detail: "session lost (ErrCode 10005)" }]);
  m.accounts([{ account: acct, state: "signed_out", detail: "session lost (ErrCode 10005)" }]);
  m.accounts([{ account: acct, state: "signing_in" }]);
  m.accounts([{ account: acct, state: "ready", detail: "signed in" }]);
  m.accounts([{ account: acct, state: "signed_out", detail: "session lost (ErrCode 10002)" }]);
  const samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_logins_total", { account: acct })).toBe(1);
  expect(valueOf(samples, "pixverse_session_replaced_total", { account: acct })).toBe(1);
  expect(valueOf(samples, "pixverse_account_state", { account: acct, state: "signed_out" })).toBe(1);
  expect(valueOf(samples, "pixverse_account_state", { account: acct, state: "ready" })).toBe(0);
});

test("a refusal without an ErrCode is labelled code=none", async () => {
  const m = createMetrics({ processMetrics: false });
  m.submitRefused("unavailable");
  m.submitRefused("concurrency", 500044);
  const samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_submit_refusals_total", { kind: "unavailable", code: "none" })).toBe(1);
  expect(valueOf(samples, "pixverse_submit_refusals_total", { kind: "concurrency", code: "500044" })).toBe(1);
});
