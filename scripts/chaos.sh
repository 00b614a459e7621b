#!/usr/bin/env bash
# npm run chaos: the fault-injection suite on its own service instance (scripts/services.sh with
# SERVICES_INSTANCE=chaos), so it never stops or restarts the services developers and tests use.
# Arguments go to test/chaos/main.ts: --scenario a,b --skip c,d --runs N --parallel N --seed S --quick --keep-services --no-write
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/node-env.sh
. "$ROOT/scripts/node-env.sh"
ensure_node
[[ -d node_modules ]] || npm ci --no-audit --no-fund
export CHAOS_SERVICES_INSTANCE=chaos
exec bash scripts/run.sh node --import tsx test/chaos/main.ts "$@"
