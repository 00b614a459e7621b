#!/bin/sh
# Registers ua-export's custom search attributes on a Temporal cluster (idempotent).
# Usage: TEMPORAL_ADDRESS=host:7233 TEMPORAL_NAMESPACE=default sh register-search-attributes.sh
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
addr="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
for attr in UaIntegrationId:Keyword UaAppId:Keyword UaExportDay:Datetime UaRunKind:Keyword; do
  name="${attr%%:*}"; type="${attr##*:}"
  temporal operator search-attribute create --address "$addr" --namespace "$ns" --name "$name" --type "$type" 2>&1 \
    | grep -v -i "already exists" || true
done
temporal operator search-attribute list --address "$addr" --namespace "$ns"
