#!/usr/bin/env bash
# The Dockerfile's runtime steps run on this Debian machine, without Docker (images cannot be pulled here):
# the apt packages, the `app` user (uid 10001), the copied files, `bun install --production`, then, through
# the image's own entry point (root → app), the release command, the service (GENERATOR=none) answering
# /health, and Chromium with its sandbox ON (no --no-sandbox), both bare and launched by the service's own
# launchBrowser. Needs root (like the image's entry point). Everything lives in a temporary folder that is
# removed at the end, and every wait is bounded. Not part of `npm test`: it installs packages and users.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUN_VERSION="$(sed -n 's/^BUN_VERSION="\(.*\)"/\1/p' "$ROOT/scripts/bootstrap.sh")"
say() { printf '[docker-steps] %s\n' "$*" >&2; }
results=()
pass() { results+=("PASS  $*"); say "PASS: $*"; }
fail() { results+=("FAIL  $*"); say "FAIL: $*"; }

if [ "$(id -u)" -ne 0 ]; then say "run as root (the image's entry point starts as root)"; exit 2; fi

WORK="$(mktemp -d /tmp/docker-steps.XXXXXX)"
chmod 0755 "$WORK"
created_user=""
service_pid=""
pgdb=""
cleanup() {
  [ -n "$service_pid" ] && kill -KILL "$service_pid" 2>/dev/null
  [ -n "$pgdb" ] && psql -q -h 127.0.0.1 -U postgres -c "drop database if exists $pgdb with (force)" >/dev/null 2>&1
  rm -rf "$WORK"
  if [ -n "$created_user" ]; then userdel --remove app 2>/dev/null; groupdel app 2>/dev/null; fi
}
trap cleanup EXIT

# RUN apt-get install chromium fonts-liberation ca-certificates
missing=()
for p in chromium fonts-liberation ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  timeout 600 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
for p in chromium fonts-liberation ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || { fail "apt package $p"; }; done
[ -x /usr/bin/setpriv ] && pass "apt packages installed; setpriv present (util-linux, essential)" || fail "setpriv missing"

# COPY --from=build /opt/bun /usr/local/bin/bun (the build stage's npm bun@BUN_VERSION)
BUN="$ROOT/.tools/node_modules/.bin/bun"
if [ ! -x "$BUN" ] || [ "$("$BUN" --version)" != "$BUN_VERSION" ]; then
  timeout 300 npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >&2
fi
mkdir -p "$WORK/bin"
install -m 0755 "$(readlink -f "$BUN")" "$WORK/bin/bun"
export PATH="$WORK/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
[ "$(bun --version)" = "$BUN_VERSION" ] && pass "bun $BUN_VERSION" || fail "bun version $(bun --version) != $BUN_VERSION"

# RUN groupadd/useradd app (uid 10001) && install -d -o app -g app -m 0700 /data
if ! id app >/dev/null 2>&1; then
  groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app
  created_user=1
fi
[ "$(id -u app)" -gt 0 ] && pass "user app, uid $(id -u app)" || fail "user app"
# A Fly volume arrives owned by root: the data folder starts as root's, the entry point must hand it over.
mkdir -p "$WORK/data" && chown root:root "$WORK/data" && chmod 0755 "$WORK/data"

# COPY package.json bun.lock bunfig.toml tsconfig.json; RUN bun install --frozen-lockfile --production; COPY src drizzle
APP="$WORK/app"
mkdir -p "$APP"
cp "$ROOT"/{package.json,bun.lock,bunfig.toml,tsconfig.json} "$APP/"
( cd "$APP" && timeout 300 bun install --frozen-lockfile --production >&2 ) && pass "bun install --frozen-lockfile --production" || fail "bun install --production"
# The dev tools stay out. (bun-types and @types/pg do come in: drizzle-orm names them as optional peers;
# they are type declarations only, never loaded at run time.)
dev_found=""
for dev in typescript drizzle-kit; do [ -e "$APP/node_modules/$dev" ] && dev_found+=" $dev"; done
[ -z "$dev_found" ] && pass "no dev tools in node_modules (typescript, drizzle-kit absent; $(du -sh "$APP/node_modules" | cut -f1))" || fail "dev packages in node_modules:$dev_found"
cp -r "$ROOT/src" "$ROOT/drizzle" "$APP/"
mkdir -p "$APP/scripts" && cp "$ROOT/scripts/serve.sh" "$APP/scripts/"
install -m 0755 "$ROOT/scripts/docker-entrypoint.sh" "$WORK/bin/docker-entrypoint"
chown -R root:root "$APP" && chmod -R go-w "$APP"
[ ! -e "$APP/tests" ] && [ ! -e "$APP/bench" ] && pass "image tree: $(cd "$APP" && ls | tr '\n' ' ')" || fail "dev folders copied"

