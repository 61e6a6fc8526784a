# The service with Debian's Chromium, as on the developers' machines, run as a non-root user so that
# Chromium keeps its sandbox (see README "Deploy to Fly.io"). scripts/docker-steps.sh runs these same steps
# on a Debian machine without Docker.

# ── build: production packages only, from the lockfile ──────────────────────────────────────────────────
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/*
# The same Bun as scripts/bootstrap.sh (BUN_VERSION), from npm; the native binary is copied to the runtime.
RUN npm install -g bun@1.4.5 \
 && install -m 0755 "$(readlink -f "$(command -v bun)")" /opt/bun \
 && /opt/bun --version
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production

# ── runtime: Chromium, fonts, certificates, Bun, the code; no npm, no dev packages, no tests ────────────
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/bun /usr/local/bin/bun
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app \
 && install -d -o app -g app -m 0700 /data
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY --from=build /app/node_modules ./node_modules
COPY src ./src
COPY drizzle ./drizzle
COPY --chmod=0755 scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint
COPY scripts/serve.sh ./scripts/serve.sh
ENV NODE_ENV=production CHROMIUM_PATH=/usr/bin/chromium DATA_DIR=/data PORT=8080
EXPOSE 8080
# The code is root's and read-only to the service. The container starts as root only so that the entry
# point can hand the volume at /data (root-owned when Fly mounts it) to `app`; it then drops to `app`
# (setpriv, no capabilities) before anything of ours runs: the service, the release command's migrations
# and Chromium all run as uid 10001, so Chromium's sandbox stays on. `docker run --user app` also works
# when /data is already app's.
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["bun", "-e", "const r = await fetch('http://127.0.0.1:' + (process.env.PORT ?? 8080) + '/health'); process.exit(r.ok ? 0 : 1)"]
CMD ["bash", "scripts/serve.sh"]
