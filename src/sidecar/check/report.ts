// The JSON report of `--json`: what was checked against what, and every fact's result. It holds no
// secret: no password, token or cookie, and the account's e-mail only masked.
import { writeFile } from "node:fs/promises";
import type { GenerationSettings } from "../../domain/settings.ts";
import type { FactResult, Summary } from "./runner.ts";

export interface CheckReport {
  startedAt: string;
  finishedAt: string;
  webUrl: string;
  apiUrl: string;
  /** Masked (`op***@example.com`). */
  account: string;
  submitMode: string;
  createPath: string;
  headless: boolean;
  generation: GenerationSettings;
  /** `--submit`: the prompt and how long it waited; null without it. */
  submit: { prompt: string; waitSeconds: number } | null;
  /** What the pages looked like (login inputs, modals, image slot, switches, the Create button's name, …). */
  layoutHints: Record<string, string>;
  summary: Summary;
  exitCode: number;
  results: Pick<FactResult, "id" | "fact" | "status" | "saw" | "ms">[];
}

/** Write the report; every string in it is scrubbed of the secrets once more as a whole. */
export async function writeReport(path: string, report: CheckReport, secrets: ReadonlySet<string>): Promise<void> {
  let text = JSON.stringify(report, null, 2);
  for (const secret of secrets) {
    // As the JSON text spells it (quotes and backslashes escaped).
    const spelled = JSON.stringify(secret).slice(1, -1);
    if (secret.length >= 3) text = text.split(spelled).join("[redacted]");
  }
  await writeFile(path, `${text}\n`, { mode: 0o644 });
}
