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

test("credits left are shown per account while it is driven here, and dropped when it goes to standby", async () => {
  const m = createMetrics({ processMetrics: false });
  const ann = "a***@example.com";
  m.accounts([{ account: ann, state: "ready", credits: null }]);
  expect(valueOf(parseMetrics(await m.text()), "pixverse_account_credits", { account: ann })).toBeUndefined();
  m.accounts([{ account: ann, state: "ready", credits: 480 }]);
  m.accounts([{ account: ann, state: "ready", credits: 460 }]);
  expect(valueOf(parseMetrics(await m.text()), "pixverse_account_credits", { account: ann })).toBe(460);
  m.accounts([{ account: ann, state: "standby" }]);
  const samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_account_credits", { account: ann })).toBeUndefined();
  expect(valueOf(samples, "pixverse_account_state", { account: ann, state: "standby" })).toBe(1);
});

test("the lease gauge is 1 for each account this instance holds and 0 for the others, masked", async () => {
  const m = createMetrics({ processMetrics: false });
  m.leases(["ann@example.com", "bob@example.com"], ["bob@example.com"]);
  let samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_account_lease_held", { account: "a***@example.com" })).toBe(0);
  expect(valueOf(samples, "pixverse_account_lease_held", { account: "b***@example.com" })).toBe(1);
  m.leases(["ann@example.com", "bob@example.com"], []);
  samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_account_lease_held", { account: "b***@example.com" })).toBe(0);
  expect(await m.text()).not.toContain("bob@example.com");
});

test("the lease holder of each account is read at scrape time; expired leases are not shown, a failed read is a scrape error", async () => {
  const m = createMetrics({ processMetrics: false });
  let fail = false;
  m.leaseHoldersFrom(async () => {
    if (fail) throw new Error("connection refused");
    return [
      { account: "ann@example.com", holder: "machine-1", expiresAt: new Date(Date.now() + 30_000) },
      { account: "bob@example.com", holder: "machine-2", expiresAt: new Date(Date.now() - 1_000) },
    ];
  });
  let samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_account_lease_holder", { account: "a***@example.com", holder: "machine-1" })).toBe(1);
  expect(valueOf(samples, "pixverse_account_lease_holder", { account: "b***@example.com", holder: "machine-2" })).toBeUndefined();
  expect(valueOf(samples, "pixverse_metrics_scrape_errors_total", { collector: "pixverse_account_lease_holder" })).toBe(0);
  fail = true;
  samples = parseMetrics(await m.text());
  expect(valueOf(samples, "pixverse_account_lease_holder", { account: "a***@example.com", holder: "machine-1" })).toBeUndefined();
  expect(valueOf(samples, "pixverse_metrics_scrape_errors_total", { collector: "pixverse_account_lease_holder" })).toBe(1);
});
