// SESSION_STORE=postgres: the sealed browser sessions of the accounts (src/sidecar/session-sync.ts seals them).
import { eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { accountSessions } from "./schema.ts";

export interface SealedSession {
  sealed: Uint8Array;
  savedAt: Date;
}

export function createSessionQueries(db: Db) {
  return {
    async load(key: string): Promise<SealedSession | null> {
      const [row] = await db.select({ sealed: accountSessions.sealed, savedAt: accountSessions.savedAt }).from(accountSessions).where(eq(accountSessions.key, key));
      return row ?? null;
    },
    /** Keep `session` unless the stored one is as new or newer (an older copy never overwrites a newer one). */
    async store(key: string, session: SealedSession): Promise<void> {
      await db
        .insert(accountSessions)
        .values({ key, ...session })
        .onConflictDoUpdate({
          target: accountSessions.key,
          set: { sealed: sql`excluded.sealed`, savedAt: sql`excluded.saved_at` },
          setWhere: sql`${accountSessions.savedAt} < excluded.saved_at`,
        });
    },
  };
}

export type SessionQueries = ReturnType<typeof createSessionQueries>;
