// The copy job's statements on the videos table (the job's end itself is the queue's `finish`, with the
// media key). Each only touches a job still `generating` with the Pixverse video the copy is of: one that
// ended meanwhile (deadline, another instance), or was requeued for a new video, stays as it is.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { videos } from "../db/schema.ts";

export interface CopyTarget {
  /** The key our copy is written under: chosen once per job, so a repeated copy rewrites the same files. */
  mediaKey: string;
  mediaAttempts: number;
  deadlineAt: Date;
}

export function createMediaQueries(db: Db) {
  const generating = (id: number, pixverseVideoId: string) =>
    and(eq(videos.id, id), eq(videos.state, "generating"), eq(videos.pixverseVideoId, pixverseVideoId));
  return {
    /**
     * Pixverse finished the job: record its URLs and status, fix the key of our copy (the one already chosen,
     * if any), and give the copy at least `graceMs` before the job's deadline. Null when the job is no longer
     * generating.
     */
    async noteFinishedAtPixverse(
      id: number,
      pixverseVideoId: string,
      r: { pixverseUrl: string; firstFrameUrl: string | null; pixverseStatus: number; newKey: string; graceMs: number },
    ): Promise<CopyTarget | null> {
      const [row] = await db
        .update(videos)
        .set({
          pixverseUrl: r.pixverseUrl,
          firstFrameUrl: r.firstFrameUrl,
          pixverseStatus: r.pixverseStatus,
          mediaKey: sql`coalesce(${videos.mediaKey}, ${r.newKey})`,
          deadlineAt: sql`greatest(${videos.deadlineAt}, now() + make_interval(secs => ${r.graceMs / 1000}))`,
          updatedAt: sql`now()`,
        })
        .where(generating(id, pixverseVideoId))
        .returning({ mediaKey: videos.mediaKey, mediaAttempts: videos.mediaAttempts, deadlineAt: videos.deadlineAt });
      return row && row.mediaKey !== null ? { mediaKey: row.mediaKey, mediaAttempts: row.mediaAttempts, deadlineAt: row.deadlineAt } : null;
    },

    /** A copy attempt failed: count it (the backoff grows with the count). Null when the job ended meanwhile. */
    async countFailedAttempt(id: number, pixverseVideoId: string): Promise<number | null> {
      const [row] = await db
        .update(videos)
        .set({ mediaAttempts: sql`${videos.mediaAttempts} + 1`, updatedAt: sql`now()` })
        .where(generating(id, pixverseVideoId))
        .returning({ mediaAttempts: videos.mediaAttempts });
      return row?.mediaAttempts ?? null;
    },
  };
}

export type MediaQueries = ReturnType<typeof createMediaQueries>;
