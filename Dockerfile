# The service with Debian's Chromium, as on the developers' machines.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium ca-certificates nodejs npm fonts-liberation \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g bun@1.4.5 && bun --version
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --production
COPY src ./src
COPY drizzle ./drizzle
ENV NODE_ENV=production CHROMIUM_PATH=/usr/bin/chromium DATA_DIR=/data
EXPOSE 8080
CMD ["bun", "src/main.ts"]
