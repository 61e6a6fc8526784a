// The live check's engine: a list of facts, each judged on its own (PASS / FAIL / UNKNOWN and what it saw),
// in order, each within its own time limit. A fact that throws or runs out of time is a FAIL of that fact
// only; a fact whose prerequisite did not PASS is UNKNOWN, never judged on a page it cannot trust.
import { errorMessage, within } from "../waits.ts";

export type Status = "PASS" | "FAIL" | "UNKNOWN";

export interface Verdict {
  status: Status;
  saw: string;
}

export const pass = (saw: string): Verdict => ({ status: "PASS", saw });
export const fail = (saw: string): Verdict => ({ status: "FAIL", saw });
/** Could not be judged: nothing to look at (no videos yet, a control this layout does not have). */
export const unknown = (saw: string): Verdict => ({ status: "UNKNOWN", saw });

export interface Fact<C> {
  /** Stable id, for the JSON report and `needs`. */
  id: string;
  /** What the table shows; says which fact broke in words an operator can search the code for. */
  name: string;
  /** Facts that must PASS before this one can be judged (otherwise UNKNOWN). */
  needs?: readonly string[];
  /** Its own limit; the run gets it too, to bound its waits below it. */
  timeoutMs: number;
  run(ctx: C, timeoutMs: number): Promise<Verdict>;
}

export interface FactResult {
  id: string;
  fact: string;
  status: Status;
  saw: string;
  ms: number;
}

export interface RunOptions {
  /** Each result as soon as it is known (the table prints live). */
  onResult?: (result: FactResult) => void;
  /** Applied to every `saw`: single line, no secret. */
  clean?: (saw: string) => string;
}

/** Judge every fact in order. Never throws for a fact; one fact failing does not stop the others. */
export async function runFacts<C>(facts: readonly Fact<C>[], ctx: C, opts: RunOptions = {}): Promise<FactResult[]> {
  const results: FactResult[] = [];
  const byId = new Map<string, FactResult>();
  const names = new Map(facts.map((f) => [f.id, f.name]));
  for (const fact of facts) {
    const started = performance.now();
    const verdict = await judge(fact, ctx, byId, names);
    const result: FactResult = {
      id: fact.id,
      fact: fact.name,
      status: verdict.status,
      saw: (opts.clean ?? oneLine)(verdict.saw),
      ms: Math.round(performance.now() - started),
    };
    results.push(result);
    byId.set(fact.id, result);
    opts.onResult?.(result);
  }
  return results;
}

async function judge<C>(fact: Fact<C>, ctx: C, done: ReadonlyMap<string, FactResult>, names: ReadonlyMap<string, string>): Promise<Verdict> {
  for (const need of fact.needs ?? []) {
    const before = done.get(need);
    if (!before) return unknown(`needs "${names.get(need) ?? need}", which was not checked`);
    if (before.status !== "PASS") return unknown(`needs "${before.fact}", which is ${before.status}`);
  }
  const timedOut = Symbol("timeout");
  try {
    const verdict = await within(fact.run(ctx, fact.timeoutMs), fact.timeoutMs, timedOut);
    if (verdict === timedOut) return fail(`no verdict within ${seconds(fact.timeoutMs)}`);
    return verdict;
  } catch (err) {
    return fail(errorMessage(err));
  }
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

// ── The table ──────────────────────────────────────────────────────────────────────────────────────────

const STATUS_WIDTH = "UNKNOWN".length;

/** The table's rows, aligned on the longest fact name of the run. */
export class Table {
  private readonly width: number;
  constructor(names: readonly string[]) {
    this.width = Math.max("fact".length, ...names.map((n) => n.length));
  }
  header(): string {
    return `${"fact".padEnd(this.width)}  ${"result".padEnd(STATUS_WIDTH)}  what it saw\n${"-".repeat(this.width)}  ${"-".repeat(STATUS_WIDTH)}  ${"-".repeat(30)}`;
  }
  row(r: Pick<FactResult, "fact" | "status" | "saw">): string {
    return `${r.fact.padEnd(this.width)}  ${r.status.padEnd(STATUS_WIDTH)}  ${r.saw}`;
  }
}

export interface Summary {
  pass: number;
  fail: number;
  unknown: number;
}

export function summarize(results: readonly FactResult[]): Summary {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return { pass: count("PASS"), fail: count("FAIL"), unknown: count("UNKNOWN") };
}

export function summaryLine(s: Summary, failed: readonly string[]): string {
  const total = s.pass + s.fail + s.unknown;
  const counts = `${total} facts: ${s.pass} PASS, ${s.fail} FAIL, ${s.unknown} UNKNOWN`;
  return s.fail === 0 ? `${counts}. No fact failed.` : `${counts}. Failed: ${failed.join("; ")}.`;
}
