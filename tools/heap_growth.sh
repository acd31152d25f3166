#!/usr/bin/env bash
# Which allocation sites grow under the soak's load: runs roomcastd (2 shards) under heaptrack
# twice, for SHORT and then LONG seconds of the soak's steady load plus connection churn,
# kills it with SIGKILL (so everything still allocated reads as "leaked") and prints the total
# still allocated in each run and every allocation site whose figure differs between them.
# Memory that does not grow with time shows on neither list.
#
#   BUILD=/tmp/build tools/heap_growth.sh            # 60 s and 180 s
#   SHORT=30 LONG=90 BUILD=/tmp/build tools/heap_growth.sh
#
# Needs heaptrack (apt-get install heaptrack; not part of CI).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo/build}
SHORT=${SHORT:-60}
LONG=${LONG:-180}
daemon=$BUILD/tools/roomcastd/roomcastd
bench=$BUILD/bench/harness/roomcast-bench
[[ -x $daemon && -x $bench ]] || { echo "heap_growth: need $daemon and $bench" >&2; exit 2; }
command -v heaptrack >/dev/null || { echo "heap_growth: heaptrack not installed" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-heap.XXXXXX")

# run TAG SECONDS: one heaptrack'd server under load; leaves $out/TAG.sites (site<TAB>bytes).
run() {
  local tag=$1 secs=$2 port="" pid=""
  heaptrack -o "$out/$tag" "$daemon" --port 0 --shards 2 --quiet >"$out/$tag.log" 2>&1 &
  local ht=$!
  port=$("$repo/tools/roomcastd_port.sh" "$out/$tag.log") || exit 2
  pid=$(pgrep -P "$ht" -f roomcastd || pgrep -f "^$daemon --port 0 --shards 2" | head -n1)
  local url=http://127.0.0.1:$port left=$secs
  while (( left > 0 )); do
    local d=$(( left < 30 ? left : 30 ))
    timeout $((d + 60)) "$bench" --url "$url" --connections 500 --rooms 10 --publishers 10 --payload 256 \
      --rate 2000 --duration "$d" --warmup 1 --quiet >/dev/null 2>&1 &
    local steady=$! end=$((SECONDS + d))
    while (( SECONDS < end )); do
      timeout 60 "$bench" --url "$url" --namespace /chat --connections 100 --rooms 5 --publishers 5 --payload 64 \
        --rate 200 --duration 1 --warmup 0 --ramp 2000 --drain 2 --quiet >/dev/null 2>&1 || true
    done
    wait "$steady" || true
    left=$((left - d))
  done
  sleep 2  # closes finish
  kill -9 "$pid"
  wait "$ht" 2>/dev/null || true
  local data=$out/$tag.zst
  [[ -f $data ]] || data=$out/$tag.gz  # heaptrack built without zstd
  heaptrack_print -f "$data" 2>/dev/null | sed -n 's/^total memory leaked: /total still allocated: /p' |
    sed "s/^/$tag (${secs}s): /"
  heaptrack_print -l 1 -f "$data" 2>/dev/null | sed -n '/MEMORY LEAKS/,$p' |
    grep -E '^[0-9.]+[KMGB]* leaked over .* from$' -A1 | grep -v '^--' | paste - - |
    sed -E 's/ leaked over [0-9]+ calls from//' | awk -F'\t' '{print $2 "\t" $1}' | sort >"$out/$tag.sites"
}

run short "$SHORT"
run long "$LONG"
echo "sites whose still-allocated bytes differ (site, after ${SHORT}s, after ${LONG}s):"
join -t $'\t' "$out/short.sites" "$out/long.sites" | awk -F'\t' '$2 != $3' || true
echo "files in $out"
