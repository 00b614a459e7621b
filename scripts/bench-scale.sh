#!/usr/bin/env bash
# The 04:00 herd benchmark: N integrations whose schedules fire together (bench/scale.ts).
#
#   npm run bench:scale                                   # 1,000 integrations, one worker
#   npm run bench:scale -- --integrations 300 --workers 2
#
# Uses its own database (ua_export_scale), bucket and Temporal namespace on the local services.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
ensure_node

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

exec npx tsx bench/scale.ts "$@"
