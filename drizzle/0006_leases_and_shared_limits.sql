-- Which instance drives each Pixverse account (one live session per account at Pixverse): renewed by
-- heartbeat, taken over once expires_at has passed.
CREATE TABLE "account_leases" (
	"account" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Shared rate-limit counters (RATE_LIMIT_STORE=postgres). UNLOGGED: counters need no crash safety, and
-- their writes skip the WAL.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"hits" integer NOT NULL,
	"reset_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
-- A Pixverse video belongs to one job.
CREATE UNIQUE INDEX "videos_account_pixverse_id_key" ON "videos" USING btree ("account","pixverse_video_id") WHERE "videos"."pixverse_video_id" is not null;