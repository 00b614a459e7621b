# One image for the migration step, the worker and the API (docker-compose.yml picks the command).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
RUN npx tsc -p tsconfig.json --noEmit false && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The worker bundles workflow code from source at start; migrations are read by node-pg-migrate.
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/src ./src
COPY --from=build /app/activities ./activities
COPY --from=build /app/migrations ./migrations
USER node
# A 2 MiB young generation keeps the worker's RSS low at no measurable cost (docs/BENCHMARKS.md).
CMD ["node", "--max-semi-space-size=2", "dist/src/worker/main.js"]
