#!/usr/bin/env bash
# `npm test`: install what is needed (Bun, packages, Chromium, Xvfb), then run every test with `bun test`.
# Set TEST_DATABASE_URL=postgres://… to run the database suites on a real PostgreSQL server as well.
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
ensure_chromium
# The headed-browser test runs Chromium on a virtual display.
ensure_apt /usr/bin/Xvfb xvfb
# Browser and process suites start Chromium and servers; every wait inside them is bounded.
# Two files at a time, each in its own worker process: the suites mostly wait (browsers, child processes, the
# database), so two take about half the wall time on a 2-core machine (here 19 min → 10 min on an idle
# machine); every suite makes its own databases, ports and temp folders, so they do not meet.
exec bun test --timeout 60000 --parallel=2 "$@"
