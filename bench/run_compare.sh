#!/usr/bin/env bash
# Side-by-side benchmark: each workload against roomcastd and its peers, in turn, on this
# machine, with the same load generator (roomcast-bench), then the tables and plots for
# PERF.md (tools/perf_report.py).
#
#   bench/run_compare.sh                      # everything, RUNS=3, DURATION=10
#   DURATION=5 RUNS=1 WORKLOADS=W1 bench/run_compare.sh
#   SERVERS="roomcastd socketio-uws" WORKLOADS="W1 W3" bench/run_compare.sh
#
# Workloads (WORKLOADS, space-separated; default "W1 W2 W3 W5 W6"):
#   W1  1,000 clients, 10 rooms, 64 B, saturate
#   W2  10,000 clients in 1 room (W2-1room) and in 100 rooms (W2-100rooms), saturate
#   W3  1,000 clients, 10 rooms, 64 B, fixed 1,000 publishes/s (latency at a sane load)
#   W5  W1 with the payload swept over PAYLOADS (64 B .. 64 KiB)
#   W6  roomcastd with 1 and with 2 shards on W1's load, the server on W6_SERVER_CPUS
#   W4  one broadcast/s to every connection: 15,000 against every server, then roomcastd
#       alone at 20,000 and 100,000 (see case_W4); not in the default list
# Servers (SERVERS; default all): roomcastd (1 shard), socketio-node, socketio-uws,
#   uws-raw and bun-raw (plain WebSocket pub/sub, no Socket.IO: driven with --raw),
#   ceiling-write, ceiling-writev. W6 adds roomcastd-2sh. roomcastd-base: the roomcastd
#   binary at BASE_ROOMCASTD (another build, e.g. the commit before a change), for a
#   before/after table measured in one run: SERVERS="roomcastd roomcastd-base".
#
# Each run: the server starts fresh, pinned to SERVER_CPUS; the port is awaited (bounded);
# roomcast-bench runs pinned to BENCH_CPUS under a timeout; the server is stopped (TERM,
# then KILL). Runs go round-robin over the servers so slow drift of the machine spreads
# over all of them. Output: $RESULTS/<timestamp>/<case>/<server>-<run>.json (+ .log
# files), meta.json, runs.tsv, and report.md + svg/ from tools/perf_report.py.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
WORKLOADS=${WORKLOADS:-"W1 W2 W3 W5 W6"}
SERVERS=${SERVERS:-"roomcastd socketio-node socketio-uws uws-raw bun-raw ceiling-write ceiling-writev"}
PAYLOADS=${PAYLOADS:-"64 256 1024 4096 16384 65536"}
PUBLISHERS=${PUBLISHERS:-10}
WINDOW=${WINDOW:-16}
BENCH_THREADS=${BENCH_THREADS:-1}
BENCH_PROCS=${BENCH_PROCS:-1}
SERVER_CPUS=${SERVER_CPUS:-0}
BENCH_CPUS=${BENCH_CPUS:-1}
# Two shards need two cores: on a 2-core machine they share them with the load generator.
W6_SERVER_CPUS=${W6_SERVER_CPUS:-0,1}
W6_BENCH_CPUS=${W6_BENCH_CPUS:-0,1}
BUILD=${BUILD:-$repo/build}
RESULTS=${RESULTS:-results}
SMOKE=${SMOKE:-1}                 # check each peer with socket.io-client before measuring
START_TIMEOUT=${START_TIMEOUT:-15} # seconds for a server to accept connections
JOBS=${JOBS:-2}

usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) echo "run_compare: no arguments; use the variables (see --help)" >&2; exit 2 ;; esac

for v in RUNS DURATION WARMUP PUBLISHERS WINDOW BENCH_THREADS BENCH_PROCS START_TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run_compare: $v must be a number" >&2; exit 2; }
done
(( RUNS >= 1 && RUNS <= 100 )) || { echo "run_compare: RUNS must be 1..100" >&2; exit 2; }

