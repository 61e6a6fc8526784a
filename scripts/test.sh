#!/usr/bin/env bash
# `npm test`: install what is needed (Bun, packages, Chromium), then run every test with `bun test`.
# Set TEST_DATABASE_URL=postgres://… to run the database suites on a real PostgreSQL server as well.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
ensure_chromium
# Browser and process suites start Chromium and servers; every wait inside them is bounded.
exec bun test --timeout 60000 "$@"
