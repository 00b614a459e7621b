#!/usr/bin/env bash
# The API at scale (bench/api-scale.ts): the integration list at 10,000 integrations, the export
# calendar and the exports ledger at 1,000 integrations × 731 days, over HTTP to the real API.
#
#   npm run bench:api
#   npm run bench:api -- --integrations 10000 --calendar-integrations 1000 --days 731 --runs 20
#
# Uses its own database (ua_export_apibench) on the local services.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
ensure_node

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

exec npx tsx bench/api-scale.ts "$@"
