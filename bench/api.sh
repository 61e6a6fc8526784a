#!/usr/bin/env bash
# The API benchmark of issue 3 ("Speed"), in one run on this machine, loopback traffic only:
#   1. the reference apps of ../shared/bench (hello-world Hono, Fastify + pg, FastAPI + asyncpg) through their
#      own baselines.sh (wrk 2 threads, 32 connections, 5 s);
#   2. this service (`bun src/main.ts`, GENERATOR=none, limits out of the way, real PostgreSQL, fresh database)
#      measured the same way: GET /get_status (warm-up run, then measured run) and POST /text2video
#      (../shared/bench/post.lua, a distinct user per request), once with LOG_LEVEL=info (request logs on,
#      stdout to a file) and once with LOG_LEVEL=warn; after each text2video run, every 200 that wrk got must be
#      a committed row;
#   3. the ratios against the targets: get_status ours/hello >= 0.60, text2video ours/fastify-pg >= 2.0, each the
#      median of PAIRS (3) rounds in which the reference app (hello.ts, peer-fastify.ts, kept running) and ours
#      are measured back to back;
#      With LOG_LEVEL=info it then polls many videos: a 2 s burst of text2video from one user, then GET
#      /get_status for a random one of them (bench/status-many.lua), where most reads miss the status cache;
#   4. memory: ROUNDS rounds of 32 concurrent ~19 MiB PNG uploads to POST /image2video, the service's peak RSS
#      (VmRSS sampled every 50 ms, and the kernel's VmHWM) against the target < 1024 MB.
# Everything it starts is stopped, and its databases dropped, on exit. Bounded: the whole run is killed after
# BENCH_TIMEOUT seconds (default 480; it takes about 4 minutes).
# Environment: SHARED_BENCH (default ../shared/bench next to the repo), PGHOST/PGPORT/PGUSER (127.0.0.1, 5432,
# postgres), SERVICE_DIR (another checkout to measure, default this repo), BUN_FLAGS (e.g. --smol) for our
# service, UPLOAD_ROUNDS (3), KEEP=1 keeps the temp folder (logs, wrk outputs).
# Exit status: 0 when the run completed (targets are reported, not enforced), 1 on a correctness failure
# (a 200 without a committed row, an upload not answered 200, the service not starting).
set -euo pipefail

if [ -z "${API_BENCH_UNDER_TIMEOUT:-}" ]; then
  export API_BENCH_UNDER_TIMEOUT=1
  exec timeout -s TERM "${BENCH_TIMEOUT:-480}" bash "$0" "$@"
fi

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SERVICE_DIR=$(cd "${SERVICE_DIR:-$ROOT}" && pwd)   # the tree whose src/main.ts is measured (default: this repo)
SHARED=${SHARED_BENCH:-$(cd "$ROOT/../shared/bench" 2>/dev/null && pwd || true)}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER PGPASSWORD=${PGPASSWORD:-postgres}
DB=bench_api
DBURL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/api-bench.XXXXXX")
REF="$WORK/refs"                                       # this run's writable copy of shared/bench
REF_CACHE="${TMPDIR:-/tmp}/pixverse-api-bench-refs"    # its node_modules, installed once and reused
BIG=1000000000
CLK=$(getconf CLK_TCK)
SVC="" SAMPLER="" BASE_PID="" HELLO_PID="" FASTIFY_PID="" FAILED=0

say() { echo "[api.sh] $*" >&2; }
die() { say "$*"; exit 1; }

for tool in wrk bun psql curl; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -n "$SHARED" ] && [ -f "$SHARED/baselines.sh" ] || die "reference apps not found (set SHARED_BENCH to ../shared/bench)"

