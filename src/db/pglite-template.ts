// A new PGlite cluster made from a saved copy of a freshly initialised one. PGlite builds a new cluster by
// running initdb inside WebAssembly: about 6.5 s for a new data directory and 2.5–4.5 s in memory on a 2-core
// machine, against about 1 s to load the same cluster from its dump (PGlite's own dumpDataDir/loadDataDir):
// opened and migrated, a new directory took 6.3 s and now 1.2–1.4 s, a new in-memory cluster 4.5 s and now 0.9–1.3 s.
// The first new cluster on a machine is initialised as usual, prepared (the caller migrates it) and dumped;
// every later one is loaded from that dump. The dump is kept per PGlite version and per preparation (the
// migrations' digest) in the system's temporary folder, gzipped (4.5 MB; the cluster is 40 MB); a dump that
// cannot be read or loaded is made again.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

/** Where dumps are kept unless the caller names a folder (tests do). */
export const DEFAULT_TEMPLATE_DIR = join(tmpdir(), "pixverse-api");

/** The installed PGlite's version: a dump is only loaded by the PGlite that made it. Read once, when first needed. */
let installedVersion: string | undefined;
const pgliteVersion = (): string => (installedVersion ??= readPgliteVersion());

function readPgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("@electric-sql/pglite")));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "@electric-sql/pglite" && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return "unknown";
}

export interface TemplateOptions {
  /** The folder of the dumps; absent: DEFAULT_TEMPLATE_DIR. */
  dir?: string;
  /** What a new cluster gets before it is dumped, and the name of that content (part of the dump's file name). */
  prepare?: { key: string; run: (client: PGlite) => Promise<void> };
}

export function templateFile(options: TemplateOptions = {}): string {
  const key = options.prepare ? `-${options.prepare.key}` : "";
  return join(options.dir ?? DEFAULT_TEMPLATE_DIR, `pglite-${pgliteVersion()}${key}.tar.gz`);
}

/** A data directory that does not exist yet or holds nothing: a new cluster goes there. */
function isNew(dataDir: string): boolean {
  try {
    return readdirSync(dataDir).length === 0;
  } catch {
    return true;
  }
}

/**
 * A started PGlite over `dataDir` (in memory when absent). A new cluster is loaded from the saved dump, or
 * initialised, prepared and dumped when there is none (or it fails to load); an existing directory is opened
 * as it is (the caller migrates it).
 */
export async function startPglite(dataDir: string | undefined, options: TemplateOptions = {}): Promise<PGlite> {
  if (dataDir && !isNew(dataDir)) return started(new PGlite(dataDir));
  const file = templateFile(options);
  const tar = await readTemplate(file);
  if (tar) {
    try {
      return await started(new PGlite({ dataDir, loadDataDir: new Blob([tar]) }));
    } catch {
      // A dump this PGlite does not take: made again below, in a directory emptied of what the load wrote.
      removeQuietly(file);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = await started(new PGlite(dataDir));
  await options.prepare?.run(client);
  await saveTemplate(client, file);
  return client;
}

/**
 * The dump as a plain tar, or undefined when there is none or it is damaged (gzip's checksum fails; a damaged
 * dump is removed). Unpacked here rather than by PGlite, whose inflate failures escape its own promise.
 */
async function readTemplate(file: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  let packed: Uint8Array<ArrayBuffer>;
  try {
    packed = await Bun.file(file).bytes();
  } catch {
    return undefined;
  }
  try {
    return Bun.gunzipSync(packed);
  } catch {
    removeQuietly(file);
    return undefined;
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // nothing to remove, or a folder we may not write to
  }
}

/** The client once ready; one that fails to start is closed (not awaited: a broken start may never settle it). */
async function started(client: PGlite): Promise<PGlite> {
  try {
    await client.waitReady;
  } catch (err) {
    client.close().catch(() => {});
    throw err;
  }
  return client;
}

/** Written under a name of its own, then renamed: processes starting at once never read a half-written dump. */
async function saveTemplate(client: PGlite, file: string): Promise<void> {
  const partial = `${file}.${process.pid}.${crypto.randomUUID()}.partial`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    await Bun.write(partial, await client.dumpDataDir("gzip"));
    renameSync(partial, file);
  } catch {
    // No dump kept (a read-only temporary folder, a full disk): the next new cluster is initialised again.
    removeQuietly(partial);
  }
}
