#!/usr/bin/env bash
# npm test: install deps if needed, start the local services, run vitest.
# Services that were already running are left running; those started here are
# stopped again on exit. Extra arguments go to `vitest run`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/_lib.sh
. scripts/_lib.sh

ensure_node_modules
# The browser tests (test/browser/) drive Debian's chromium: install it when missing.
bash scripts/ensure-chromium.sh
# The loading-recipe tests (test/integration/readers.test.ts) run DuckDB, Polars and pyarrow: cached venv.
bash scripts/readers.sh >/dev/null

BEFORE="$(running_services)"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' PIPE # output may go to a pipe that Ctrl-C already closed (npm start | tee)
  stop_services_started_since "$BEFORE" test
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"

set +e
npx vitest run "$@"
rc=$?
set -e
exit "$rc"
