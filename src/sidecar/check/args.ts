// The live check's command line. Both `--submit` and `--json` take an optional value, which node's
// parseArgs cannot express, so the few options are read here.

/** What `--submit` alone generates: short, harmless, cheap at the configured settings. */
export const DEFAULT_SUBMIT_PROMPT = "a paper boat drifting on a calm pond, soft morning light";
/** How long `--submit` waits for its video to finish, unless `--submit-wait` says otherwise. */
export const DEFAULT_SUBMIT_WAIT_SECONDS = 15 * 60;

export interface CheckArgs {
  /** The prompt of the one generation, or null without `--submit`. */
  submit: string | null;
  submitWaitMs: number;
  /** Where the JSON report goes, or null without `--json`. */
  json: string | null;
  help: boolean;
}

export const USAGE = `usage: bun run pixverse:check [--submit ["<prompt>"]] [--submit-wait <seconds>] [--json [<file>]]
  --submit [prompt]        also make one video through the configured path (PIXVERSE_SUBMIT); costs credits
  --submit-wait <seconds>  how long to wait for that video to finish (default ${DEFAULT_SUBMIT_WAIT_SECONDS})
  --json [file]            write the report as JSON (default file: ./pixverse-check-<UTC time>.json)
Needs EMAIL and PASSWORD; exit 0 when no fact FAILed, 1 when one did, 2 for bad configuration or arguments.`;

export class UsageError extends Error {
  override name = "UsageError";
}

/** `pixverse-check-2026-11-30T12-00-00Z.json`: sortable, no characters a file system dislikes. */
export function defaultReportName(now: Date): string {
  return `pixverse-check-${now.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-")}.json`;
}

export function parseCheckArgs(argv: readonly string[], now = new Date()): CheckArgs {
  const args: CheckArgs = { submit: null, submitWaitMs: DEFAULT_SUBMIT_WAIT_SECONDS * 1000, json: null, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    // The next word is this option's value unless it is another option.
    const optionalValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) return undefined;
      i++;
      return next;
    };
    switch (name) {
      case "--submit": {
        const prompt = optionalValue()?.trim();
        args.submit = prompt ? prompt : DEFAULT_SUBMIT_PROMPT;
        break;
      }
      case "--json": {
        const file = optionalValue();
        args.json = file ? file : defaultReportName(now);
        break;
      }
      case "--submit-wait": {
        const value = optionalValue();
        const secondsValue = Number(value);
        if (value === undefined || !Number.isFinite(secondsValue) || secondsValue <= 0) throw new UsageError("--submit-wait needs a number of seconds above 0");
        args.submitWaitMs = Math.round(secondsValue * 1000);
        break;
      }
      case "--help":
      case "-h":
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return args;
}
