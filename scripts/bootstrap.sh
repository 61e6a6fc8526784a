# Sourced by scripts/start.sh and scripts/test.sh: makes the pinned Bun available (installed from npm into
# .tools/ when the machine has no Bun of that version), installs packages from the lockfile, and can make
# sure Debian's Chromium is there. Needs only Node.js/npm (and apt for Chromium).
BUN_VERSION="1.4.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*" >&2; }

ensure_bun() {
  if command -v bun >/dev/null 2>&1 && [ "$(bun --version 2>/dev/null)" = "$BUN_VERSION" ]; then return; fi
  if [ ! -x "$ROOT/.tools/node_modules/.bin/bun" ] || [ "$("$ROOT/.tools/node_modules/.bin/bun" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
    say "installing bun@$BUN_VERSION from npm into .tools/"
    npm install --prefix "$ROOT/.tools" --no-save --no-audit --no-fund --loglevel=error "bun@$BUN_VERSION" >&2
  fi
  export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
}

ensure_packages() {
  say "installing packages from bun.lock"
  bun install --frozen-lockfile >&2
}

# ensure_apt BINARY PACKAGE: install a Debian package when its binary is missing (with sudo unless root).
ensure_apt() {
  local path="$1" package="$2"
  if [ -x "$path" ]; then return; fi
  say "$path not found; installing Debian's $package package"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >&2 || true
  if [ ! -x "$path" ]; then
    say "$path is still missing: install it (apt-get install $package)"
    return 1
  fi
}

ensure_chromium() {
  ensure_apt "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium
}

ensure_bun
ensure_packages
