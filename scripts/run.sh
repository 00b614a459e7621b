#!/usr/bin/env bash
# Runs a command with Node >= 24 first on PATH (see scripts/node-env.sh), e.g. from package.json:
#   bash scripts/run.sh tsx src/worker/main.ts
# Bare names resolve in node_modules/.bin first, as npm scripts do.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/node-env.sh
. "$ROOT/scripts/node-env.sh"
ensure_node
export PATH="$ROOT/node_modules/.bin:$PATH"
exec "$@"
