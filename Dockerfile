# syntax=docker/dockerfile:1
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

# Runtime: production dependencies, the compiled code and the SDL only.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    DUCKDB_PATH=/var/lib/gateway/gateway.duckdb
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
# The console's sources: esbuild (a dependency) bundles them on the first request to / (docs/decisions.md).
COPY console ./console
RUN groupadd --system gateway && useradd --system --gid gateway --home-dir /app gateway \
    && mkdir -p /var/lib/gateway && chown gateway:gateway /var/lib/gateway
USER gateway
VOLUME ["/var/lib/gateway"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
