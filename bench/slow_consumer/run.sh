#!/usr/bin/env bash
# Slow consumer: healthy clients' latency with and without one client that stops reading.
#
#   BUILD=/tmp/build bench/slow_consumer/run.sh          # builds nothing; needs roomcastd
#                                                        # and roomcast-bench in $BUILD
#   DURATION=5 RUNS=1 bench/slow_consumer/run.sh
#
# Each run starts a fresh roomcastd (1 shard, pinned to SERVER_CPU) and runs roomcast-bench
# (pinned to BENCH_CPU) at a fixed publish rate, so latency is measured from the intended
# send time. In the "stalled" mode a client (stalled_client.py) joins room-0, one of the
# benchmark's rooms, and never reads: the server queues for it until the 1 MiB bound and
# then resets it. Reported: delivered msgs/s, p50/p99/p99.9 of the healthy clients, loss,
# and how the stalled client ended. Every step is bounded (timeouts).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
CONNS=${CONNS:-200}
ROOMS=${ROOMS:-4}
RATE=${RATE:-2000}
PAYLOAD=${PAYLOAD:-1024}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
RUNS=${RUNS:-2}
SERVER_CPU=${SERVER_CPU:-0}
BENCH_CPU=${BENCH_CPU:-1}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/roomcast-slow-consumer.XXXXXX")}
mkdir -p "$out"
daemon=$BUILD/tools/roomcastd/roomcastd
bench=$BUILD/bench/harness/roomcast-bench
[[ -x $daemon && -x $bench ]] || { echo "need $daemon and $bench" >&2; exit 1; }

one_run() {  # MODE RUN
  local mode=$1 run=$2 log=$out/$1-$2 port server stalled=""
  taskset -c "$SERVER_CPU" "$daemon" --port 0 --shards 1 --quiet --admin-port 0 >"$log.server" 2>&1 &
  server=$!
  port=$("$repo/tools/roomcastd_port.sh" "$log.server") || { kill "$server"; return 1; }
  if [[ $mode == stalled ]]; then
    timeout $((DURATION + WARMUP + 40)) python3 "$here/stalled_client.py" "$port" room-0 \
      $((DURATION + WARMUP + 8)) >"$log.stalled" 2>&1 &
    stalled=$!
    for _ in $(seq 100); do grep -q joined "$log.stalled" 2>/dev/null && break; sleep 0.05; done
  fi
  timeout $((DURATION + WARMUP + 60)) taskset -c "$BENCH_CPU" "$bench" --url "http://127.0.0.1:$port" \
    --connections "$CONNS" --rooms "$ROOMS" --publishers "$ROOMS" --payload "$PAYLOAD" --rate "$RATE" \
    --duration "$DURATION" --warmup "$WARMUP" --server-pid "$server" --quiet --json "$log.json" \
    --label "$mode" >"$log.bench" 2>&1 || true
  [[ -n $stalled ]] && wait "$stalled" || true
  kill -TERM "$server"; wait "$server" || true
  python3 - "$log.json" "$mode" "$run" "${stalled:+$(tail -n1 "$log.stalled")}" "$log.server" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
lat = j["latency_us"]; integ = j["integrity"]
srv = open(sys.argv[5]).read()
slow = re.search(r"slow consumers (\d+)", srv)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {j['delivered']['per_s']:.0f} | {lat['p50']:.0f} | {lat['p99']:.0f} "
      f"| {lat['p99_9']:.0f} | {integ['loss']} | {integ['order_violations']} | {slow.group(1) if slow else '?'} "
      f"| {sys.argv[4] or '-'} |")
PY
}

echo "results in $out" >&2
echo "| mode | run | delivered/s | p50 µs | p99 µs | p99.9 µs | loss | order | slow consumers cut | stalled client |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for run in $(seq "$RUNS"); do
  one_run baseline "$run"
  one_run stalled "$run"
done
