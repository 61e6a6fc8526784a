// The operator page, rendered on the server with hono/jsx: no script, no external file, one small inline
// stylesheet, tables that scroll sideways on a phone. Actions are plain POST forms (src/admin/routes.tsx).
import type { FC } from "hono/jsx";
import { raw } from "hono/html";
import { basename } from "node:path";
import type { AccountView, AdminView } from "./view.ts";
import type { FailureRow } from "../db/admin.ts";

/** What an action's redirect (`/admin?done=…`) announces at the top of the page; anything else shows nothing. */
export const NOTICES: Record<string, string> = {
  paused: "Account paused: it takes no new jobs; those under way finish.",
  resumed: "Account resumed: it takes jobs again.",
  sign_in: "Sign-in asked for: the instance that drives the account signs in again within a few seconds.",
  requeued: "Job queued again: it runs like a new one (attempts 0, a fresh deadline).",
};

const STYLE = `
:root{color-scheme:light dark;--fg:#1d2329;--muted:#5f6b76;--line:#d5dbe1;--bg:#fff;--card:#f6f8fa;--ok:#17803d;--warn:#b35c00;--bad:#c62828;--accent:#2255cc}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--muted:#9aa6b2;--line:#3a434c;--bg:#14181c;--card:#1c2228;--accent:#7aa2ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.35rem;margin:0 0 4px}h2{font-size:1.1rem;margin:28px 0 8px}
.sub{color:var(--muted);margin:0 0 12px}.notice{background:var(--card);border-left:4px solid var(--ok);padding:8px 12px;margin:12px 0}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:6px}table{border-collapse:collapse;width:100%;min-width:560px}
th,td{text-align:left;padding:7px 9px;border-bottom:1px solid var(--line);vertical-align:top}th{background:var(--card);font-weight:600;white-space:nowrap}
tr:last-child td{border-bottom:0}.num{text-align:right;font-variant-numeric:tabular-nums}code{font:13px ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.state{font-weight:600;white-space:nowrap}code.acct{word-break:normal;white-space:nowrap}.s-ready{color:var(--ok)}.s-needs_human,.s-paused_credits,.s-login_blocked,.s-signed_out,.s-signing_in{color:var(--warn)}.s-login_failed{color:var(--bad)}
.tag{display:inline-block;padding:0 6px;border-radius:4px;font-size:12px;font-weight:600;background:var(--warn);color:#fff;margin-left:4px}
.muted{color:var(--muted);font-size:13px}form{display:inline;margin:0}button{font:inherit;font-size:14px;padding:4px 10px;margin:2px 4px 2px 0;border:1px solid var(--line);border-radius:5px;background:var(--card);color:var(--fg);cursor:pointer}
button.primary{border-color:var(--accent);color:var(--accent)}.queue{display:flex;gap:10px;flex-wrap:wrap}.queue div{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px}
.queue b{display:block;font-size:1.4rem}.steps{background:var(--card);border:1px solid var(--warn);border-radius:6px;padding:10px 14px;margin:10px 0}.steps ol{margin:6px 0;padding-left:20px}
input{font:inherit;padding:3px 6px;width:9em;border:1px solid var(--line);border-radius:5px;background:var(--bg);color:var(--fg)}
`;

