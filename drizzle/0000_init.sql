CREATE TABLE "queue_stats" (
	"id" integer PRIMARY KEY NOT NULL,
	"waiting" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "video_images" (
	"video_id" bigint PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL,
	"type" text NOT NULL,
	"width" integer NOT NULL,
	"height" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "videos" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "videos_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"app_bundle_id" text NOT NULL,
	"apphud_user_id" text NOT NULL,
	"client_ip" text,
	"kind" text NOT NULL,
	"prompt" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"account" text,
	"pixverse_video_id" text,
	"pixverse_status" integer,
	"result_url" text,
	"error_code" text,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lock_owner" text,
	"locked_at" timestamp with time zone,
	"submitted_at" timestamp with time zone,
	"deadline_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "video_images" ADD CONSTRAINT "video_images_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "videos_queued_idx" ON "videos" USING btree ("next_attempt_at","id") WHERE "videos"."state" = 'queued';--> statement-breakpoint
CREATE INDEX "videos_in_flight_idx" ON "videos" USING btree ("state","locked_at") WHERE "videos"."state" in ('submitting', 'generating');--> statement-breakpoint
CREATE INDEX "videos_user_active_idx" ON "videos" USING btree ("app_bundle_id","apphud_user_id") WHERE "videos"."state" in ('queued', 'submitting', 'generating');--> statement-breakpoint
CREATE INDEX "videos_active_deadline_idx" ON "videos" USING btree ("deadline_at") WHERE "videos"."state" in ('queued', 'submitting', 'generating');