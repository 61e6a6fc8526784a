// Small bounded-wait helpers shared by the sidecar's modules.

/** `promise`'s value, or `fallback` once `ms` have passed (the promise keeps running; its failure is ignored). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs tasks one at a time, in order; a caller gives up waiting for its turn at its deadline. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /** `task()` once every earlier task is done, or `onTimeout()` if that has not happened within `waitMs`. */
  async run<T>(waitMs: number, onTimeout: () => T, task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tail = previous.then(() => mine);
    try {
      const turn = await within(previous.then(() => true), waitMs, false);
      if (!turn) return onTimeout();
      return await task();
    } finally {
      release();
    }
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0]! : String(err);
}

/** The gap between two rounds of polling (a cadence, not a wait for a condition). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
