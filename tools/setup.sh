#!/usr/bin/env bash
# Installs everything roomcast needs to build and test on Debian 12 (as root).
# Idempotent: does nothing slow when everything is already in place.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config clang lld
  liburing-dev libconcurrentqueue-dev libgtest-dev libbenchmark-dev
  libsimdjson-dev libroaring-dev libcli11-dev libfmt-dev libssl-dev
  python3-socketio python3-websocket python3-requests
  chromium
  libhiredis-dev redis-server
)

# The machine may bring its own Node; Debian's (18) is too old for the tests.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if (( $(node_major) < 20 )) || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then as_root=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: system packages present"
fi

if (( $(node_major) < 20 )); then
  echo "setup: node >= 20 required, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# npm ci only when the lockfile changed since the last install.
interop=$repo/tests/interop
stamp=$interop/node_modules/.roomcast-lock.sha256
want=$(sha256sum "$interop/package-lock.json" | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -d $interop/node_modules/socket.io-client ]]; then
  echo "setup: tests/interop node_modules up to date"
else
  echo "setup: npm ci in tests/interop"
  (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi
