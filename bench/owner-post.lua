-- wrk script: POST /text2video, every request from the one user com.perf/perf (the videos that
-- status-many.lua then polls; limits are out of the way in bench/api.sh).
wrk.method = "POST"
wrk.path = "/text2video"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"prompt":"a video to poll","app_bundle_id":"com.perf","apphud_user_id":"perf"}'