cleanup() {
  set +e
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
  stop_service
  [ -n "$HELLO_PID" ] && stop_refs
  [ -n "$BASE_PID" ] && kill -0 "$BASE_PID" 2>/dev/null && kill -TERM -- "-$BASE_PID" 2>/dev/null
  # A reference server left behind by an interrupted baselines.sh (uvicorn runs in its own session): any
  # process whose working directory is this run's copy of shared/bench was started by this run.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/cwd" 2>/dev/null)" = "$REF" ] && kill -TERM "${p#/proc/}" 2>/dev/null
  done
  psql -qX -d postgres -c "drop database if exists $DB with (force)" -c "drop database if exists perf_peer with (force)" >/dev/null 2>&1
  if [ -n "${KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---------- CPU accounting (/proc, in clock ticks) ----------
ticks_of() { # pid → utime + stime
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  echo $(( ${12} + ${13} ))
}
pg_ticks_snapshot() { # "pid:ticks" of every postgres process (server and backends)
  local p comm
  for p in /proc/[0-9]*; do
    { read -r comm <"$p/comm"; } 2>/dev/null || continue
    if [ "$comm" = postgres ]; then echo "${p#/proc/}:$(ticks_of "${p#/proc/}")"; fi
  done
  return 0
}
pg_ticks_delta() { # CPU ticks postgres used since the snapshot in $1 (processes that exited meanwhile are not counted)
  local before=$1 sum=0 entry pid t0
  declare -A start=()
  for entry in $before; do start[${entry%%:*}]=${entry#*:}; done
  for entry in $(pg_ticks_snapshot); do
    pid=${entry%%:*}; t0=${start[$pid]:-0}
    sum=$(( sum + ${entry#*:} - t0 ))
  done
  echo $sum
}
ticks_machine() { # busy and total ticks of all cores
  local _ u n s i w q sq st
  read -r _ u n s i w q sq st _ </proc/stat
  echo "$(( u + n + s + q + sq + st )) $(( u + n + s + i + w + q + sq + st ))"
}
cpu_start() { C_SVC=$(ticks_of "$SVC"); C_PG=$(pg_ticks_snapshot); read -r C_BUSY C_ALL <<<"$(ticks_machine)"; }
cpu_stop() { # → CPU, "service x% postgres y% other z% idle w%" (100% = one core)
  local svc pg busy all cores=$(nproc)
  svc=$(( $(ticks_of "$SVC") - C_SVC )); pg=$(pg_ticks_delta "$C_PG")
  read -r busy all <<<"$(ticks_machine)"; busy=$(( busy - C_BUSY )); all=$(( all - C_ALL ))
  CPU=$(awk -v s="$svc" -v p="$pg" -v b="$busy" -v a="$all" -v c="$cores" 'BEGIN {
    secs = a / c; if (secs <= 0) secs = 1
    printf "cpu (100%% = 1 core of %d): service %.0f%% postgres %.0f%% other %.0f%% idle %.0f%%", c, 100*s/secs, 100*p/secs, 100*(b-s-p)/secs, 100*(a-b)/secs
  }')
}

# ---------- our service ----------
free_port() { bun -e 'const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") }); console.log(s.port); s.stop(true);'; }

start_service() { # LOG_LEVEL LOGFILE
  PORT=$(free_port)
  BASE="http://127.0.0.1:$PORT"
  (cd "$SERVICE_DIR" && exec env PORT="$PORT" HOST=127.0.0.1 DATABASE_URL="$DBURL" GENERATOR=none LOG_LEVEL="$1" EMAIL= PASSWORD= \
    RATE_LIMIT_GENERATIONS_PER_MINUTE=$BIG RATE_LIMIT_STATUS_PER_MINUTE=$BIG \
    MAX_ACTIVE_VIDEOS_PER_USER=$BIG MAX_QUEUE_DEPTH=$BIG \
    bun ${BUN_FLAGS:-} src/main.ts) >"$2" 2>&1 &
  SVC=$!
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$BASE/health" 2>/dev/null && return 0
    kill -0 "$SVC" 2>/dev/null || { tail -5 "$2" >&2; die "the service exited at start"; }
    sleep 0.1
  done
  tail -5 "$2" >&2
  die "the service did not answer /health within 15 s"
}
stop_service() {
  [ -n "$SVC" ] || return 0
  kill -TERM "$SVC" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$SVC" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SVC" 2>/dev/null || true
  wait "$SVC" 2>/dev/null || true
  SVC=""
}

fresh_db() { psql -qX -d postgres -c "drop database if exists $DB with (force)" -c "create database $DB" >/dev/null 2>&1; }
rows() { psql -qXtA -d "$DB" -c "select count(*) from videos"; }

# wrk, like baselines.sh (2 threads, 32 connections, 5 s), plus count.lua's summary line.
# → RPS REQS NON2XX SOCKERR P50 P99 CPU
wrk_run() { # NAME URL [INNER_LUA]
  local out="$WORK/wrk-$1.txt"
  cpu_start
  WRK_SCRIPT="${3:-}" wrk -t2 -c32 -d5s -s "$BENCH/count.lua" "$2" >"$out" 2>&1 || true
  cpu_stop
  RPS=$(awk '/Requests\/sec/ {print int($2)}' "$out")
  local s; s=$(grep '^WRK_SUMMARY' "$out" || true)
  [ -n "$RPS" ] && [ -n "$s" ] || { cat "$out" >&2; die "wrk run $1 failed"; }
  field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$s"; }
  REQS=$(field requests); NON2XX=$(field non2xx); P50=$(field p50_ms); P99=$(field p99_ms)
  SOCKERR=$(( $(field connect) + $(field read) + $(field write) + $(field timeout) ))
}

# The reference apps again, up for the whole of section 2, so that each measurement of ours is paired with one
# of its reference taken right before it: on a shared machine the speed drifts by more than the differences
# measured, and a ratio of two runs a minute apart measures the drift.
start_refs() {
  (cd "$REF" && exec env PORT=3910 bun hello.ts) >"$WORK/hello.log" 2>&1 &
  HELLO_PID=$!
  (cd "$REF" && exec env DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/perf_peer" PORT=3911 bun peer-fastify.ts) >"$WORK/fastify.log" 2>&1 &
  FASTIFY_PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:3910/get_status" 2>/dev/null &&
      curl -fsS -o /dev/null "http://127.0.0.1:3911/get_status?video_id=1&app_bundle_id=com.perf&apphud_user_id=perf" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the reference apps did not start for the paired runs"
}
stop_refs() { kill "$HELLO_PID" "$FASTIFY_PID" 2>/dev/null || true; wait "$HELLO_PID" "$FASTIFY_PID" 2>/dev/null || true; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

PAIRS=${PAIRS:-3}
measure_ours() { # LABEL LOG_LEVEL → medians of PAIRS paired rounds: G_RPS P_RPS G_RATIO P_RATIO, and the last round's lines
  local label=$1 log="$WORK/service-$2.log"
  fresh_db
  start_service "$2" "$log"
  local seed id
  seed=$(curl -fsS -H 'content-type: application/json' \
    -d '{"prompt":"bench seed","app_bundle_id":"com.perf","apphud_user_id":"perf"}' "$BASE/text2video") || die "seed request failed"
  id=$(sed -n 's/.*"video_id":\([0-9]*\).*/\1/p' <<<"$seed")
  [ -n "$id" ] || die "seed answer without video_id: $seed"
  local url="$BASE/get_status?video_id=$id&app_bundle_id=com.perf&apphud_user_id=perf"
  local answer; answer=$(curl -fsS "$url") || die "get_status of the seeded video failed"
  say "$label: seeded video $id, get_status answers $answer; $PAIRS paired rounds"

  wrk_run "$label-get-warm" "$url"
  local r gets="" posts="" gratios="" pratios="" ok200=0 reqs=0 before after ref
  before=$(rows)
  for r in $(seq 1 "$PAIRS"); do
    wrk_run "$label-hello-$r" "http://127.0.0.1:3910/get_status?video_id=1&app_bundle_id=com.perf&apphud_user_id=perf"; ref=$RPS
    wrk_run "$label-get-$r" "$url"
    gets="$gets $RPS"; gratios="$gratios $(ratio "$RPS" "$ref")"
    G_LINE="non-2xx=$NON2XX socket-errors=$SOCKERR p50=${P50}ms p99=${P99}ms; $CPU"
    wrk_run "$label-fastify-$r" "http://127.0.0.1:3911" "$SHARED/post.lua"; ref=$RPS
    wrk_run "$label-post-$r" "$BASE" "$SHARED/post.lua"
    posts="$posts $RPS"; pratios="$pratios $(ratio "$RPS" "$ref")"
    ok200=$(( ok200 + REQS - NON2XX )); reqs=$(( reqs + REQS ))
    P_LINE="non-2xx=$NON2XX socket-errors=$SOCKERR p50=${P50}ms p99=${P99}ms; $CPU"
  done
  after=$(rows)
  # Many videos polled (info only): the videos of one user, made in a 2 s burst, read at random.
  M_LINE=""
  if [ "$2" = info ]; then
    local first last
    first=$(( $(psql -qXtA -d "$DB" -c "select coalesce(max(id), 0) from videos") + 1 ))
    WRK_SCRIPT="$BENCH/owner-post.lua" wrk -t2 -c32 -d2s -s "$BENCH/count.lua" "$BASE" >"$WORK/wrk-$label-owner-post.txt" 2>&1 || true
    last=$(psql -qXtA -d "$DB" -c "select max(id) from videos where apphud_user_id = 'perf'")
    if [ -n "$last" ] && [ "$last" -gt "$first" ]; then
      export FIRST=$first LAST=$last
      wrk_run "$label-status-many" "$BASE" "$BENCH/status-many.lua"
      M_LINE="get_status over $(( last - first + 1 )) videos polled at random: $RPS rps, non-2xx=$NON2XX socket-errors=$SOCKERR p50=${P50}ms p99=${P99}ms; $CPU"
    else
      M_LINE="get_status over many videos: the burst of text2video made none"
    fi
  fi
  G_RPS=$(median <<<"$gets"); P_RPS=$(median <<<"$posts")
  G_RATIO=$(median <<<"$gratios"); P_RATIO=$(median <<<"$pratios")
  G_ROUNDS="${gratios# }"; P_ROUNDS="${pratios# }"
  if [ "$ok200" -le $(( after - before )) ]; then
    P_DURABLE="durable: OK (wrk got $ok200 answers 200 (of $reqs); the videos table gained $(( after - before )) rows)"
  else
    P_DURABLE="durable: FAILED (wrk got $ok200 answers 200 but the videos table gained only $(( after - before )) rows)"
    FAILED=1
  fi
  stop_service
  L_LINES=$(wc -l <"$log")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { if (r == "n/a") print "n/a"; else if ((op == ">=" && r >= t) || (op == "<" && r < t)) print "MET"; else print "MISSED" }'; }

# ---------- 0. how busy the machine is before we start (other work skews every figure) ----------
read -r B0 A0 <<<"$(ticks_machine)"; sleep 1; read -r B1 A1 <<<"$(ticks_machine)"
QUIET=$(awk -v b=$((B1 - B0)) -v a=$((A1 - A0)) -v c="$(nproc)" 'BEGIN { printf "%.0f%% of %d cores busy in the second before the run", (a > 0 ? 100*b/a : 0), c }')
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
# What a commit costs on this server: the reference's text2video waits for one per request (the ratio moves with it).
COMMIT=$(bun "$BENCH/commit-latency.ts" "postgres://$PGUSER@$PGHOST:$PGPORT/postgres" 2>/dev/null) || COMMIT="commit probe failed"

# ---------- 1. reference apps ----------
say "preparing the reference apps in $REF"
mkdir -p "$REF" "$REF_CACHE"
cp "$SHARED"/* "$REF"/ && chmod -R u+w "$REF"
if [ ! -d "$REF_CACHE/node_modules" ] || ! cmp -s "$SHARED/bun.lock" "$REF_CACHE/bun.lock"; then
  cp -f "$SHARED/package.json" "$SHARED/bun.lock" "$REF_CACHE"/ && chmod u+w "$REF_CACHE"/*
  (cd "$REF_CACHE" && bun install --frozen-lockfile >/dev/null 2>&1) || die "bun install of the reference apps failed"
fi
ln -s "$REF_CACHE/node_modules" "$REF/node_modules"
FASTAPI_NOTE=""
if ! /usr/bin/python3 -c 'import fastapi, uvicorn, asyncpg, uvloop, httptools' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing the FastAPI peer's Debian packages"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-fastapi python3-uvicorn \
      python3-asyncpg python3-uvloop python3-httptools; } >"$WORK/apt.log" 2>&1 || true
  fi
  /usr/bin/python3 -c 'import fastapi, uvicorn, asyncpg, uvloop, httptools' 2>/dev/null ||
    FASTAPI_NOTE=" (FastAPI peer skipped: python3-fastapi/uvicorn/asyncpg/uvloop/httptools not installable)"
fi
say "running baselines.sh (about 50 s)"
setsid bash "$REF/baselines.sh" >"$WORK/baselines.txt" 2>&1 &
BASE_PID=$!
wait "$BASE_PID" || true
BASE_PID=""
num() { sed -n "s/^$1 .*$2=\([0-9]*\) rps.*/\1/p" "$WORK/baselines.txt"; }
H_GET=$(num hello get_status); H_POST=$(num hello text2video)
F_GET=$(num fastify-pg get_status); F_POST=$(num fastify-pg text2video)
A_GET=$(num fastapi-asyncpg get_status); A_POST=$(num fastapi-asyncpg text2video)
[ -n "$H_GET" ] && [ -n "$F_POST" ] || { cat "$WORK/baselines.txt" >&2; die "baselines.sh gave no hello/fastify figures"; }

# ---------- 2. our service ----------
start_refs
say "measuring our service, LOG_LEVEL=info"
measure_ours info info
I_GET=$G_RPS I_POST=$P_RPS I_GLINE=$G_LINE I_PLINE=$P_LINE I_DURABLE=$P_DURABLE I_LINES=$L_LINES I_MANY=$M_LINE
G_RATIO_I=$G_RATIO P_RATIO_I=$P_RATIO G_ROUNDS_I=$G_ROUNDS P_ROUNDS_I=$P_ROUNDS
say "measuring our service, LOG_LEVEL=warn"
measure_ours warn warn
W_GET=$G_RPS W_POST=$P_RPS W_GLINE=$G_LINE W_PLINE=$P_LINE W_DURABLE=$P_DURABLE
G_RATIO_W=$G_RATIO P_RATIO_W=$P_RATIO G_ROUNDS_W=$G_ROUNDS P_ROUNDS_W=$P_ROUNDS
stop_refs

# ---------- 4. memory under concurrent uploads ----------
ROUNDS=${UPLOAD_ROUNDS:-3}
say "memory: $ROUNDS rounds of 32 concurrent 19 MiB uploads"
bun "$BENCH/make-png.ts" "$WORK/big.png" $(( 19 * 1024 * 1024 )) 1024 1024 >/dev/null
fresh_db
start_service info "$WORK/service-upload.log"
RSS_START=$(awk '/^VmRSS:/ {print $2}' "/proc/$SVC/status")
echo 0 >"$WORK/rss-max"
( max=0
  while [ -r "/proc/$SVC/status" ]; do
    while read -r k v _; do
      if [ "$k" = VmRSS: ]; then [ "$v" -gt "$max" ] && { max=$v; echo "$max" >"$WORK/rss-max"; }; break; fi
    done <"/proc/$SVC/status" 2>/dev/null || true
    sleep 0.05
  done ) &
SAMPLER=$!
I2V_BEFORE=$(psql -qXtA -d "$DB" -c "select count(*) from video_images")
cpu_start
UPLOADS=$(bun "$BENCH/uploads.ts" "$BASE" "$WORK/big.png" 32 "$ROUNDS" 2>"$WORK/uploads.err") || FAILED=1
cpu_stop
UP_CPU=$CPU
sleep 0.2
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$SVC/status")
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=""
RSS_MAX=$(cat "$WORK/rss-max")
I2V_AFTER=$(psql -qXtA -d "$DB" -c "select count(*) from video_images")
stop_service

# ---------- 3. figures ----------
MB() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
PEAK_MB=$(MB "$(( RSS_MAX > HWM ? RSS_MAX : HWM ))")
cat <<EOF
== API benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, bun $(bun --version), wrk -t2 -c32 -d5s, PostgreSQL at $PGHOST:$PGPORT
   machine before the run: $QUIET, load average $LOADAVG
   PostgreSQL, one connection, microseconds: $COMMIT (a one-row insert and its commit; select 1)
   measured tree: $SERVICE_DIR ($(git -C "$SERVICE_DIR" rev-parse --short HEAD 2>/dev/null || echo "no git")$( [ -n "$(git -C "$SERVICE_DIR" status --porcelain -- src drizzle 2>/dev/null)" ] && echo ", src/ or drizzle/ has uncommitted changes"))
-- reference apps (../shared/bench/baselines.sh, this run)$FASTAPI_NOTE
$(grep -v NOTICE "$WORK/baselines.txt")
-- ours (bun src/main.ts, GENERATOR=none, limits at $BIG, a fresh database $DB for each start; medians of $PAIRS rounds)
ours get_status=$I_GET rps text2video=$I_POST rps   (LOG_LEVEL=info, request logs to a file: $I_LINES lines)
ours(warn) get_status=$W_GET rps text2video=$W_POST rps   (LOG_LEVEL=warn)
  info get_status: $I_GLINE
  info text2video: $I_PLINE
  info text2video $I_DURABLE
  info $I_MANY
  warn get_status: $W_GLINE
  warn text2video: $W_PLINE
  warn text2video $W_DURABLE
-- ratios (target): each round runs the reference, then ours, back to back; the median of the rounds' ratios
get_status ours/hello = $G_RATIO_I (>= 0.60: $(verdict "$G_RATIO_I" 0.60 ">="))   rounds: $G_ROUNDS_I   [warn: $G_RATIO_W, rounds: $G_ROUNDS_W]
text2video ours/fastify-pg = $P_RATIO_I (>= 2.0: $(verdict "$P_RATIO_I" 2.0 ">="))   rounds: $P_ROUNDS_I   [warn: $P_RATIO_W, rounds: $P_ROUNDS_W]
-- memory: $ROUNDS rounds of 32 concurrent uploads of a $(stat -c %s "$WORK/big.png")-byte PNG to /image2video (LOG_LEVEL=info)
${UPLOADS:-UPLOADS failed: $(tail -3 "$WORK/uploads.err")}
  video_images rows +$(( I2V_AFTER - I2V_BEFORE )); RSS at start $(MB "$RSS_START") MB; $UP_CPU
peak RSS = $PEAK_MB MB (sampled every 50 ms: $(MB "$RSS_MAX") MB, VmHWM: $(MB "$HWM") MB) (< 1024 MB: $(verdict "$PEAK_MB" 1024 "<"))
EOF
[ "$FAILED" = 0 ] || say "correctness failure: see the durable/uploads lines above"
exit "$FAILED"
