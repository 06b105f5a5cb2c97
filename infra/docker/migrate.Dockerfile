# syntax=docker/dockerfile:1.7
# The one-shot migration image: applies packages/db/prisma/migrations with `prisma migrate deploy` (Prisma's JS
# schema engine, offline; see packages/db/README.md). The only image that carries the Prisma CLI (a devDependency
# of @vellum/db, so the service images' `pnpm deploy --prod` leaves it out). Build from the repository root:
#   docker build -f infra/docker/migrate.Dockerfile -t vellum/migrate .
# Run it (compose's `migrate` service, the Kubernetes Job infra/base/migrate-job.yaml) with DATABASE_URL set, before
# the services start or roll. scripts/image-build.mjs emulates its stages too.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g --no-fund --no-audit pnpm@10.34.9 turbo@2.11.11
WORKDIR /repo

FROM base AS pruner
COPY . .
RUN turbo prune "@vellum/db" --docker

FROM base AS builder
COPY --from=pruner /repo/out/json/ .
COPY --from=pruner /repo/out/pnpm-lock.yaml ./pnpm-lock.yaml
COPY tsconfig.base.json .npmrc ./
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store pnpm install --frozen-lockfile --prefer-offline --store-dir /pnpm/store
COPY --from=pruner /repo/out/full/ .
# Development dependencies included: the Prisma CLI and its config's imports (prisma.config.ts) are what runs.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store pnpm --filter="@vellum/db" deploy --legacy --prefer-offline --store-dir /pnpm/store out/deploy

FROM ${NODE_IMAGE} AS runner
ENV NODE_ENV=production
LABEL org.opencontainers.image.title="vellum-migrate"
WORKDIR /app
COPY --from=builder --chown=1000:1000 /repo/out/deploy /app
USER 1000:1000
# Exits 0 once every migration is applied (idempotent); Prisma's advisory lock serialises concurrent runs.
CMD ["node", "scripts/prisma.mjs", "migrate", "deploy"]
