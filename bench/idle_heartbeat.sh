#!/usr/bin/env bash
# Idle CPU of roomcastd holding many connections with the default heartbeat (pingInterval
# 25 s, pingTimeout 20 s): what the timer wheel costs when nothing else happens. The clients
# connect, join one of 1,000 rooms and then only answer pings; one publish every 10 s to a
# room of ~100 keeps the harness's measured window alive. The server's CPU over the window
# is sampled by roomcast-bench (--server-pid). With BASE_ROOMCASTD (another build's
# roomcastd, e.g. the commit before a change), both binaries run in turn, RUNS times each,
# so the comparison is made in one run.
#
#   bench/idle_heartbeat.sh                         # 100,000 connections, 60 s, RUNS=1
#   N=20000 DURATION=30 RUNS=2 BASE_ROOMCASTD=/path/to/old/roomcastd bench/idle_heartbeat.sh
#
# Needs: a Release build in BUILD (default build/), loopback addresses 127.0.0.2-5 (Linux
# routes all of 127.0.0.0/8 to lo). Prints one line per run and a summary; exits non-zero if
# a run failed to hold its connections.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$repo/build}
N=${N:-100000}
DURATION=${DURATION:-60}
RUNS=${RUNS:-1}
PER_SHARD=${PER_SHARD:-18000}
SOURCE_ADDRS=${SOURCE_ADDRS:-127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5}
CPUS=${CPUS:-0,1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/idle-heartbeat.XXXXXX")}

bench=$BUILD/bench/harness/roomcast-bench
new=$BUILD/tools/roomcastd/roomcastd
[[ -x $bench && -x $new ]] || { echo "idle_heartbeat: build roomcastd and roomcast-bench in $BUILD first" >&2; exit 2; }
[[ -z ${BASE_ROOMCASTD:-} || -x $BASE_ROOMCASTD ]] || { echo "idle_heartbeat: BASE_ROOMCASTD is not executable" >&2; exit 2; }

shards=$(((N + PER_SHARD - 1) / PER_SHARD))
procs=$(((N + 15999) / 16000))   # each load process stays under the 20,000-fd limit

one_run() {  # LABEL BINARY
  local label=$1 bin=$2 log=$OUT/$1-$RANDOM.log json port pid rc=0
  json=${log%.log}.json
  taskset -c "$CPUS" "$bin" --address 127.0.0.1 --port 0 --shards "$shards" \
    --max-connections-per-shard $((PER_SHARD + 1000)) --quiet >"$log" 2>&1 &
  pid=$!
  port=$("$repo/tools/roomcastd_port.sh" "$log") || { kill "$pid" 2>/dev/null; return 1; }
  timeout $((DURATION + 600)) taskset -c "$CPUS" "$bench" --url "http://127.0.0.1:$port" \
    --connections "$N" --rooms 1000 --publishers 1 --rate 0.1 --payload 64 --ramp 5000 \
    --connect-timeout 120 --warmup 5 --duration "$DURATION" --drain 2 \
    --procs "$procs" --source-addrs "$SOURCE_ADDRS" --server-pid "$pid" --quiet --json "$json" \
    >"$log.bench" 2>&1 || rc=$?
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ $rc -ne 0 || ! -s $json ]]; then
    echo "$label: run failed (status $rc), see $log.bench" >&2
    return 1
  fi
  python3 - "$label" "$json" <<'EOF'
import json, sys
label, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
srv = r.get("server") or {}
conn = r.get("connections") or {}
print(f"{label}: connections ready {conn.get('ready')} of {conn.get('target')} (failed {conn.get('failed')}, "
      f"dropped {conn.get('dropped')})  server CPU {srv.get('cpu_percent', float('nan')):.2f} %  "
      f"RSS {srv.get('rss_peak_kb', 0) / 1024:.0f} MiB")
sys.exit(0 if conn.get("ready") == conn.get("target") and not conn.get("dropped") else 1)
EOF
}

echo "idle_heartbeat: $N connections, $shards shards, $DURATION s measured, $RUNS run(s); results in $OUT"
status=0
for ((i = 1; i <= RUNS; i++)); do
  one_run new "$new" || status=1
  if [[ -n ${BASE_ROOMCASTD:-} ]]; then one_run base "$BASE_ROOMCASTD" || status=1; fi
done
exit $status
