// The sidecar's way out to the API process: messages over Bun IPC, and an exit that waits for them.
//
// `process.send` only queues a message; a `process.exit` right after it can drop what is still queued (about
// one run in ten, measured with 50 messages and an exit straight after). The parent then never sees the last
// account states or the reply it waits for. Messages leave in order, so once the last one has left, all have.
import { within } from "./waits.ts";

/** How long an exit waits for the queued messages (a parent that is gone never takes them). */
const EXIT_WAIT_MS = 2_000;

let lastSent: Promise<void> = Promise.resolve();

/** Queues `message` for the parent; nothing happens without one (the process was not started with IPC). */
export function sendToParent(message: unknown): void {
  if (!process.send) return;
  lastSent = new Promise<void>((resolve) => {
    // The callback also runs, with an error, when the channel is closed: either way the message is done with.
    try {
      process.send!(message, undefined, undefined, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Exits with `code` once every message queued so far has left (bounded). */
export async function exitWhenSent(code: number): Promise<never> {
  await within(lastSent, EXIT_WAIT_MS, undefined);
  process.exit(code);
}
