#!/usr/bin/env bash
# Builds roomcastd (Release) and runs it; arguments go to roomcastd, which by
# default listens on 127.0.0.1:3000.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/tools/setup.sh" >&2
cmake -S "$repo" -B "$repo/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$repo/build" -j "${JOBS:-2}" --target roomcastd >&2
exec "$repo/build/tools/roomcastd/roomcastd" "$@"