# The image's environment.
export NODE_ENV=production CHROMIUM_PATH=/usr/bin/chromium DATA_DIR="$WORK/data" HOME=/root
run_as_image() { ( cd "$APP" && timeout "$1" docker-entrypoint "${@:2}" ); }

# [deploy] release_command through the entry point, against PostgreSQL when this machine has one.
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  pgdb="docker_steps_$$"
  psql -q -h 127.0.0.1 -U postgres -c "create database $pgdb" >/dev/null
  out="$(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$pgdb" RELEASE_COMMAND=1 run_as_image 60 bun src/migrate.ts)"
  rc=$?
  n="$(psql -tA -h 127.0.0.1 -U postgres -d "$pgdb" -c 'select count(*) from drizzle.__drizzle_migrations' 2>/dev/null)"
  [ $rc -eq 0 ] && [ "${n:-0}" -gt 0 ] && pass "release command (bun src/migrate.ts) as app: exit 0, $n migrations in PostgreSQL: $out" || fail "release command: exit $rc, $out"
else
  say "no PostgreSQL on 127.0.0.1:5432: release command not run against a server"
fi

# The service, as the image starts it, with GENERATOR=none on a free port.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
( cd "$APP" && exec env PORT="$PORT" HOST=127.0.0.1 GENERATOR=none docker-entrypoint bash scripts/serve.sh ) >"$WORK/service.log" 2>&1 &
service_pid=$!
health=""
for _ in $(seq 1 100); do
  health="$(curl -fsS "http://127.0.0.1:$PORT/health" 2>/dev/null)" && break
  sleep 0.2
done
uid="$(awk '/^Uid:/ {print $2}' "/proc/$service_pid/status" 2>/dev/null)"
caps="$(awk '/^CapEff:/ {print $2}' "/proc/$service_pid/status" 2>/dev/null)"
[ "$health" = '{"status":"ok"}' ] && pass "service as the image starts it: GET /health → $health" || fail "service /health: '$health' (log: $(tail -3 "$WORK/service.log"))"
[ "$uid" = "$(id -u app)" ] && [ "$caps" = "0000000000000000" ] && pass "service process uid $uid (app), effective capabilities $caps" || fail "service uid '$uid' caps '$caps'"
owner="$(stat -c '%U %a' "$WORK/data")"
[ "$owner" = "app 700" ] && pass "root-owned data folder handed to app by the entry point ($owner)" || fail "data folder owner/mode: $owner"
kill -TERM "$service_pid"
for _ in $(seq 1 100); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$service_pid" 2>/dev/null; then fail "service still running 10 s after SIGTERM"; else
  wait "$service_pid"; rc=$?; service_pid=""
  grep -q '"msg":"stopped"' "$WORK/service.log" && [ $rc -eq 0 ] && pass "SIGTERM: drained and exited 0" || fail "SIGTERM: exit $rc"
fi

# Chromium as app, sandbox on: bare, no --no-sandbox.
dom="$(run_as_image 60 chromium --headless --disable-gpu --user-data-dir="$WORK/data/chromium-bare" --dump-dom 'data:text/html,<title>sandboxed</title>' 2>"$WORK/chromium.err")"
rc=$?
if [ $rc -eq 0 ] && grep -q '<title>sandboxed</title>' <<<"$dom"; then pass "chromium --headless --dump-dom as app, without --no-sandbox"
else fail "chromium as app without --no-sandbox: exit $rc: $(grep -m2 -i 'sandbox\|error' "$WORK/chromium.err")"; fi

# The service's own launchBrowser as app: Playwright with chromiumSandbox, then Chromium's own verdict.
cat >"$APP/sandbox-check.ts" <<'TS'
import { chromiumLaunchFlags, launchBrowser } from "./src/sidecar/browser.ts";
const flags = chromiumLaunchFlags();
const browser = await launchBrowser({ executablePath: process.env.CHROMIUM_PATH!, headless: true, timeoutMs: 30_000 });
try {
  const page = await browser.newPage();
  await page.goto("chrome://sandbox");
  const text = await page.locator("body").innerText();
  console.log(JSON.stringify({ uid: process.getuid?.(), flags, verdict: text.split("\n").find((l) => /sandboxed/i.test(l)) ?? text.slice(0, 200) }));
} finally {
  await browser.close();
}
TS
out="$(run_as_image 90 bun sandbox-check.ts 2>"$WORK/launch.err")"
rc=$?
if [ $rc -eq 0 ] && grep -q '"chromiumSandbox":true' <<<"$out" && grep -q 'adequately sandboxed' <<<"$out"; then pass "launchBrowser as app: $out"
else fail "launchBrowser as app: exit $rc: $out $(grep -m3 -i 'sandbox\|error' "$WORK/launch.err")"; fi

echo
echo "docker-steps summary ($(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r)):"
printf '  %s\n' "${results[@]}"
if printf '%s\n' "${results[@]}" | grep -q '^FAIL'; then exit 1; fi
