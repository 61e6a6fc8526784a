#!/usr/bin/env bash
# `npm start`: install what is needed, then run the service. With no EMAIL/PASSWORD it runs in demo mode
# against the bundled Pixverse simulator; with no DATABASE_URL it keeps its data in ./data (embedded PGlite).
set -euo pipefail
source "$(dirname "$0")/bootstrap.sh"
if [ "${GENERATOR:-browser}" != "none" ]; then ensure_chromium; fi
exec bash scripts/serve.sh