log() { printf '[run_compare %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------- prerequisites ----------

bench_bin=$BUILD/bench/harness/roomcast-bench
roomcastd_bin=$BUILD/tools/roomcastd/roomcastd
ceiling_bin=$BUILD/bench/peers/roomcast-ceiling

need_targets=()
[[ -x $bench_bin ]] || need_targets+=(roomcast-bench)
[[ $SERVERS =~ roomcastd || $WORKLOADS =~ W6 ]] && { [[ -x $roomcastd_bin ]] || need_targets+=(roomcastd); }
[[ $SERVERS =~ ceiling ]] && { [[ -x $ceiling_bin ]] || need_targets+=(roomcast-ceiling); }
if ((${#need_targets[@]})); then
  log "building ${need_targets[*]} in $BUILD (Release)"
  [[ -f $BUILD/build.ninja ]] || cmake -S "$repo" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j "$JOBS" --target "${need_targets[@]}"
fi

npm_ci() {  # DIR: npm ci when its lockfile changed since the last install
  local dir=$1 stamp want
  stamp=$dir/node_modules/.roomcast-lock.sha256
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}
if [[ $SERVERS =~ socketio || $SERVERS =~ uws-raw || $SMOKE == 1 ]]; then npm_ci "$repo/bench/peers"; fi
if [[ $SERVERS =~ bun-raw ]]; then npm_ci "$repo/bench/peers/bun"; fi

# 10,000 clients need as many descriptors on each side: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $(ulimit -n) != unlimited ]] && (( $(ulimit -n) < 10100 )); then
  log "warning: ulimit -n is $(ulimit -n); W2 needs more than 10,000 descriptors per process"
fi

ts=$(date +%Y%m%d-%H%M%S)
out=$RESULTS/$ts
mkdir -p "$out"
out=$(cd "$out" && pwd)
log "results in $out"

# ---------- servers ----------

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# server_cmd NAME PORT -> the command line, one word per line
server_cmd() {
  local name=$1 port=$2
  case $name in
    roomcastd)       printf '%s\n' "$roomcastd_bin" --address 127.0.0.1 --port "$port" --shards 1 --quiet ;;
    roomcastd-base)  [[ -x ${BASE_ROOMCASTD:-} ]] || { echo "run_compare: roomcastd-base needs BASE_ROOMCASTD=<roomcastd binary>" >&2; return 2; }
                     printf '%s\n' "$BASE_ROOMCASTD" --address 127.0.0.1 --port "$port" --shards 1 --quiet ;;
    roomcastd-2sh)   printf '%s\n' "$roomcastd_bin" --address 127.0.0.1 --port "$port" --shards 2 --quiet ;;
    roomcastd-w4)    printf '%s\n' "$roomcastd_bin" --address 127.0.0.1 --port "$port" --shards "$w4_shards" \
                       --max-connections-per-shard 19000 --quiet ;;
    socketio-node)   printf '%s\n' node "$repo/bench/peers/socketio-node/server.js" --host 127.0.0.1 --port "$port" ;;
    socketio-uws)    printf '%s\n' node "$repo/bench/peers/socketio-uws/server.mjs" --host 127.0.0.1 --port "$port" ;;
    uws-raw)         printf '%s\n' node "$repo/bench/peers/uws-raw/server.mjs" --host 127.0.0.1 --port "$port" ;;
    bun-raw)         printf '%s\n' "$repo/bench/peers/bun/node_modules/.bin/bun" "$repo/bench/peers/bun/server.js" \
                       --host 127.0.0.1 --port "$port" ;;
    ceiling-write)   printf '%s\n' "$ceiling_bin" --mode write --host 127.0.0.1 --port "$port" --quiet ;;
    ceiling-writev)  printf '%s\n' "$ceiling_bin" --mode writev --host 127.0.0.1 --port "$port" --quiet ;;
    *) echo "run_compare: unknown server $name" >&2; return 2 ;;
  esac
}

