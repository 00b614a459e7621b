# shellcheck shell=bash
# Helpers shared by scripts/test.sh and scripts/start.sh (sourced, not run).

# shellcheck source=scripts/node-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
ensure_node

# npm ci when node_modules is missing or older than package-lock.json
ensure_node_modules() {
  local stamp=node_modules/.package-lock.json
  if [[ ! -d node_modules || ! -f "$stamp" ]] || [[ -f package-lock.json && package-lock.json -nt "$stamp" ]]; then
    echo "[deps] installing node modules (npm ci)" >&2
    if [[ -f package-lock.json ]]; then
      npm ci --no-audit --no-fund </dev/null >&2
    else
      npm install --no-audit --no-fund </dev/null >&2
    fi
  fi
}

# names of local services this checkout runs right now (state "running")
running_services() {
  bash scripts/services.sh status | awk '$2 == "running" { print $1 }' | sort
}

# services running now that were not in $1 (a newline-separated list)
services_started_since() {
  comm -13 <(printf '%s\n' "$1" | sed '/^$/d' | sort) <(running_services)
}

# stop the services running now that were not in $1, unless KEEP_SERVICES=1; $2 labels the message
stop_services_started_since() {
  local started
  started="$(services_started_since "$1" | tr '\n' ' ')"
  if [[ -n "${started// /}" && "${KEEP_SERVICES:-}" != 1 ]]; then
    echo "[$2] stopping services started by this run: $started" >&2 || true
    # shellcheck disable=SC2086
    bash scripts/services.sh down $started || true
  fi
}
