# One image for the migration step, the worker and the API (docker-compose.yml picks the command).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
RUN npx tsc -p tsconfig.json --noEmit false \
 && node dist/src/worker/bundle-workflows.js dist/workflow-bundle.js \
 && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# The workflow bundle is built with the image, so the worker starts without a bundling child process
# (worker + child peaked at 238-269 MiB for a few seconds; docs/BENCHMARKS.md).
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Sources stay for a worker started without WORKFLOW_BUNDLE_PATH (it bundles them at start);
# migrations are read by node-pg-migrate.
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/src ./src
COPY --from=build /app/activities ./activities
COPY --from=build /app/migrations ./migrations
# glibc gives each thread that allocates its own malloc arena; Node 24's worker runs more such threads
# than Node 20's did, and their arenas kept RSS growing over back-to-back backfills. Two arenas keep it
# flat (docs/BENCHMARKS.md, "Soak" and the Node 24 results).
ENV MALLOC_ARENA_MAX=2
# A fixed mmap threshold: glibc otherwise raises it to the size of each large block freed, after which
# part-size buffers come from the arenas and their pages stay resident once freed. Blocks of 128 KiB
# and more are then mapped on their own and returned to the OS when freed (docs/BENCHMARKS.md, "Soak").
ENV MALLOC_MMAP_THRESHOLD_=131072
# A running upload holds UPLOAD_PARTS_IN_FLIGHT part buffers: 6 MiB parts keep the one-process worker
# under issue 11's 192 MiB for a big day, at the same throughput in the bench, and still allow files
# of 58 GiB within S3's 10,000 parts (docs/BENCHMARKS.md, "6 MiB parts in the image").
ENV PART_SIZE_MIB=6
USER node
# A 2 MiB young generation keeps the worker's RSS low at no measurable cost. --optimize-for-size makes
# V8 grow its heaps slowly and collect sooner: without it, back-to-back backfills of small days took the
# worker's RSS past 256 MiB in peaks; with it the same soak stays flat, for more worker CPU on a big
# day and unchanged throughput (docs/BENCHMARKS.md, "V8's --optimize-for-size").
CMD ["node", "--max-semi-space-size=2", "--optimize-for-size", "dist/src/worker/main.js"]
