# syntax=docker/dockerfile:1
# The gateway's image (docs/deploy.md "The image"):
#   docker build -t <registry>/session-analytics-gateway:<version> .
# Runs as uid/gid 10001 (numeric, so Kubernetes' runAsNonRoot can check it)
# on a read-only root filesystem: it writes only to /var/lib/gateway (DuckDB
# file, dead-letter log) and /tmp, both volumes in the Helm chart.

# Build: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json codegen.yml ./
COPY schema ./schema
COPY console ./console
COPY src ./src
RUN npm run build

# Production dependencies only, in a stage of their own so the runtime
# image gets node_modules without npm's cache.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: the compiled code, the SDL and the production dependencies.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    DUCKDB_PATH=/var/lib/gateway/gateway.duckdb
RUN groupadd --system --gid 10001 gateway \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin gateway \
    && mkdir -p /var/lib/gateway \
    && chown 10001:10001 /var/lib/gateway
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
# The console's sources: esbuild (a dependency) bundles them on the first request to / (docs/decisions.md).
COPY console ./console
USER 10001:10001
VOLUME ["/var/lib/gateway"]
EXPOSE 4000
# main.ts drains and closes the stores on SIGTERM (Node is PID 1 and has a handler).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
