// MEDIA_STORE=local: copies under DATA_DIR/media/<name>, served by this service at /media/<name>
// (src/http/routes/media.ts). A file appears under its name only complete: it is written to a temporary
// name beside it and renamed. The folder is this machine's: with several instances, each serves only the
// copies it made itself, so they need a shared folder or MEDIA_STORE=s3.
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { MediaStore } from "./store.ts";
import { parseMediaName } from "./keys.ts";

export interface LocalStore extends MediaStore {
  readonly dir: string;
  /** The file of a name /media received, or null when the name is not one of ours (no path escapes). */
  pathOf(name: string): string | null;
}

export function createLocalStore(o: { dir: string; baseUrl: () => string }): LocalStore {
  const pathOf = (name: string) => (parseMediaName(name) ? join(o.dir, name) : null);
  return {
    kind: "local",
    dir: o.dir,
    pathOf,
    async put(name, body) {
      const path = pathOf(name);
      if (!path) throw new Error("not a media name");
      await mkdir(dirname(path), { recursive: true });
      const partial = `${path}.part-${crypto.randomUUID().slice(0, 8)}`;
      try {
        await Bun.write(partial, new Response(body));
        await rename(partial, path);
      } catch (e) {
        await rm(partial, { force: true }).catch(() => {});
        throw e;
      }
    },
    urlOf: (name) => `${o.baseUrl()}/media/${name}`,
  };
}
