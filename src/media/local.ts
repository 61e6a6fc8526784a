// MEDIA_STORE=local: copies under DATA_DIR/media/<name>, served by this service at /media/<name>
// (src/http/routes/media.ts). A file appears under its name only complete and on disk: it is written to a
// temporary name beside it, fsynced, renamed, and the folder fsynced, so neither a failed copy nor a machine
// crash leaves a truncated file under a name the database may call succeeded. Temporary files of a process
// killed mid-write are removed at the next start (removeStalePartials). The folder is this machine's: with
// several instances, each serves only the copies it made itself, so they need a shared folder or MEDIA_STORE=s3.
import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { MediaStore } from "./store.ts";
import { parseMediaName } from "./keys.ts";

export interface LocalStore extends MediaStore {
  readonly dir: string;
  /** The file of a name /media received, or null when the name is not one of ours (no path escapes). */
  pathOf(name: string): string | null;
  /**
   * Remove the temporary files (`<name>.part-<8 hex>`) not written to for `olderThanMs`: those of writes cut
   * short by a kill or a crash (a live write is younger than the copy's time-out). Returns how many.
   */
  removeStalePartials(olderThanMs: number): Promise<number>;
}

const PARTIAL = /^[1-9][0-9]{0,18}-[0-9a-f]{32}\.(mp4|jpg)\.part-[0-9a-f]{8}$/;
const FOLDER = /^[0-9a-f]{2}$/;

/** Write the stream to a new file and fsync it; stops (rejecting) as soon as `signal` aborts. */
async function writeSynced(path: string, body: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  // An abort cancels the stream: a pending read ends at once and the loop below throws the signal's reason.
  const stop = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", stop, { once: true });
  try {
    signal?.throwIfAborted();
    const file = await open(path, "wx");
    try {
      for (;;) {
        const { done, value } = await reader.read();
        signal?.throwIfAborted();
        if (done) break;
        for (let at = 0; at < value.byteLength; ) at += (await file.write(value, at)).bytesWritten;
      }
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}

/** fsync a folder: a rename in it is on disk. */
async function syncFolder(path: string): Promise<void> {
  const folder = await open(path, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export function createLocalStore(o: { dir: string; baseUrl: () => string }): LocalStore {
  const pathOf = (name: string) => (parseMediaName(name) ? join(o.dir, name) : null);
  return {
    kind: "local",
    dir: o.dir,
    pathOf,
    async put(name, body, _kind, signal) {
      const path = pathOf(name);
      if (!path) throw new Error("not a media name");
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.part-${crypto.randomUUID().slice(0, 8)}`;
      try {
        await writeSynced(partial, body, signal);
        await rename(partial, path);
        await syncFolder(dirname(path));
      } catch (e) {
        await rm(partial, { force: true }).catch(() => {});
        throw e;
      }
    },
    urlOf: (name) => `${o.baseUrl()}/media/${name}`,
    async removeStalePartials(olderThanMs) {
      const before = Date.now() - olderThanMs;
      const folders = await readdir(o.dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return [];
        throw e;
      });
      let removed = 0;
      for (const folder of folders.filter((f) => FOLDER.test(f))) {
        const files = await readdir(join(o.dir, folder)).catch(() => []);
        for (const file of files.filter((f) => PARTIAL.test(f))) {
          const path = join(o.dir, folder, file);
          const stat = await lstat(path).catch(() => null);
          if (!stat?.isFile() || stat.mtimeMs >= before) continue;
          await rm(path, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}
