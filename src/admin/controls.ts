// Carries the operator's "retry sign-in" to the instance that can act on it: the page writes the request to
// account_controls (any instance may serve the page), and the instance holding the account's lease (the only
// one that may sign in to it: Pixverse keeps one live session per account) takes it from there every few
// seconds and asks its sidecar to sign in again. Pauses need no carrier: the dispatcher reads them itself.
import type { AdminQueries } from "../db/admin.ts";
import type { Logger } from "../log.ts";
import { maskEmail } from "../sidecar/mask.ts";

export interface SignInAgain {
  /** Sign the account in again now; resolves with whether anything was restarted (a signed-in account is left alone). */
  signInAgain(account: string): Promise<boolean>;
}

export interface ControlsWatcherOptions {
  queries: Pick<AdminQueries, "takeSignInRequests">;
  /** The accounts this instance drives now (LeaseKeeper.held). */
  held: () => readonly string[];
  generator: SignInAgain;
  logger: Logger;
  /** How often to look for requests. */
  intervalMs?: number;
}

export interface ControlsWatcher {
  start(): void;
  stop(): Promise<void>;
  /** One look, for tests. */
  runOnce(): Promise<void>;
}

export function createControlsWatcher(o: ControlsWatcherOptions): ControlsWatcher {
  const intervalMs = o.intervalMs ?? 2000;
  const log = o.logger.child({ component: "admin-controls" });
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function runOnce(): Promise<void> {
    const held = o.held();
    if (held.length === 0) return;
    // Taken (cleared) before acting: a request is acted on once even if this instance then dies; the
    // operator can press the button again.
    for (const account of await o.queries.takeSignInRequests(held)) {
      try {
        const restarted = await o.generator.signInAgain(account);
        log.info(restarted ? "operator asked for a sign-in: signing in again" : "operator asked for a sign-in: the account is signed in; nothing to do", {
          account: maskEmail(account),
        });
      } catch (e) {
        log.warn("operator asked for a sign-in, but the sidecar did not act on it", { account: maskEmail(account), error: e });
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((e: unknown) => log.warn("could not read the operator's sign-in requests", { error: e }))
        .finally(() => {
          running = null;
          schedule();
        });
    }, intervalMs);
  }

  return {
    start: schedule,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    runOnce,
  };
}
