#!/usr/bin/env bash
# Runs the service (src/main.ts) with the runtime flags it needs: the one place that starts it, for `npm start`
# (scripts/start.sh), `npm run serve`, the Docker image's CMD and the tests that start the real process.
#
# --max-http-header-size: every parameter may come in the query string (docs/API.md). The longest legal prompt
# and negative_prompt in 4-byte characters, percent-encoded, with the longest ids and callback_url, make a
# request line of about 70 KB; past Bun's default of 16 KiB the request would get a bare 431 from Bun itself.
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec bun --max-http-header-size=131072 "$ROOT/src/main.ts" "$@"
