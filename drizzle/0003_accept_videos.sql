-- Accept a batch of generation requests in one call (one round trip, one commit): take the insert lock,
-- apply the queue-depth and per-user limits exactly, insert the accepted rows in batch order, and answer
-- for every request its new id or the limit that refused it.
CREATE OR REPLACE FUNCTION accept_videos(batch jsonb, max_active int, max_waiting int, deadline_minutes int)
RETURNS TABLE (ord int, video_id bigint, refused text) LANGUAGE plpgsql AS $$
DECLARE room int;
BEGIN
  -- Serializes inserts across instances so the limits hold exactly; held until this transaction ends.
  PERFORM pg_advisory_xact_lock(1986618483);
  room := max_waiting - coalesce((SELECT waiting FROM queue_stats WHERE id = 1), 0);
  RETURN QUERY
  WITH req AS (
    SELECT r.o, r.a, r.u, r.ip, r.k, r.p FROM jsonb_to_recordset(batch) AS r(o int, a text, u text, ip text, k text, p text)
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
  ), inserted AS (
    INSERT INTO videos (app_bundle_id, apphud_user_id, client_ip, kind, prompt, deadline_at)
    SELECT d.a, d.u, d.ip, d.k, d.p, now() + make_interval(mins => deadline_minutes)
    FROM decided d WHERE d.user_ok AND d.taken <= room ORDER BY d.o
    RETURNING id
  ), ids AS (
    -- Identity values are drawn in insertion order, and the lock keeps other inserters out.
    SELECT inserted.id, row_number() OVER (ORDER BY inserted.id) AS n FROM inserted
  ), accepted AS (
    SELECT d.o, row_number() OVER (ORDER BY d.o) AS n FROM decided d WHERE d.user_ok AND d.taken <= room
  )
  SELECT d.o, ids.id,
         CASE WHEN d.user_ok AND d.taken <= room THEN NULL
              WHEN d.taken > room OR (NOT d.user_ok AND d.taken >= room) THEN 'queue_depth'
              ELSE 'active_videos_per_user' END
  FROM decided d LEFT JOIN accepted ON accepted.o = d.o LEFT JOIN ids ON ids.n = accepted.n
  ORDER BY d.o;
END $$;
