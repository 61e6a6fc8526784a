// The state file (`startSimulator({ stateFile })`, `SIM_STATE_FILE`): the demo's simulator keeps its accounts,
// sessions, videos and media records across restarts, so a restarted demo still has the videos it was
// making (they finish on their original schedule) and a saved browser session still works.
// Written after every change, debounced, atomically (temporary file + rename) and readable by the owner only;
// a new video is written before its id is answered, so a demo killed right after a submission still has it.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import type { Logger } from "../log.ts";
import { UI_LAYOUTS } from "./layouts.ts";
import type { SavedState, SimState } from "./state.ts";

/** Many changes come in bursts (a login, then a submission, then an upload): one write per burst. */
export const SAVE_DELAY_MS = 200;

const id = z.number().int().nonnegative();
const accountSchema = z.object({
  id,
  email: z.string(),
  username: z.string(),
  password: z.string(),
  oauthOnly: z.boolean(),
  credits: z.number(),
  concurrency: z.number().int().min(1),
  liveToken: z.string().nullable(),
  ui: z.enum(UI_LAYOUTS).nullable(),
});
const sessionSchema = z.object({ token: z.string(), accountId: id, expiresAt: z.number(), replaced: z.boolean() });
const videoSchema = z.object({
  id,
  accountId: id,
  kind: z.enum(["t2v", "i2v"]),
  prompt: z.string(),
  model: z.string(),
  duration: z.number(),
  quality: z.string(),
  aspectRatio: z.string(),
  imageUrl: z.string().nullable(),
  seed: z.number(),
  createdAt: z.number(),
  startedAt: z.number(),
  finishAt: z.number(),
  deletedAt: z.number().nullable(),
  outcome: z.enum(["done", "moderated", "filtered", "failed", "deleted", "replaced"]),
  outputWidth: z.number(),
  outputHeight: z.number(),
});
const mediaSchema = z.object({
  accountId: id,
  record: z.object({
    id,
    category: z.number(),
    err_msg: z.string(),
    name: z.string(),
    path: z.string(),
    size: z.number(),
    url: z.string(),
    width: z.number(),
    height: z.number(),
  }),
});
const savedSchema = z.object({
  version: z.literal(1),
  lastId: id,
  accounts: z.array(accountSchema),
  sessions: z.array(sessionSchema),
  videos: z.array(videoSchema),
  media: z.array(mediaSchema),
});

export interface StatePersistence {
  /** Write now if a change is waiting (stop calls it). */
  flush(): void;
  /** Write the state (even unchanged, so the file exists after a run), then stop listening: later changes
   * (the reset of `stop`) are not written. */
  close(): void;
}

/**
 * Load `file` into `state` if it exists, then save after every change. A file that cannot be read back is
 * moved aside (`<file>.invalid-<time>`) and the simulator starts empty: a demo must start.
 */
export function persistState(state: SimState, file: string, logger: Logger): StatePersistence {
  load(state, file, logger);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let dirty = false;

  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!dirty) return;
    dirty = false;
    try {
      writeAtomically(file, JSON.stringify(state.snapshot()));
    } catch (err) {
      logger.error("simulator state file not written", { file, err });
    }
  };

  state.setChangeListener((durable) => {
    dirty = true;
    if (durable) save();
    else timer ??= setTimeout(save, SAVE_DELAY_MS);
  });

  return {
    flush: save,
    close() {
      dirty = true;
      save();
      state.setChangeListener(null);
    },
  };
}

function load(state: SimState, file: string, logger: Logger): void {
  if (!existsSync(file)) return;
  let saved: SavedState;
  try {
    const parsed = savedSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).slice(0, 5).join("; "));
    saved = parsed.data;
  } catch (err) {
    const aside = `${file}.invalid-${Date.now()}`;
    try {
      renameSync(file, aside);
      logger.warn("simulator state file unreadable: moved aside, starting empty", { file, aside, err });
    } catch (renameErr) {
      // The next save replaces it; the demo still starts.
      logger.warn("simulator state file unreadable and not movable: starting empty", { file, err, renameErr });
    }
    return;
  }
  state.restore(saved);
  logger.info("simulator state restored", { file, accounts: saved.accounts.length, videos: saved.videos.length });
}

/** Write a temporary file beside the target (owner-only), flush it to disk, then rename it over the target. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
