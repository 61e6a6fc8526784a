// How long until a video that is not final is done: the arithmetic behind get_status's `eta_seconds`
// (`detail=true`). Pure code: the numbers come from the queue (src/db/queue-position.ts) and the accounts'
// slots (etaSlots below). The model: every generation takes the mean of the recent ones; the jobs at Pixverse
// free their slots when that mean is up; the queued jobs ahead take the slots in turn, one mean each.

/** Before any video has finished there is nothing to measure: a 5 s 360p video takes about a minute at Pixverse. */
export const DEFAULT_GENERATION_MS = 60_000;

/**
 * A job past the mean still needs some time: never promise less than this share of a generation. It also
 * keeps every slot's free time within one mean of the others, which the round-robin formula below relies on.
 */
const MIN_REMAINING_SHARE = 0.1;

/** What is known about one video that is not final, and the queue around it. */
export interface EtaInput {
  state: "queued" | "submitting" | "generating";
  /** Since its (last) submission started, for a submitting or generating job. */
  elapsedMs?: number;
  /** 1 = the next job to be submitted; for a queued job. */
  queuePosition?: number;
  /** How long until a queued job may be claimed at all (it waits out a backoff); 0 when due. */
  dueInMs?: number;
  /** The mean time from submission to success of recent videos; null: none yet (the default applies). */
  meanGenerationMs: number | null;
  /** Generations that may run at once across the accounts (0: no account takes work now). */
  slots: number;
  /** How long each job now submitting or at Pixverse has been there (this video included when it is one). */
  inFlightElapsedMs: readonly number[];
}

/** How long a generation that started `elapsedMs` ago still takes, by the mean. */
export function remainingMs(elapsedMs: number, meanMs: number): number {
  return Math.max(meanMs - Math.max(0, elapsedMs), meanMs * MIN_REMAINING_SHARE);
}

/**
 * Seconds until the video is done (a whole number, at least 1), or null when it cannot be told: a queued
 * video while no account takes work.
 */
export function etaSeconds(input: EtaInput): number | null {
  const mean = input.meanGenerationMs !== null && input.meanGenerationMs > 0 ? input.meanGenerationMs : DEFAULT_GENERATION_MS;
  let ms: number;
  if (input.state !== "queued") {
    ms = remainingMs(input.elapsedMs ?? 0, mean);
  } else {
    const slots = Math.floor(input.slots);
    if (slots <= 0) return null;
    // The oldest jobs in flight hold the slots (they free them first); any beyond the slots wait like the queue.
    const running = [...input.inFlightElapsedMs].sort((a, b) => b - a).slice(0, slots);
    const waitingInFlight = input.inFlightElapsedMs.length - running.length;
    // When each slot is free: now for an empty one, at its job's expected end for a busy one.
    const freeAt = [...Array<number>(slots - running.length).fill(0), ...running.map((e) => remainingMs(e, mean))].sort((a, b) => a - b);
    // The k-th job to start (0 = the next) takes slot k mod S in round k div S: exact for equal durations
    // while the slots' free times lie within one mean of each other (remainingMs keeps them there).
    const k = Math.max(0, (input.queuePosition ?? 1) - 1) + waitingInFlight;
    const start = freeAt[k % slots]! + Math.floor(k / slots) * mean;
    ms = Math.max(start, input.dueInMs ?? 0) + mean;
  }
  return Math.max(1, Math.ceil(ms / 1000));
}

/** What etaSlots reads: the accounts' states as last reported (src/sidecar/client.ts accountStates, no round trip). */
export interface SlotSource {
  accountStates(): readonly { email: string; state: string; capacity: number }[];
}

/**
 * Generations that may run at once across every configured account, for the ETA: the slots of the accounts
 * this instance drives that take work now (ready), plus `perAccount` (PIXVERSE_CONCURRENCY) for each account
 * another instance drives (`standby` here: its plan is not known here), less the accounts an operator paused.
 * Accounts that need a person, are out of credits or are signing in give none. Read from the last reported
 * states, never from Pixverse: callers poll detail=true, and that must not cost a call to Pixverse.
 */
export function etaSlots(source: SlotSource, perAccount: number, paused: () => Promise<Iterable<string>> = async () => []): () => Promise<number> {
  return async () => {
    const off = new Set(await paused());
    let slots = 0;
    for (const a of source.accountStates()) {
      if (off.has(a.email)) continue;
      if (a.state === "ready") slots += Math.max(0, a.capacity);
      else if (a.state === "standby") slots += perAccount;
    }
    return slots;
  };
}
