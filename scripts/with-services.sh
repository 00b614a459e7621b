#!/usr/bin/env bash
# Runs a command (a bench) against the local services: Node 24 on PATH, the services up, their
# environment exported. Each bench then uses its own database, bucket and Temporal namespace on them.
#
#   bash scripts/with-services.sh npx tsx bench/scale.ts --integrations 300
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
ensure_node

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

exec "$@"
