-- accept_videos, leaner on the serial path every group-commit batch takes (bench/README.md):
--   * it adds its accepted rows to queue_stats itself, in the same statement, and the statement-level insert
--     trigger goes: that trigger was about 50 µs of a 16-row call's 340 µs inside PostgreSQL (a PL/pgSQL call
--     and a query over the transition table for each batch). accept_videos is the only way rows enter `videos`
--     (src/db/requests.ts); the update and delete triggers still keep the counter for the dispatcher's changes;
--   * each request's active count is one index probe in the same pass as its place among its owner's requests
--     (no separate owners CTE and join), and the sequence is named, not looked up on every call.
-- Same decisions, same ids in batch order, same answers as 0007.
DROP TRIGGER IF EXISTS "videos_queue_stats_insert" ON "videos";--> statement-breakpoint
DROP FUNCTION IF EXISTS queue_stats_on_insert();--> statement-breakpoint
CREATE OR REPLACE FUNCTION accept_videos(batch jsonb, max_active int, max_waiting int, deadline_minutes int)
RETURNS TABLE (ord int, video_id bigint, refused text) LANGUAGE plpgsql AS $$
DECLARE
  room int;
BEGIN
  -- Serializes inserts across instances so the limits hold exactly; held until this transaction ends.
  PERFORM pg_advisory_xact_lock(1986618483);
  room := max_waiting - coalesce((SELECT waiting FROM queue_stats WHERE id = 1), 0);
  RETURN QUERY
  WITH req AS (
    -- One index probe per request (videos_user_active_idx); its owner's earlier requests in the batch count too.
    SELECT r.o, r.a, r.u, r.ip, r.k, r.p, r.s, r.cb,
           (SELECT count(*) FROM videos v
             WHERE v.app_bundle_id = r.a AND v.apphud_user_id = r.u
               AND v.state IN ('queued', 'submitting', 'generating'))
           + row_number() OVER (PARTITION BY r.a, r.u ORDER BY r.o) <= max_active AS user_ok
    FROM jsonb_to_recordset(batch) AS r(o int, a text, u text, ip text, k text, p text, s jsonb, cb text)
  ), numbered AS (
    -- Requests take the remaining room in batch order (one refused for its user takes none); referenced
    -- twice, so evaluated once: each accepted request gets exactly one id, in batch order.
    SELECT q.*, CASE WHEN q.user_ok AND q.taken <= room THEN nextval('videos_id_seq') END AS id
    FROM (SELECT req.*, count(*) FILTER (WHERE req.user_ok) OVER (ORDER BY req.o) AS taken FROM req ORDER BY req.o) q
  ), inserted AS (
    -- An absent `s` and `"s": null` both read as SQL null.
    INSERT INTO videos (id, app_bundle_id, apphud_user_id, client_ip, kind, prompt, settings, callback_url, deadline_at) OVERRIDING SYSTEM VALUE
    SELECT n.id, n.a, n.u, n.ip, n.k, n.p, n.s, n.cb, now() + make_interval(mins => deadline_minutes)
    FROM numbered n WHERE n.id IS NOT NULL
    RETURNING 1
  ), counted AS (
    -- Every new row is queued: the queue's depth grows by the rows inserted.
    UPDATE queue_stats SET waiting = waiting + (SELECT count(*) FROM inserted)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM inserted)
  )
  SELECT n.o, n.id,
         CASE WHEN n.id IS NOT NULL THEN NULL
              WHEN n.taken > room OR (NOT n.user_ok AND n.taken >= room) THEN 'queue_depth'
              ELSE 'active_videos_per_user' END
  FROM numbered n ORDER BY n.o;
END $$;
