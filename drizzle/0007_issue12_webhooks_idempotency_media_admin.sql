-- Issue 12: webhooks (callback_url, the outbox and its trigger), idempotency keys, our own copy of each video
-- (pixverse_url, first_frame_url, media_key, media_attempts), operator controls of accounts (/admin).
CREATE TABLE "account_controls" (
	"account" text PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"sign_in_requested_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"app_bundle_id" text NOT NULL,
	"apphud_user_id" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"video_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_app_bundle_id_apphud_user_id_key_pk" PRIMARY KEY("app_bundle_id","apphud_user_id","key")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"event_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"video_id" bigint NOT NULL,
	"url" text NOT NULL,
	"state" text NOT NULL,
	"result_url" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_status" integer,
	"last_error" text,
	"lock_owner" text,
	"locked_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "callback_url" text;--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "pixverse_url" text;--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "first_frame_url" text;--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "media_key" text;--> statement-breakpoint
ALTER TABLE "videos" ADD COLUMN "media_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_video_id_videos_id_fk" FOREIGN KEY ("video_id") REFERENCES "public"."videos"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_video_key" ON "webhook_deliveries" USING btree ("video_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."delivered_at" is null and "webhook_deliveries"."failed_at" is null;--> statement-breakpoint
-- The outbox is written in the transaction that ends the job, whatever statement ends it: one event per video
-- with a callback URL, at its first final state (a later change, a deletion by Pixverse after delivery, sends none).
CREATE OR REPLACE FUNCTION enqueue_video_finished() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_deliveries (video_id, url, state, result_url)
  VALUES (NEW.id, NEW.callback_url, NEW.state, NEW.result_url)
  ON CONFLICT (video_id) DO NOTHING;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER videos_enqueue_video_finished
  AFTER UPDATE OF state ON videos
  FOR EACH ROW
  WHEN (NEW.callback_url IS NOT NULL
        AND NEW.state IN ('succeeded', 'failed', 'moderated', 'deleted')
        AND OLD.state IN ('queued', 'submitting', 'generating'))
  EXECUTE FUNCTION enqueue_video_finished();

--> statement-breakpoint
-- accept_videos as in 0005, and each request's callback URL (`cb`, absent: null).
CREATE OR REPLACE FUNCTION accept_videos(batch jsonb, max_active int, max_waiting int, deadline_minutes int)
RETURNS TABLE (ord int, video_id bigint, refused text) LANGUAGE plpgsql AS $$
DECLARE
  room int;
  ids regclass := pg_get_serial_sequence('videos', 'id')::regclass;
BEGIN
  -- Serializes inserts across instances so the limits hold exactly; held until this transaction ends.
  PERFORM pg_advisory_xact_lock(1986618483);
  room := max_waiting - coalesce((SELECT waiting FROM queue_stats WHERE id = 1), 0);
  RETURN QUERY
  WITH req AS (
    SELECT r.o, r.a, r.u, r.ip, r.k, r.p, r.s, r.cb
    FROM jsonb_to_recordset(batch) AS r(o int, a text, u text, ip text, k text, p text, s jsonb, cb text)
  ), owners AS (
    -- One index probe per distinct owner (videos_user_active_idx).
    SELECT d.a, d.u, (SELECT count(*)::int FROM videos v
                      WHERE v.app_bundle_id = d.a AND v.apphud_user_id = d.u
                        AND v.state IN ('queued', 'submitting', 'generating')) AS active
    FROM (SELECT DISTINCT req.a, req.u FROM req) d
  ), per_user AS (
    SELECT req.*, owners.active + row_number() OVER (PARTITION BY req.a, req.u ORDER BY req.o) <= max_active AS user_ok
    FROM req JOIN owners ON owners.a = req.a AND owners.u = req.u
  ), decided AS (
    -- Requests take the remaining room in batch order; one refused for its user takes none.
    SELECT per_user.*,
           count(*) FILTER (WHERE per_user.user_ok) OVER (ORDER BY per_user.o) AS taken
    FROM per_user
  ), numbered AS (
    -- Referenced twice, so evaluated once: each accepted request gets exactly one id.
    SELECT q.*, CASE WHEN q.user_ok AND q.taken <= room THEN nextval(ids) END AS id
    FROM (SELECT * FROM decided ORDER BY decided.o) q
  ), inserted AS (
    -- An absent `s` and `"s": null` both read as SQL null.
    INSERT INTO videos (id, app_bundle_id, apphud_user_id, client_ip, kind, prompt, settings, callback_url, deadline_at) OVERRIDING SYSTEM VALUE
    SELECT n.id, n.a, n.u, n.ip, n.k, n.p, n.s, n.cb, now() + make_interval(mins => deadline_minutes)
    FROM numbered n WHERE n.id IS NOT NULL ORDER BY n.o
  )
  SELECT n.o, n.id,
         CASE WHEN n.id IS NOT NULL THEN NULL
              WHEN n.taken > room OR (NOT n.user_ok AND n.taken >= room) THEN 'queue_depth'
              ELSE 'active_videos_per_user' END
  FROM numbered n ORDER BY n.o;
END $$;
