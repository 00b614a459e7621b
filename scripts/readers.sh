#!/usr/bin/env bash
# Installs the data readers the loading-recipe tests run (test/integration/readers.test.ts): DuckDB,
# Polars and pyarrow from PyPI, pinned, into their own venv under .local/, so the recipes in
# docs/LOADING.md are executed by the same libraries data teams use rather than by our own parser.
#
#   bash scripts/readers.sh          # prints the venv's python path on stdout
#
# Idempotent and cached: a stamp file records the pinned set, so a second run only checks it. Wheels
# only (--only-binary): no compiler, and nothing else is fetched from the internet (the tests never
# let DuckDB download extensions). A venv of its own keeps these out of the services' venv, whose
# pins (Temporal CLI, SeaweedFS) are managed by scripts/services.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.local/readers-venv"
# Bump together with the expectations in test/integration/readers.test.ts when a reader changes its types.
PKGS=(duckdb==2.0.1 polars==2.1.0 pyarrow==26.0.1)
STAMP="$VENV/.ua-export-readers"

log() { echo "[readers] $*" >&2; }

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "${PKGS[*]}" ]] && "$VENV/bin/python" -c 'import duckdb, polars, pyarrow' >/dev/null 2>&1; then
  echo "$VENV/bin/python"
  exit 0
fi

py=""
for c in python3 /usr/bin/python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    py="$(command -v "$c")"
    break
  fi
done
if [[ -z "$py" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing python3-venv with apt-get"
    apt-get update -qq </dev/null >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv </dev/null >&2
    py=/usr/bin/python3
  else
    log "need python3 with the venv module (apt-get install python3-venv)"
    exit 1
  fi
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv ${VENV#"$ROOT"/} with $py"
  "$py" -m venv "$VENV" >&2
fi
log "pip install ${PKGS[*]} (first time downloads ~150 MB)"
PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install -q --only-binary=:all: "${PKGS[@]}" </dev/null >&2
echo "${PKGS[*]}" >"$STAMP"
echo "$VENV/bin/python"
