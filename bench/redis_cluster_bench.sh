#!/usr/bin/env bash
# Cross-node broadcast over Redis: roomcastd+roomcastd against Node+Node (socket.io 4.8 with
# @socket.io/redis-adapter), same redis-server, same load, one run each, in turn.
#
#   bench/redis_cluster_bench.sh                     # BUILD=build, DURATION=5
#   BUILD=/tmp/build-redis DURATION=5 bench/redis_cluster_bench.sh
#
# Publishers connect to node A, every other connection to node B (roomcast-bench
# --receiver-url), so all but the publishers' own echoes cross Redis. Two runs per pair:
# "saturate" (throughput: each publisher keeps WINDOW publishes in flight, a publish
# completing when its echo comes back from A) and "rate" (latency at RATE publishes/s).
# Each node runs on one core (roomcastd --shards 1; Node is single-threaded). Output: a
# markdown table on stdout; JSON per run under $RESULTS (default a fresh temp dir).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo/build}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-200}
ROOMS=${ROOMS:-10}
PUBLISHERS=${PUBLISHERS:-10}
PAYLOAD=${PAYLOAD:-64}
WINDOW=${WINDOW:-8}
RATE=${RATE:-1000}
RESULTS=${RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/roomcast-redis-bench.XXXXXX")}
mkdir -p "$RESULTS"
roomcastd=$BUILD/tools/roomcastd/roomcastd
bench=$BUILD/bench/harness/roomcast-bench
[[ -x $roomcastd && -x $bench ]] || { echo "build roomcastd and roomcast-bench in $BUILD first" >&2; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2; return 1
}

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no >"$RESULTS/redis.log" 2>&1 &
pids+=($!)
wait_port "$rport"
redis=redis://127.0.0.1:$rport

start_pair() {  # kind -> sets A_PORT, B_PORT, node pids appended
  local kind=$1 p
  for side in A B; do
    p=$(free_port)
    if [[ $kind == roomcastd ]]; then
      "$roomcastd" --port "$p" --shards 1 --quiet --redis "$redis" >"$RESULTS/$kind-$side.log" 2>&1 &
    else
      node "$repo/bench/peers/socketio-node/server.js" --port "$p" --redis "$redis" >"$RESULTS/$kind-$side.log" 2>&1 &
    fi
    pids+=($!)
    wait_port "$p"
    printf -v "${side}_PORT" '%s' "$p"
  done
  sleep 0.5  # subscriptions are made right after the port opens
}

stop_pair() {
  local keep=("${pids[0]}")
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=("${keep[@]}")
}

run() {  # kind mode
  local kind=$1 mode=$2 extra=()
  if [[ $mode == rate ]]; then extra=(--rate "$RATE"); else extra=(--saturate --window "$WINDOW"); fi
  timeout $((DURATION + WARMUP + 60)) "$bench" --url "http://127.0.0.1:$A_PORT" --receiver-url "http://127.0.0.1:$B_PORT" \
      --namespace / --connections "$CONNECTIONS" --rooms "$ROOMS" --publishers "$PUBLISHERS" --payload "$PAYLOAD" \
      --duration "$DURATION" --warmup "$WARMUP" --drain 5 --quiet "${extra[@]}" \
      --json "$RESULTS/$kind-$mode.json" --label "$kind-$mode" >"$RESULTS/$kind-$mode.out" 2>&1 || true
}

# A fresh pair per run: a node that fell behind in the saturate run would otherwise still be
# delivering that backlog (same rooms, same publisher ids) into the rate run.
for kind in roomcastd node; do
  for mode in rate saturate; do
    start_pair "$kind"
    run "$kind" "$mode"
    stop_pair
  done
done

python3 - "$RESULTS" <<'PY'
import json, os, sys
d = sys.argv[1]
print("| pair | mode | delivered msgs/s | p50 latency | p99 latency | loss | result |")
print("|---|---|---:|---:|---:|---:|---|")
for kind, name in (("roomcastd", "roomcastd + roomcastd"), ("node", "Node + Node")):
    for mode in ("saturate", "rate"):
        f = os.path.join(d, f"{kind}-{mode}.json")
        if not os.path.exists(f):
            print(f"| {name} | {mode} | - | - | - | - | no result |")
            continue
        r = json.load(open(f))
        lat = r.get("latency_us") or {}
        fmt = lambda us: "-" if us is None else (f"{us/1000:.2f} ms" if us >= 1000 else f"{us:.0f} us")
        print(f"| {name} | {mode} | {r['delivered']['per_s']:,.0f} | {fmt(lat.get('p50'))} | {fmt(lat.get('p99'))} "
              f"| {r['integrity']['loss']} | {r['verdict']} |")
print(f"\nJSON and logs: {d}")
PY
