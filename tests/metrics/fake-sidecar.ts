// A scripted stand-in for the sidecar process (src/sidecar/main.ts), spoken to over the same Bun IPC
// messages. Its first run signs in, has its session replaced (ErrCode 10005), signs in again and exits
// with an error; later runs come up ready and stay. Runs are counted in a file in the session directory
// that `init` names (the test's own temporary DATA_DIR).
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exitWhenSent, sendToParent } from "../../src/sidecar/to-parent.ts";

function countRun(sessionDir: string): number {
  mkdirSync(sessionDir, { recursive: true });
  const file = join(sessionDir, "fake-runs");
  const run = existsSync(file) ? readFileSync(file, "utf8").length : 0;
  appendFileSync(file, "x");
  return run;
}

const EMAIL = "ops@example.com";
const account = (state: string, detail?: string) => ({
  email: EMAIL,
  state,
  since: new Date().toISOString(),
  capacity: 2,
  inFlight: 0,
  // Read once signed in, as the real sidecar does.
  ...(state === "ready" ? { credits: 480 } : {}),
  ...(detail ? { detail } : {}),
});
const send = sendToParent;
const pause = () => new Promise((r) => setTimeout(r, 20));

process.on("message", async (raw: unknown) => {
  const req = raw as { op: string; id: number; config?: { sessionDir: string } };
  switch (req.op) {
    case "init":
      if (countRun(req.config!.sessionDir) > 0) {
        send({ type: "reply", id: req.id, reply: { op: "init", accounts: [account("ready")] } });
        return;
      }
      send({ type: "reply", id: req.id, reply: { op: "init", accounts: [account("signed_out")] } });
      for (const [state, detail] of [
        ["signing_in"],
        ["ready"],
        ["signed_out", "session lost (ErrCode 10005)"],
        ["signing_in", "session lost (ErrCode 10005)"],
        ["ready"],
      ] as [string, string?][]) {
        await pause();
        send({ type: "state", accounts: [account(state, detail)] });
      }
      // As the real sidecar does: a plain exit right after the last state can drop it (CI once counted one
      // login of two).
      await exitWhenSent(1);
      return;
    case "ping":
      send({ type: "reply", id: req.id, reply: { op: "ping", accounts: [account("ready")] } });
      return;
    case "shutdown":
      send({ type: "reply", id: req.id, reply: { op: "shutdown" } });
      await exitWhenSent(0);
      return;
  }
});
send({ type: "hello", pid: process.pid });
