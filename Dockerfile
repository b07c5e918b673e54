# Production image for the meeting recorder: one image, two processes.
#   API (default):  docker run … meeting-recorder                    (node api/main.ts)
#   Worker:         docker run … meeting-recorder node worker.ts
# The server has no build step: Node 24 runs the TypeScript sources directly (type stripping); only the
# browser client is built (first stage). The `node` npm
# package in devDependencies only pins Node for `npm run …` on development machines; here Node 24 comes
# from the base image, so the entry points are started with `node` directly, not through npm.
# Configuration is environment variables only (see README.md, "Configuration"); docker-compose.yml wires
# a full stack and docs/production.md explains running it.
# The browser client is built here with Vite (a devDependency) and only its files are kept.
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/build-web.ts

FROM node:24-bookworm-slim

# ffmpeg and espeak-ng do the worker's audio work; Python 3 with venv runs the offline speech engine
# (faster-whisper, set up below); tini is PID 1, so signals reach Node (graceful shutdown on SIGTERM) and
# zombies are reaped.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ffmpeg espeak-ng python3 python3-venv tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8080

WORKDIR /app

# Dependencies first, so the layer is reused while only the sources change. devDependencies are left out:
# none of them is imported at run time (@temporalio/testing is only a dynamic fallback of the embedded
# Temporal mode, which a production deployment does not use: it sets TEMPORAL_ADDRESS).
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# The speech engine's environment and the Whisper base model (checked file by file), in /app/.venv, before the
# sources so the layer is reused while only they change. About 750 MB; an image for API processes only could
# skip it (they never recognize speech).
COPY speech/whisper/setup.py speech/whisper/requirements.txt ./speech/whisper/
RUN python3 speech/whisper/setup.py && rm -rf /root/.cache/pip

COPY . .
COPY --from=web /app/web/dist ./web/dist

# DATA_DIR (default .data) is only written when APP_SECRET is unset or without S3_BUCKET (local object
# storage); production sets both, but keep it writable for the non-root user anyway.
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node

EXPOSE 8080

# The API's own health endpoint (database, Temporal and storage). There is no curl in the slim image, so
# Node's fetch does the request. The worker serves no HTTP: disable this check for it
# (docker-compose.yml: `healthcheck: disable: true`; docker run: --no-healthcheck).
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "api/main.ts"]
