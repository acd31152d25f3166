#!/usr/bin/env bash
# Soak: roomcastd under sustained load with connection churn for SOAK_SECONDS (default 600),
# checked every chunk: no loss, duplicate or reordering for connected, reading clients
# (roomcast-bench's sequence numbers), and server RSS (at most RSS_SLACK_KB above the first
# chunk's), descriptor count (as after the first chunk) and connection slots (bounded by
# what the load can hold open at once) flat. Exits non-zero on any anomaly.
#
#   BUILD=/tmp/build tools/soak.sh                       # 10 minutes
#   SOAK_SECONDS=60 CHUNK=20 BUILD=/tmp/build tools/soak.sh   # CI-sized
#
# Load: a steady roomcast-bench run per chunk (CONNS clients, ROOMS rooms, RATE publishes/s)
# and, next to it (in namespace /chat, so sequence numbers do not mix), back-to-back short
# runs of CHURN_CONNS clients that connect, join, publish, check and disconnect (the churn).
# Between chunks every connection is gone, so the server's connection count must read 0 and
# its fd count the same as after the first chunk.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo/build}
SOAK_SECONDS=${SOAK_SECONDS:-600}
CHUNK=${CHUNK:-60}
CONNS=${CONNS:-500}
ROOMS=${ROOMS:-10}
RATE=${RATE:-2000}
PAYLOAD=${PAYLOAD:-256}
CHURN_CONNS=${CHURN_CONNS:-100}
# Allowed RSS growth after the first chunk. 10 minutes with the old timer wheel (spare
# arrays kept per bucket) grew 1.5 MiB; with the per-slot wheel about 0.1 MiB.
RSS_SLACK_KB=${RSS_SLACK_KB:-1024}
daemon=$BUILD/tools/roomcastd/roomcastd
bench=$BUILD/bench/harness/roomcast-bench
[[ -x $daemon && -x $bench ]] || { echo "soak: need $daemon and $bench" >&2; exit 2; }
out=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-soak.XXXXXX")

admin=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$daemon" --port 0 --shards 2 --quiet --admin-port "$admin" >"$out/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
port=$("$repo/tools/roomcastd_port.sh" "$out/server.log") || exit 2
url=http://127.0.0.1:$port

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
fds() { ls "/proc/$server/fd" | wc -l; }
# Open connections and connection slots held, from the server's own counters (admin
# endpoint /metrics): "<open> <slots>".
conns() {
  python3 -c 'import json, sys, urllib.request as u
m = json.load(u.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5))
print(m["connections"], m["connection_slots"])' "$admin"
}
# Slots are each shard's high-water mark of concurrent connections. The load has at most the
# steady clients plus two churn runs (one closing while the next connects) open at once; the
# shards peak at different moments, hence twice that. Slots not reused would pass it within
# a few chunks (every chunk connects CONNS + ~30 x CHURN_CONNS clients).
max_slots=$((2 * (CONNS + 2 * CHURN_CONNS)))

# integrity FILE -> "loss dup order foreign malformed ok"
integrity() {
  python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); i = j["integrity"]
print(i["loss"], i["duplicates"], i["order_violations"], i["foreign"], i["malformed"],
      int(j["connections"]["failed"]) + int(j["connections"]["dropped"]), j["delivered"]["per_s"],
      j["latency_us"]["p99"])
PY
}

echo "soak: roomcastd pid $server on $url, ${SOAK_SECONDS}s in ${CHUNK}s chunks; files in $out"
echo "| chunk | delivered/s | p99 µs | loss | dup | order | conn failures | churn runs (bad) | RSS KiB | fds | open conns after | slots (max $max_slots) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
failed=0
base_rss="" base_fds=""
chunks=$(( (SOAK_SECONDS + CHUNK - 1) / CHUNK ))
for k in $(seq "$chunks"); do
  timeout $((CHUNK + 60)) "$bench" --url "$url" --connections "$CONNS" --rooms "$ROOMS" --publishers "$ROOMS" \
    --payload "$PAYLOAD" --rate "$RATE" --duration "$CHUNK" --warmup 1 --quiet --json "$out/steady-$k.json" \
    >"$out/steady-$k.log" 2>&1 &
  steady=$!
  churn_runs=0 churn_bad=0
  end=$((SECONDS + CHUNK))
  while (( SECONDS < end )); do
    churn_runs=$((churn_runs + 1))
    f=$out/churn-$k-$churn_runs.json
    if timeout 60 "$bench" --url "$url" --namespace /chat --connections "$CHURN_CONNS" --rooms 5 --publishers 5 --payload 64 \
         --rate 200 --duration 1 --warmup 0 --ramp 2000 --drain 2 --quiet --json "$f" >"$f.log" 2>&1; then
      read -r l d o fo m cf _ _ < <(integrity "$f")
      (( l + d + o + fo + m + cf == 0 )) || churn_bad=$((churn_bad + 1))
    else
      churn_bad=$((churn_bad + 1))
    fi
  done
  wait "$steady" || true
  read -r l d o fo m cf rate p99 < <(integrity "$out/steady-$k.json" 2>/dev/null || echo "? ? ? ? ? ? 0 0")
  sleep 1  # closes finish
  r=$(rss_kb) f=$(fds)
  read -r c slots < <(conns)
  [[ -z $base_rss ]] && base_rss=$r && base_fds=$f
  bad=""
  [[ "$l$d$o$fo$m$cf" == "000000" ]] || bad+=" integrity"
  (( churn_bad == 0 )) || bad+=" churn"
  (( c == 0 )) || bad+=" connections-left"
  (( slots <= max_slots )) || bad+=" slots"
  (( f == base_fds )) || bad+=" fds"
  (( r <= base_rss + RSS_SLACK_KB )) || bad+=" rss"
  printf '| %d | %.0f | %.0f | %s | %s | %s | %s | %d (%d) | %s | %s | %s | %s |%s\n' "$k" "$rate" "$p99" "$l" "$d" "$o" "$cf" \
    "$churn_runs" "$churn_bad" "$r" "$f" "$c" "$slots" "${bad:+ FAIL:$bad}"
  [[ -z $bad ]] || failed=1
done
echo "soak: RSS first chunk ${base_rss} KiB, last $(rss_kb) KiB; fds ${base_fds} -> $(fds)"
if (( failed )); then echo "soak: FAILED"; exit 1; fi
echo "soak: OK"
