#!/usr/bin/env bash
# npm start: install deps if needed, start the local services, run the demo
# (src/dev/start.ts: seeds demo data, starts worker + API, runs exports).
# Ctrl-C stops the demo, then the services that this script started.
# SERVICES_INSTANCE=NAME [SERVICES_PORT_OFFSET=N] runs it on a named instance of the services (see
# scripts/services.sh), e.g. next to services already on the default ports; the API and the worker's
# metrics then move by the same offset too (API_PORT 3000+N, WORKER_METRICS_PORT 9464+N, SDK metrics
# 9465+N), unless those are set.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/_lib.sh
. scripts/_lib.sh

ensure_node_modules

BEFORE="$(running_services)"
NODE_PID=""

stop_node() {
  [[ -n "$NODE_PID" ]] || return 0
  local _
  # Ctrl-C already reached node through the terminal; give it a moment first
  for _ in $(seq 1 10); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$NODE_PID" 2>/dev/null; then
      echo "[start] node did not exit after SIGTERM; killing it" >&2 || true
      kill -KILL "$NODE_PID" 2>/dev/null || true
    fi
  fi
  wait "$NODE_PID" 2>/dev/null || true
  NODE_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' PIPE # output may go to a pipe that Ctrl-C already closed (npm start | tee)
  stop_node
  stop_services_started_since "$BEFORE" start
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"
if [[ -n "${SERVICES_INSTANCE:-}" ]]; then
  offset="${SERVICES_PORT_OFFSET:-50}"
  export API_PORT="${API_PORT:-$((3000 + offset))}"
  export WORKER_METRICS_PORT="${WORKER_METRICS_PORT:-$((9464 + offset))}"
  export TEMPORAL_SDK_METRICS_ADDRESS="${TEMPORAL_SDK_METRICS_ADDRESS:-127.0.0.1:$((9465 + offset))}"
fi

# Run in the background and wait, so that SIGINT/SIGTERM reach this script's
# traps at once (cleanup then stops node before the services).
if [[ -x node_modules/.bin/tsx ]]; then
  node_modules/.bin/tsx src/dev/start.ts "$@" &
else
  npx tsx src/dev/start.ts "$@" &
fi
NODE_PID=$!
set +e
wait "$NODE_PID"
rc=$?
set -e
NODE_PID=""
exit "$rc"
