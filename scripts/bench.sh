#!/usr/bin/env bash
# Export benchmark: COPY baseline vs. the real worker exporting one app-day to the local S3.
#
#   npm run bench                                   # 1,000,000 rows
#   npm run bench -- --rows 200000                  # one size
#   npm run bench -- --rows 200000,1000000,2000000  # several sizes (RSS flatness)
#   npm run bench -- --write-doc                    # also rewrite the results section of docs/BENCHMARKS.md
#
# Uses its own database (ua_export_bench), bucket and Temporal namespace on the local services;
# see docs/BENCHMARKS.md and `npx tsx bench/export-bench.ts --help`.
set -euo pipefail

# Measures the worker as it is deployed: built and started as the Dockerfile does (compiled JS, the
# prebuilt workflow bundle, its CMD's node flags and its ENV lines, read from the Dockerfile itself).
exec bash "$(dirname "${BASH_SOURCE[0]}")/with-services.sh" npx tsx bench/export-bench.ts --docker "$@"
