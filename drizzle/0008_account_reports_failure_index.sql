-- What each lease's holder last saw of its account (state, since, credits, slots, in flight), written with
-- every heartbeat: /admin on any instance shows the accounts other instances drive. And an index for /admin's
-- recent failures (newest first among the jobs that ended without a video).
ALTER TABLE "account_leases" ADD COLUMN IF NOT EXISTS "report" jsonb;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "videos_recent_failure_idx" ON "videos" USING btree ("id") WHERE "videos"."state" in ('failed', 'moderated', 'deleted');