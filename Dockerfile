# syntax=docker/dockerfile:1
# canary-judge: build with dev dependencies, run with production ones only.
# Node 24 LTS (supported to 2028-04-30; Node 20 reached its end of life in April 2026). Both
# stages use the same line: test/service/dockerfile.test.ts checks it is a supported LTS.
# Multi-arch (.github/workflows/release.yaml builds linux/amd64 and linux/arm64): the build stage
# runs on the builder's own platform (tsc's output is the same JavaScript for every target, and
# no emulation slows it down); the runtime stage is the target's, and its dependencies are pure
# JavaScript (npm ci --ignore-scripts builds nothing native).

FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged user (uid 1000); the Helm chart also runs with a read-only root fs.
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1 and handles SIGTERM itself: readiness turns 503, requests drain, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/main.js"]