server_pid=
start_server() {  # NAME PORT CPUS LOGFILE
  local name=$1 port=$2 cpus=$3 logf=$4 cmd
  mapfile -t cmd < <(server_cmd "$name" "$port")
  # taskset execs the server, so $! is the server's own pid (what --server-pid samples).
  NODE_ENV=production taskset -c "$cpus" "${cmd[@]}" >"$logf" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      log "$name exited during start-up (see $logf)"
      server_pid=
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$name did not listen on $port within ${START_TIMEOUT}s"
  stop_server
  return 1
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

smoke_server() {  # NAME: the contract the load generator relies on, once per server
  local name=$1 port logf
  # Raw pub/sub peers speak no Socket.IO; roomcast-bench --raw checks their contract itself.
  [[ $name == *-raw ]] && return 0
  port=$(free_port)
  logf=$out/smoke-$name.log
  start_server "$name" "$port" "$SERVER_CPUS" "$logf.server" || return 1
  if timeout 30 node "$repo/bench/peers/contract_smoke.js" --url "http://127.0.0.1:$port" >"$logf" 2>&1; then
    stop_server
    return 0
  fi
  stop_server
  log "$name failed the contract check: $(tail -1 "$logf")"
  return 1
}

# ---------- one measured run ----------

printf 'case\tserver\trun\texit\tjson\n' >"$out/runs.tsv"

run_one() {  # CASE SERVER RUN SERVER_CPUS BENCH_CPUS -- bench args...
  local case=$1 name=$2 run=$3 scpus=$4 bcpus=$5
  shift 6
  local dir=$out/$case port
  mkdir -p "$dir"
  port=$(free_port)
  local base=$dir/$name-$run
  if ! start_server "$name" "$port" "$scpus" "$base.server.log"; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$name" "$run" start-failed - >>"$out/runs.tsv"
    return 0
  fi
  # Bounded: set-up (ramp + connect timeout) + warm-up + window + drain + slack.
  local limit
  limit=$(python3 -c "import sys; a=sys.argv[1:]; print(int(float(a[0])+float(a[1])+90+int(a[2])/250))" \
    "$WARMUP" "$DURATION" "$(bench_connections "$@")")
  local rc=0 mode=()
  [[ $name == *-raw ]] && mode=(--raw --path /)
  # measure_run.py records how much CPU other processes took meanwhile (<run>.host.json).
  timeout -k 5 "$limit" python3 "$repo/bench/peers/measure_run.py" --server-pid "$server_pid" --out "$base.host.json" -- \
    taskset -c "$bcpus" "$bench_bin" --url "http://127.0.0.1:$port" "${mode[@]}" "$@" \
    --duration "$DURATION" --warmup "$WARMUP" --threads "$BENCH_THREADS" --procs "$BENCH_PROCS" \
    --server-pid "$server_pid" --json "$base.json" --label "$name" --quiet >"$base.log" 2>&1 || rc=$?
  stop_server
  local status=$rc
  ((rc == 124 || rc == 137)) && status=timeout
  printf '%s\t%s\t%s\t%s\t%s\n' "$case" "$name" "$run" "$status" "$base.json" >>"$out/runs.tsv"
  log "$case $name run $run: exit $status$( [[ -f $base.json ]] || echo ', no JSON')"
}

bench_connections() {  # the value after --connections in the bench args
  while (($#)); do
    [[ $1 == --connections ]] && { echo "$2"; return; }
    shift
  done
  echo 1000
}

# run_case CASE "SERVERS" SERVER_CPUS BENCH_CPUS -- bench args...
run_case() {
  local case=$1 servers=$2 scpus=$3 bcpus=$4
  shift 4
  [[ $1 == -- ]] && shift
  mkdir -p "$out/$case"
  printf '%s\n' "$*" >"$out/$case/args.txt"
  log "== $case: $*"
  local run name
  for ((run = 1; run <= RUNS; run++)); do
    for name in $servers; do
      run_one "$case" "$name" "$run" "$scpus" "$bcpus" -- "$@"
    done
  done
}

sat=(--saturate --window "$WINDOW" --publishers "$PUBLISHERS")

case_W1() { run_case W1 "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections 1000 --rooms 10 --payload 64 "${sat[@]}"; }
# 10,000 members per room and a window of 16 keep up to 1.6 M messages in flight. The
# fast servers need that depth (with one publish in flight the run is bound by round
# trips: roomcastd and ceiling-writev then deliver 5-15x less at half a core); the slow
# ones cannot drain it before the harness stops waiting, so their latency is seconds of
# queue and the undelivered backlog shows as "loss" (their msg/s stays right). Node's
# socket.io cannot take 2,000 handshakes/s on one core, hence the slower ramp.
W2_WINDOW=${W2_WINDOW:-$WINDOW}
W2_RAMP=${W2_RAMP:-1000}
W2_DRAIN=${W2_DRAIN:-10}
case_W2() {
  local w2=(--saturate --window "$W2_WINDOW" --publishers "$PUBLISHERS" --ramp "$W2_RAMP" --connect-timeout 30
            --drain "$W2_DRAIN")
  run_case W2-1room "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections 10000 --rooms 1 --payload 64 "${w2[@]}"
  run_case W2-100rooms "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections 10000 --rooms 100 --payload 64 "${w2[@]}"
}
case_W3() {
  run_case W3 "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections 1000 --rooms 10 --payload 64 \
    --rate 1000 --publishers "$PUBLISHERS"
}
# Large payloads get a smaller window so what is in flight per connection stays near
# 256 KiB, well inside every server's 1 MiB per-connection send budget (past it roomcastd
# and the ceilings close the connection, uWS drops): the sweep measures throughput, not
# slow-consumer policy.
case_W5() {
  local p w
  for p in $PAYLOADS; do
    w=$((262144 / p))
    ((w > WINDOW)) && w=$WINDOW
    ((w < 1)) && w=1
    run_case "W5-p$p" "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections 1000 --rooms 10 --payload "$p" \
      --saturate --window "$w" --publishers "$PUBLISHERS"
  done
}
case_W6() {
  run_case W6 "roomcastd roomcastd-2sh" "$W6_SERVER_CPUS" "$W6_BENCH_CPUS" -- --connections 1000 --rooms 10 --payload 64 "${sat[@]}"
}
# W4: one broadcast per second to every connection; the time until the last member has
# it (p99 and max over recipients) and the server's memory per connection.
#   W4-peers     W4_PEER_CONNECTIONS (15,000: every peer holds that many under the
#                20,000-descriptor limit) against every server, as in the other cases.
#   W4-<n>       roomcastd alone at W4_SMALL (20,000) and W4_CONNECTIONS (100,000), server
#                and load generator sharing both cores: sockets live in io_uring fixed-file
#                tables (up to 20,000 per ring), so one shard and one harness thread per
#                W4_PER_RING (18,000) connections. perf_report.py turns the two RSS
#                figures into memory per added connection.
W4_PEER_CONNECTIONS=${W4_PEER_CONNECTIONS:-15000}
W4_SMALL=${W4_SMALL:-20000}
W4_CONNECTIONS=${W4_CONNECTIONS:-100000}
W4_PER_RING=${W4_PER_RING:-18000}
W4_RAMP=${W4_RAMP:-5000}
W4_SOURCE_ADDRS=${W4_SOURCE_ADDRS:-127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5}
W4_CPUS=${W4_CPUS:-0,1}
w4_shards=1
case_W4() {
  local w4=(--rooms 1 --publishers 1 --rate 1 --payload 64 --ramp "$W4_RAMP" --connect-timeout 60 --drain 3
            --source-addrs "$W4_SOURCE_ADDRS")
  run_case W4-peers "$SERVERS" "$SERVER_CPUS" "$BENCH_CPUS" -- --connections "$W4_PEER_CONNECTIONS" "${w4[@]}"
  local n BENCH_THREADS
  for n in $W4_SMALL $W4_CONNECTIONS; do
    w4_shards=$(((n + W4_PER_RING - 1) / W4_PER_RING))
    BENCH_THREADS=$w4_shards
    run_case "W4-$n" roomcastd-w4 "$W4_CPUS" "$W4_CPUS" -- --connections "$n" "${w4[@]}"
  done
}

# ---------- go ----------

python3 - "$out/meta.json" <<EOF
import json, os, platform, subprocess, sys
def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""
cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
def npm_version(pkg, where="$repo/bench/peers"):
    try:
        return json.load(open(os.path.join(where, "node_modules", pkg, "package.json")))["version"]
    except Exception:
        return ""
json.dump({
    "timestamp": "$ts", "git": sh("git", "-C", "$repo", "rev-parse", "--short", "HEAD"),
    "git_dirty": bool(sh("git", "-C", "$repo", "status", "--porcelain", "--untracked-files=no")),
    "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
    "node": sh("node", "--version"), "socket.io": npm_version("socket.io"), "uws-pack": npm_version("uws-pack"),
    "bun": npm_version("bun", "$repo/bench/peers/bun"),
    "runs": $RUNS, "duration_s": $DURATION, "warmup_s": $WARMUP, "publishers": $PUBLISHERS,
    "window": $WINDOW, "bench_threads": $BENCH_THREADS, "bench_procs": $BENCH_PROCS,
    "server_cpus": "$SERVER_CPUS", "bench_cpus": "$BENCH_CPUS",
    "w6_server_cpus": "$W6_SERVER_CPUS", "w6_bench_cpus": "$W6_BENCH_CPUS",
    "servers": "$SERVERS".split(), "workloads": "$WORKLOADS".split(),
}, open(sys.argv[1], "w"), indent=2)
EOF

if [[ $SMOKE == 1 ]]; then
  ok_servers=
  for name in $SERVERS; do
    if smoke_server "$name"; then ok_servers+=" $name"; else log "skipping $name"; fi
  done
  SERVERS=${ok_servers# }
  [[ -n $SERVERS ]] || { log "no server passed the contract check"; exit 1; }
fi

for w in $WORKLOADS; do
  if declare -F "case_$w" >/dev/null; then "case_$w"; else log "unknown workload $w (skipped)"; fi
done

python3 "$repo/tools/perf_report.py" "$out" --out "$out" || log "perf_report failed"
log "done: $out/report.md"
