#!/usr/bin/env bash
# Installs the offline Kubernetes schema validator (PyPI kubernetes-validate, pinned; it bundles the
# API schemas, so validation needs no network and no cluster) into .local/kubernetes-validate/ and
# prints the path of its command. Idempotent: a fast no-op once installed.
#
#   bash scripts/ensure-kubernetes-validate.sh          # prints .local/kubernetes-validate/bin/kubernetes-validate
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=1.37.0
VENV="$ROOT/.local/kubernetes-validate"
BIN="$VENV/bin/kubernetes-validate"

if [[ -x "$BIN" && -f "$VENV/.version-$VERSION" ]]; then
  echo "$BIN"
  exit 0
fi
rm -rf "$VENV"
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$VERSION" >&2
touch "$VENV/.version-$VERSION"
echo "$BIN"
