// The operator page over HTTP: off without ADMIN_PASSWORD, basic auth, what it shows, and each action acting
// (pause and resume reach the dispatcher's choice of account, requeue runs the job again, retry sign-in
// reaches the sidecar of the instance holding the account), with actions from other sites refused.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createDispatcher } from "../../src/dispatcher/dispatcher.ts";
import { silentLogger } from "../../src/log.ts";
import { createControlsWatcher } from "../../src/admin/controls.ts";
import { accountKey } from "../../src/admin/view.ts";
import { failedMinutesAgo } from "./fixture.ts";
import { maskEmail } from "../../src/sidecar/mask.ts";
import { describeEachDatabase } from "../support/db.ts";
import { buildApp } from "../support/app.ts";
import { ScriptedGenerator } from "../support/scripted-generator.ts";
import { TEST_SETTINGS } from "../support/settings.ts";
import { ANN, AUTH, BOB, CAROL, LIMITS, PASSWORD, SAME_ORIGIN, basic, buildAdminApp, resetAdminTables, seed, status, t2v } from "./fixture.ts";

describeEachDatabase("operator page", (db) => {
  const setup = async (options?: Parameters<typeof buildAdminApp>[1]) => {
    await resetAdminTables(db());
    return buildAdminApp(db(), options);
  };
  const post = (f: ReturnType<typeof buildAdminApp>, path: string, headers: Record<string, string> = SAME_ORIGIN, body?: BodyInit) =>
    f.app.request(path, { method: "POST", headers, body });

  test("without ADMIN_PASSWORD there is no page: /admin is a 404 like any unknown path", async () => {
    const { app } = buildApp(db());
    const admin = await app.request("/admin", { headers: AUTH });
    const unknown = await app.request("/no-such-page");
    expect(admin.status).toBe(404);
    expect(await admin.json()).toEqual({ error: "not_found", message: "no route GET /admin" });
    expect(unknown.status).toBe(404);
    expect((await app.request("/admin/accounts/x/pause", { method: "POST", headers: SAME_ORIGIN })).status).toBe(404);
  });

  test("refuses without credentials, with a wrong password or user: 401 asking for basic auth", async () => {
    const f = await setup();
    const attempts: Record<string, string>[] = [{}, { authorization: basic("admin", "wrong-password-here") }, { authorization: basic("root", PASSWORD) }, { authorization: "Bearer x" }];
    for (const headers of attempts) {
      const res = await f.app.request("/admin", { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toStartWith("Basic realm=");
      expect(await res.json()).toMatchObject({ error: "unauthorized" });
    }
    // Actions too, before anything else is looked at.
    expect((await post(f, "/admin/jobs/1/requeue", { origin: "http://localhost", host: "localhost" })).status).toBe(401);
    // The password is never logged.
    expect(f.logLines.join("\n")).not.toContain(PASSWORD);
  });

  test("a page request and an action each leave exactly one request log line, with the id they answered", async () => {
    const f = await setup();
    const page = await f.app.request("/admin", { headers: AUTH });
    const action = await post(f, "/admin/jobs/999999/requeue");
    const lines = f.logLines.map((l) => JSON.parse(l) as { msg: string; request_id: string; path: string }).filter((l) => l.msg === "request");
    expect(lines.map((l) => l.request_id)).toEqual([page.headers.get("x-request-id")!, action.headers.get("x-request-id")!]);
  });

  test("shows the accounts (masked), their state, credits, slots and lease holder, the queue by state and the recent failures", async () => {
    const f = await setup();
    const { failedId, moderatedId } = await seed(f);
    const res = await f.app.request("/admin", { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const html = await res.text();
    for (const masked of ["a***@example.com", "b***@example.com", "c***@example.com"]) expect(html).toContain(masked);
    for (const email of [ANN, BOB, CAROL]) expect(html).not.toContain(email);
    expect(html).toContain("1180");
    expect(html).toMatch(/s-ready">ready/);
    expect(html).toMatch(/s-elsewhere">elsewhere/);
    expect(html).toContain("instance-b");
    // Queue by state: one submitting, two queued.
    expect(html).toMatch(/data-state="queued"><span class="muted">queued<\/span><b>2<\/b>/);
    expect(html).toMatch(/data-state="submitting"><span class="muted">submitting<\/span><b>1<\/b>/);
    // Failures with their codes; only the failed one can be requeued.
    expect(html).toContain(`data-job="${failedId}"`);
    expect(html).toContain("500054");
    expect(html).toContain("pixverse_status_7");
    expect(html).toContain(`/admin/jobs/${failedId}/requeue`);
    expect(html).not.toContain(`/admin/jobs/${moderatedId}/requeue`);
    // No script of any kind, nothing loaded from elsewhere.
    expect(html).not.toContain("<script");
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  test("an account another instance drives shows what that instance reported with its last heartbeat", async () => {
    const f = await setup();
    await seed(f);
    const report = { state: "paused_credits", since: "2026-03-01T10:00:00.000Z", capacity: 3, inFlight: 2, credits: 7 };
    await f.leases.acquire("instance-b", [CAROL], 60_000, new Map([[CAROL, report]]));
    const html = await (await f.app.request("/admin", { headers: AUTH })).text();
    const row = html.slice(html.indexOf(maskEmail(CAROL)));
    expect(row).toMatch(/s-paused_credits">paused_credits/);
    expect(row).toContain("driven by instance-b, as it reported at");
    expect(row).toMatch(/>2 \/ 3</);
    expect(html).not.toContain(CAROL);
  });

  test("for an account that needs a person, the exact steps to finish the login headed", async () => {
    const f = await setup();
    await seed(f);
    const html = await (await f.app.request("/admin", { headers: AUTH })).text();
    expect(html).toContain(`id="human-${accountKey(BOB)}"`);
    expect(html).toContain("HEADLESS=false");
    expect(html).toMatch(/\/data\/session\/pixverse-[0-9a-f]{24}\.json/);
    expect(html).toContain("chown app:app");
    expect(html).toContain("Retry sign-in");
    // Headed, the window is already open: the page says to use it.
    const headed = await setup({ headless: false });
    await seed(headed);
    expect(await (await headed.app.request("/admin", { headers: AUTH })).text()).toContain("A Chromium window is open");
  });

  test("actions from another site, or with no Origin at all, are refused and change nothing", async () => {
    const f = await setup();
    await seed(f);
    const path = `/admin/accounts/${accountKey(ANN)}/pause`;
    for (const headers of [AUTH, { ...AUTH, host: "localhost", origin: "https://evil.example" }, { ...AUTH, host: "localhost", referer: "https://evil.example/page" }, { ...AUTH, host: "localhost", origin: "null" }]) {
      const res = await post(f, path, headers);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: "forbidden" });
    }
    expect(await f.queries.pausedAccounts()).toEqual(new Set());
    // The same request from the page's own origin acts.
    expect((await post(f, path)).status).toBe(303);
    expect(await f.queries.pausedAccounts()).toEqual(new Set([ANN]));
  });

  test("pause: the dispatcher gives a paused account no new job, its job under way still finishes; resume: it takes jobs again", async () => {
    const f = await setup();
    f.accounts = [status(ANN, "ready"), status(BOB, "ready")];
    const generator = new ScriptedGenerator();
    generator.accounts = [ANN, BOB];
    generator.cap = 5;
    const dispatcher = createDispatcher({
      repo: f.repo,
      generator,
      logger: silentLogger,
      owner: "instance-a",
      accounts: [ANN, BOB],
      settings: TEST_SETTINGS,
      watchPollMs: 0,
      pausedAccounts: () => f.queries.pausedAccounts(),
    });
    const [first] = (await f.repo.insertBatch([t2v("before the pause")], LIMITS)).map((o) => (o.ok ? o.id : -1));
    await dispatcher.runOnce();
    const running = await f.repo.findJob(first!);
    expect(running!.state).toBe("generating");
    const pausedAccount = running!.account!;
    const other = pausedAccount === ANN ? BOB : ANN;

    const res = await post(f, `/admin/accounts/${accountKey(pausedAccount)}/pause`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin?done=paused");
    expect(await (await f.app.request("/admin?done=paused", { headers: AUTH })).text()).toContain("Account paused");

    await f.repo.insertBatch([t2v("p1", "u1"), t2v("p2", "u2"), t2v("p3", "u3")], LIMITS);
    generator.set(running!.pixverseVideoId!, 1, "https://media.example/first.mp4");
    await dispatcher.runOnce();
    // Every new job went to the other account; the paused one's video was still polled and finished.
    expect(generator.submitted.slice(1).map((s) => s.account)).toEqual([other, other, other]);
    expect((await f.repo.findJob(first!))!.state).toBe("succeeded");

    expect((await post(f, `/admin/accounts/${accountKey(pausedAccount)}/resume`)).status).toBe(303);
    expect(await f.queries.pausedAccounts()).toEqual(new Set());
    await f.repo.insertBatch([t2v("after", "u9")], LIMITS);
    generator.cap = 3; // the other account is full now: the job can only go to the resumed one
    await dispatcher.runOnce();
    expect(generator.submitted.at(-1)!.account).toBe(pausedAccount);
  });

  test("retry sign-in reaches the sidecar of the instance holding the account, once", async () => {
    const f = await setup();
    await seed(f);
    expect((await post(f, `/admin/accounts/${accountKey(BOB)}/sign-in`)).status).toBe(303);
    const [control] = await f.queries.listControls();
    expect(control).toMatchObject({ account: BOB, paused: false });
    expect(control!.signInRequestedAt).toBeInstanceOf(Date);

    const asked: string[] = [];
    const generator = { signInAgain: async (a: string) => (asked.push(a), true) };
    // An instance that does not hold the account leaves the request alone.
    const elsewhere = createControlsWatcher({ queries: f.queries, held: () => [CAROL], generator, logger: silentLogger });
    await elsewhere.runOnce();
    expect(asked).toEqual([]);
    const holder = createControlsWatcher({ queries: f.queries, held: () => [ANN, BOB], generator, logger: silentLogger });
    await holder.runOnce();
    await holder.runOnce();
    expect(asked).toEqual([BOB]);
    expect((await f.queries.listControls())[0]!.signInRequestedAt).toBeNull();
  });

  test("another method on an action is a JSON 405 with Allow: POST, and does nothing", async () => {
    const f = await setup();
    await seed(f);
    for (const path of ["/admin/jobs/1/requeue", "/admin/accounts/0123456789abcdef/pause", "/admin/accounts/x/sign-in"]) {
      const res = await f.app.request(path, { headers: AUTH });
      expect(res.status, path).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(await res.json()).toMatchObject({ error: "method_not_allowed" });
    }
    expect(await f.queries.listControls()).toEqual([]);
  });

  test("an unknown account is a 404 and changes nothing", async () => {
    const f = await setup();
    await seed(f);
    const res = await post(f, "/admin/accounts/0123456789abcdef/pause");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not_found", message: "no such account" });
    expect(await f.queries.listControls()).toEqual([]);
  });

  test("requeue: a failed job is queued again as new (attempts 0, errors cleared, a fresh deadline) and runs", async () => {
    const f = await setup();
    const [id] = (await f.repo.insertBatch([t2v("try again", "u1", { callbackUrl: "https://hooks.example/cb" })], LIMITS)).map((o) => (o.ok ? o.id : -1));
    await db().db.execute(sql`update videos set attempts = 3, account = ${ANN}, deadline_at = now() - interval '1 minute' where id = ${id}`);
    await f.repo.finish(id!, "failed", { errorCode: "deadline", errorMessage: "the job did not finish before its deadline" });
    const before = await db().db.execute(sql`select event_id from webhook_deliveries where video_id = ${id}`);
    expect(before.rows).toHaveLength(1);
    // Just failed: a submission of it may still be under way, so not yet.
    const early = await post(f, `/admin/jobs/${id}/requeue`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as { message: string }).message).toContain("may still be under way");
    await failedMinutesAgo(f, id!, 4);

    const res = await post(f, `/admin/jobs/${id}/requeue`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin?done=requeued");
    expect(f.changed).toEqual([id!]);
    const row = (await db().db.execute(sql`select state, attempts, error_code, error_message, account, finished_at, deadline_at > now() + interval '29 minutes' as fresh from videos where id = ${id}`)).rows[0];
    expect(row).toMatchObject({ state: "queued", attempts: 0, error_code: null, error_message: null, account: null, finished_at: null, fresh: true });
    // Its webhook event goes: the job's next end sends a new one.
    expect((await db().db.execute(sql`select 1 from webhook_deliveries where video_id = ${id}`)).rows).toHaveLength(0);

    const generator = new ScriptedGenerator();
    const dispatcher = createDispatcher({ repo: f.repo, generator, logger: silentLogger, owner: "instance-a", accounts: [generator.accounts[0]!], settings: TEST_SETTINGS, watchPollMs: 0 });
    await dispatcher.runOnce();
    const job = await f.repo.findJob(id!);
    expect(job!.state).toBe("generating");
    generator.set(job!.pixverseVideoId!, 1, "https://media.example/again.mp4");
    await dispatcher.runOnce();
    expect((await f.repo.findJob(id!))!.state).toBe("succeeded");
    const after = await db().db.execute(sql`select event_id, state from webhook_deliveries where video_id = ${id}`);
    expect(after.rows).toHaveLength(1);
    expect(after.rows[0]).toMatchObject({ state: "succeeded" });
    expect((after.rows[0] as { event_id: string }).event_id).not.toBe((before.rows[0] as { event_id: string }).event_id);
  });

  test("requeue refuses what cannot run again: not failed (409), unknown (404), a bad id (400), an image job whose image is gone (409)", async () => {
    const f = await setup();
    const { moderatedId } = await seed(f);
    expect((await post(f, `/admin/jobs/${moderatedId}/requeue`)).status).toBe(409);
    expect((await post(f, "/admin/jobs/999999/requeue")).status).toBe(404);
    const bad = await post(f, "/admin/jobs/abc/requeue");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_parameter" });
    const [i2v] = (await f.repo.insertBatch([t2v("an image job", "u7", { kind: "i2v", image: { bytes: new Uint8Array([1, 2, 3]), type: "png", width: 1, height: 1 } })], LIMITS)).map((o) => (o.ok ? o.id : -1));
    await f.repo.finish(i2v!, "failed", { errorCode: "x" }); // ending a job drops its image
    const gone = await post(f, `/admin/jobs/${i2v}/requeue`);
    expect(gone.status).toBe(409);
    expect(await gone.json()).toMatchObject({ error: "conflict" });
    expect((await f.repo.findJob(moderatedId))!.state).toBe("moderated");
  });

  test("requeue by id from the form", async () => {
    const f = await setup();
    const { failedId } = await seed(f);
    const form = new URLSearchParams({ id: String(failedId) });
    const res = await post(f, "/admin/jobs/requeue", { ...SAME_ORIGIN, "content-type": "application/x-www-form-urlencoded" }, form);
    expect(res.status).toBe(303);
    expect((await f.repo.findJob(failedId))!.state).toBe("queued");
    const empty = await post(f, "/admin/jobs/requeue", { ...SAME_ORIGIN, "content-type": "application/x-www-form-urlencoded" }, "id=");
    expect(empty.status).toBe(400);
  });
});
