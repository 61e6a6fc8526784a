-- Keep queue_stats.waiting (queued + submitting) exact with statement-level triggers, so the queue-depth limit
-- reads one row instead of counting jobs on every request.
INSERT INTO "queue_stats" ("id", "waiting")
SELECT 1, count(*)::int FROM "videos" WHERE "state" IN ('queued', 'submitting')
ON CONFLICT ("id") DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION queue_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta int;
BEGIN
  SELECT count(*) INTO delta FROM new_rows WHERE "state" IN ('queued', 'submitting');
  IF delta <> 0 THEN UPDATE "queue_stats" SET "waiting" = "waiting" + delta WHERE "id" = 1; END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION queue_stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta int;
BEGIN
  SELECT (SELECT count(*) FROM new_rows WHERE "state" IN ('queued', 'submitting'))
       - (SELECT count(*) FROM old_rows WHERE "state" IN ('queued', 'submitting'))
    INTO delta;
  IF delta <> 0 THEN UPDATE "queue_stats" SET "waiting" = "waiting" + delta WHERE "id" = 1; END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION queue_stats_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE delta int;
BEGIN
  SELECT count(*) INTO delta FROM old_rows WHERE "state" IN ('queued', 'submitting');
  IF delta <> 0 THEN UPDATE "queue_stats" SET "waiting" = "waiting" - delta WHERE "id" = 1; END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "videos_queue_stats_insert" AFTER INSERT ON "videos"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_stats_on_insert();
--> statement-breakpoint
CREATE TRIGGER "videos_queue_stats_update" AFTER UPDATE ON "videos"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_stats_on_update();
--> statement-breakpoint
CREATE TRIGGER "videos_queue_stats_delete" AFTER DELETE ON "videos"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_stats_on_delete();
