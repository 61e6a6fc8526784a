-- What a caller chose for a video (model, quality, duration, aspectRatio, seed, negativePrompt; only the keys
-- given), or null: the operator's defaults apply at submission. Rows from before have none.
ALTER TABLE "videos" ADD COLUMN "settings" jsonb;--> statement-breakpoint
-- accept_videos as in 0004, with each request's settings (key `s`, absent or null when none) stored on its row.
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
    SELECT r.o, r.a, r.u, r.ip, r.k, r.p, r.s
    FROM jsonb_to_recordset(batch) AS r(o int, a text, u text, ip text, k text, p text, s jsonb)
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
    INSERT INTO videos (id, app_bundle_id, apphud_user_id, client_ip, kind, prompt, settings, deadline_at) OVERRIDING SYSTEM VALUE
    SELECT n.id, n.a, n.u, n.ip, n.k, n.p, n.s, now() + make_interval(mins => deadline_minutes)
    FROM numbered n WHERE n.id IS NOT NULL ORDER BY n.o
  )
  SELECT n.o, n.id,
         CASE WHEN n.id IS NOT NULL THEN NULL
              WHEN n.taken > room OR (NOT n.user_ok AND n.taken >= room) THEN 'queue_depth'
              ELSE 'active_videos_per_user' END
  FROM numbered n ORDER BY n.o;
END $$;