const time = (d: Date | string | null) => (d ? new Date(d).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—");
const orDash = (v: number | null) => (v === null ? "—" : String(v));

const AccountActions: FC<{ a: AccountView }> = ({ a }) => (
  <>
    <form method="post" action={`/admin/accounts/${a.key}/${a.paused ? "resume" : "pause"}`}>
      <button type="submit" class={a.paused ? "primary" : ""}>
        {a.paused ? "Resume" : "Pause"}
      </button>
    </form>
    <form method="post" action={`/admin/accounts/${a.key}/sign-in`}>
      <button type="submit">Retry sign-in</button>
    </form>
  </>
);

const LeaseCell: FC<{ a: AccountView }> = ({ a }) =>
  a.lease ? (
    <>
      <code>{a.lease.holder}</code>
      {a.lease.mine ? <span class="muted"> (this instance)</span> : null}
      <div class="muted">
        {a.lease.live ? "until" : "lapsed"} {time(a.lease.expiresAt)}
      </div>
    </>
  ) : (
    <span class="muted">none</span>
  );

/** The exact steps for an account waiting for a person (README "When Pixverse asks for a human"). */
const HumanSteps: FC<{ a: AccountView; headless: boolean; instance: string }> = ({ a, headless, instance }) => {
  const file = a.sessionFile ? basename(a.sessionFile) : "pixverse-….json";
  const dir = a.sessionFile ? a.sessionFile.slice(0, a.sessionFile.length - file.length) : "SESSION_DIR/";
  return (
    <div class="steps" id={`human-${a.key}`}>
      <b>{a.masked} needs a person to finish the login.</b>
      {a.detail ? <div class="muted">{a.detail}</div> : null}
      {headless ? (
        <ol>
          <li>
            On a computer with a display, from a clone of this repository, start the service on its own data with this
            account, headed: <code>HEADLESS=false EMAIL='…' PASSWORD='…' DATA_DIR=./human-login bun run serve</code> (this
            account, {a.masked}, and its password).
          </li>
          <li>Finish the login in the Chromium window that opens. Once the log says <code>signed in; session saved</code>, stop it (Ctrl-C).</li>
          <li>
            Copy <code>human-login/session/{file}</code> to <code>{dir}{file}</code> on {instance === a.lease?.holder || !a.lease ? "this instance" : <code>{a.lease.holder}</code>} (on Fly: <code>fly ssh sftp shell</code>,{" "}
            <code>put human-login/session/{file} /data/session/{file}</code>, then <code>fly ssh console -C "chown app:app /data/session/{file}"</code>).
          </li>
          <li>
            Press <b>Retry sign-in</b>: the instance that drives the account reopens it from that session (no new login). Do not use the account in your own
            browser meanwhile: Pixverse keeps one live session per account.
          </li>
        </ol>
      ) : (
        <ol>
          <li>A Chromium window is open on the machine of {a.lease?.holder ?? instance}: finish the login there.</li>
          <li>The service carries on by itself and saves the session for later headless runs. If the window was closed, press <b>Retry sign-in</b>.</li>
        </ol>
      )}
    </div>
  );
};

const Accounts: FC<{ view: AdminView }> = ({ view }) => (
  <>
    <h2>Accounts</h2>
    {view.accounts.length === 0 ? (
      <p class="muted">No Pixverse account is configured here or leased by any instance.</p>
    ) : (
      <div class="scroll">
        <table id="accounts">
          <thead>
            <tr>
              <th>Account</th>
              <th>State</th>
              <th class="num">Credits</th>
              <th class="num">In flight / slots</th>
              <th>Lease holder</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {view.accounts.map((a) => (
              <tr data-account={a.key}>
                <td>
                  <code class="acct">{a.masked}</code>
                  {a.paused ? <span class="tag">paused</span> : null}
                  {a.signInRequestedAt ? <div class="muted">sign-in asked for at {time(a.signInRequestedAt)}</div> : null}
                </td>
                <td>
                  <span class={`state s-${a.state}`}>{a.state}</span>
                  {a.since ? <div class="muted">since {time(a.since)}</div> : null}
                  {a.detail && a.state !== "needs_human" ? <div class="muted">{a.detail}</div> : null}
                </td>
                <td class="num">{orDash(a.credits)}</td>
                <td class="num">
                  {orDash(a.inFlight)} / {orDash(a.capacity)}
                </td>
                <td>
                  <LeaseCell a={a} />
                </td>
                <td>
                  <AccountActions a={a} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    {view.accounts
      .filter((a) => a.state === "needs_human")
      .map((a) => (
        <HumanSteps a={a} headless={view.humanLogin.headless} instance={view.instance} />
      ))}
  </>
);

const Queue: FC<{ view: AdminView }> = ({ view }) => (
  <>
    <h2>Queue</h2>
    <div class="queue" id="queue">
      {view.queue.map((q) => (
        <div data-state={q.state}>
          <span class="muted">{q.state}</span>
          <b>{q.count}</b>
        </div>
      ))}
    </div>
  </>
);

const Failures: FC<{ failures: FailureRow[] }> = ({ failures }) => (
  <>
    <h2>Recent failures</h2>
    <p class="sub">The newest {failures.length} jobs that ended without a video. A failed job can be queued again.</p>
    <form method="post" action="/admin/jobs/requeue">
      <label>
        Requeue job <input name="id" inputmode="numeric" pattern="[0-9]+" required placeholder="video id" />
      </label>{" "}
      <button type="submit">Requeue</button>
    </form>
    {failures.length === 0 ? (
      <p class="muted">None.</p>
    ) : (
      <div class="scroll" style="margin-top:8px">
        <table id="failures">
          <thead>
            <tr>
              <th class="num">Job</th>
              <th>User</th>
              <th>State</th>
              <th>Code</th>
              <th>Finished</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {failures.map((f) => (
              <tr data-job={String(f.id)}>
                <td class="num">
                  {f.id}
                  <div class="muted">{f.kind}</div>
                </td>
                <td>
                  <code>{f.appBundleId}</code>
                  <div class="muted">{f.apphudUserId}</div>
                </td>
                <td>{f.state}</td>
                <td>
                  <code>{f.errorCode ?? "—"}</code>
                  {f.errorMessage ? <div class="muted">{f.errorMessage}</div> : null}
                </td>
                <td>{time(f.finishedAt)}</td>
                <td>
                  {f.state === "failed" ? (
                    <form method="post" action={`/admin/jobs/${f.id}/requeue`}>
                      <button type="submit">Requeue</button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
  </>
);

export const AdminPage: FC<{ view: AdminView; notice?: string }> = ({ view, notice }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="robots" content="noindex" />
      <title>Operator · Pixverse video API</title>
      <style>{raw(STYLE)}</style>
    </head>
    <body>
      <main>
        <h1>Pixverse video API · operator</h1>
        <p class="sub">
          Instance <code>{view.instance}</code> · {time(view.now)} · reload the page to refresh
        </p>
        {notice ? (
          <div class="notice" role="status">
            {notice}
          </div>
        ) : null}
        <Accounts view={view} />
        <Queue view={view} />
        <Failures failures={view.failures} />
      </main>
    </body>
  </html>
);

export function renderPage(view: AdminView, notice?: string): string {
  return "<!DOCTYPE html>" + (<AdminPage view={view} notice={notice} />).toString();
}
