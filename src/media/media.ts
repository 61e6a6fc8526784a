// MEDIA_STORE's parts, built once by main.ts: the store, the copy job the dispatcher hands finished videos
// to, and (local only) the folder /media serves.
import type { Db } from "../db/client.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { createMediaCopier, type MediaCopier } from "./copier.ts";
import { createLocalStore, type LocalStore } from "./local.ts";
import { createMediaQueries } from "./queries.ts";
import { createS3Store } from "./s3.ts";
import type { MediaSettings } from "./settings.ts";
import type { MediaStore } from "./store.ts";

export interface Media {
  store: MediaStore;
  copier: MediaCopier;
  /** The store /media serves (MEDIA_STORE=local); null for s3, whose URLs point at the bucket. */
  local: LocalStore | null;
}

/**
 * The parts for MEDIA_STORE, or null when it is off. `listening`: this service's own base URL, for local
 * links without PUBLIC_URL (demo mode); read at each copy, so it may be known only once the server listens.
 */
export function createMedia(settings: MediaSettings, o: { db: Db; logger: Logger; metrics?: Metrics; listening: () => string }): Media | null {
  if (settings.store === "off") return null;
  let store: MediaStore;
  let local: LocalStore | null = null;
  if (settings.store === "local") {
    const publicUrl = settings.publicUrl;
    store = local = createLocalStore({ dir: settings.dir, baseUrl: () => publicUrl ?? o.listening() });
    // Temporary files of copies cut short by a kill or a crash: none older than a copy's time-out is being written.
    const log = o.logger.child({ component: "media" });
    local.removeStalePartials(settings.copy.timeoutMs + 60_000).then(
      (count) => count > 0 && log.info("removed temporary files of copies cut short", { count }),
      (error) => log.warn("could not remove temporary files of copies cut short", { error }),
    );
  } else {
    store = createS3Store(settings.s3);
  }
  const copier = createMediaCopier({ store, queries: createMediaQueries(o.db), logger: o.logger, metrics: o.metrics, limits: settings.copy });
  return { store, copier, local };
}

/** The base URL of a server listening on host:port as this machine reaches it (0.0.0.0 and :: are 127.0.0.1). */
export function listeningBase(host: string, port: number): string {
  const h = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${h}:${port}`;
}
