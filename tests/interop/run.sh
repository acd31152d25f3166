#!/usr/bin/env bash
# Runs the interop suites against a freshly started server.
#
#   tests/interop/run.sh <roomcastd-binary | node> <js | py | all | js:NAME[,NAME...]>
#
# NAME is a file stem under js/ (e.g. js:cross_shard). The server listens on a
# free loopback port; roomcastd is started with --shards ${SHARDS:-2}.
# Env: SERVER_KIND (roomcast|node, guessed from the first argument),
#      ROOMCASTD_ARGS (extra arguments), START_TIMEOUT_S (default 20),
#      PYTHON (default /usr/bin/python3), KEEP_LOG=1 (keep the server log),
#      INTEROP_TRANSPORTS (websocket, the default | polling | default: the clients' transports).
set -uo pipefail

usage() { echo "usage: $0 <roomcastd-binary|node> <js|py|all|js:NAME[,NAME]>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
server_arg=$1
suite=$2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
start_timeout=${START_TIMEOUT_S:-20}

if [[ $server_arg == node ]]; then
  kind=${SERVER_KIND:-node}
  server_cmd=(node "$repo/bench/peers/socketio-node/server.js")
else
  kind=${SERVER_KIND:-roomcast}
  [[ -x $server_arg ]] || { echo "interop: server binary not executable: $server_arg" >&2; exit 2; }
  # shellcheck disable=SC2206  # ROOMCASTD_ARGS is a plain word list on purpose
  # --engine-io-path: the bare Engine.IO echo endpoint that js/engine_io.test.mjs talks to.
  server_cmd=("$server_arg" --shards "${SHARDS:-2}" --engine-io-path /engine.io/ ${ROOMCASTD_ARGS:-})
fi

js_files=()
run_py=0
case $suite in
  js) js_files=("$here"/js/*.test.mjs) ;;
  py) run_py=1 ;;
  all) js_files=("$here"/js/*.test.mjs); run_py=1 ;;
  js:*)
    IFS=, read -r -a names <<<"${suite#js:}"
    for n in "${names[@]}"; do
      f="$here/js/$n.test.mjs"
      [[ -f $f ]] || { echo "interop: no such JS suite: $f" >&2; exit 2; }
      js_files+=("$f")
    done ;;
  *) usage ;;
esac

if [[ ${#js_files[@]} -gt 0 && ! -d $here/node_modules/socket.io-client ]]; then
  echo "interop: $here/node_modules missing; run tools/setup.sh (or npm ci in tests/interop)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-interop.XXXXXX")
log=$work/server.log
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [[ ${KEEP_LOG:-0} == 1 ]]; then echo "interop: server log kept at $log"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

accepting() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port picked this way can be taken by someone else before the server binds
# it; starting fails then, so try a few ports before calling it a failure.
port=
for attempt in 1 2 3; do
  port=$(free_port) || { echo "interop: cannot pick a port" >&2; exit 2; }
  echo "interop: starting $kind server on 127.0.0.1:$port: ${server_cmd[*]} --port $port" >&2
  "${server_cmd[@]}" --port "$port" >"$log" 2>&1 &
  server_pid=$!
  deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    kill -0 "$server_pid" 2>/dev/null || break
    accepting "$port" && break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null && accepting "$port"; then break; fi
  echo "interop: server did not come up (attempt $attempt); log:" >&2
  tail -n 50 "$log" >&2
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
done
[[ -n $server_pid ]] || { echo "interop: FAIL: server never accepted connections" >&2; exit 1; }

export SERVER_URL="http://127.0.0.1:$port" SERVER_KIND="$kind"
failures=0
passes=0
out=$work/suite.out

if [[ ${#js_files[@]} -gt 0 ]]; then
  echo "interop: JS suites (${#js_files[@]} files) against $kind at $SERVER_URL"
  (cd "$here" && node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=spec \
      "${js_files[@]}") 2>&1 | tee "$out"
  if [[ ${PIPESTATUS[0]} -eq 0 ]]; then passes=$((passes + 1)); else failures=$((failures + 1)); echo "interop: JS suite FAILED"; fi
fi

if [[ $run_py -eq 1 ]]; then
  echo "interop: python suite ($python, python-socketio) against $kind at $SERVER_URL"
  "$python" "$here/py/test_interop.py" 2>&1 | tee -a "$out"
  if [[ ${PIPESTATUS[0]} -eq 0 ]]; then passes=$((passes + 1)); else failures=$((failures + 1)); echo "interop: python suite FAILED"; fi
fi

# The server must have survived the whole run.
crashed=0
if ! kill -0 "$server_pid" 2>/dev/null; then
  wait "$server_pid"; rc=$?
  echo "interop: FAIL: server exited during the tests (status $rc)"
  crashed=1
else
  kill -TERM "$server_pid"
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server_pid" 2>/dev/null; then
    echo "interop: WARNING: server ignored SIGTERM for 10 s; killing it"
    kill -KILL "$server_pid"
  fi
  wait "$server_pid"; rc=$?
  # 0 = clean shutdown, 143 = died of the SIGTERM itself, 137 = our SIGKILL.
  case $rc in
    0|143|137) ;;
    *) echo "interop: FAIL: server exit status $rc after SIGTERM"; crashed=1 ;;
  esac
fi
server_pid=
if grep -qE 'ERROR: (Address|Leak|Memory)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$log"; then
  echo "interop: FAIL: sanitizer report in server log"
  crashed=1
fi
if [[ $crashed -eq 1 ]]; then
  failures=$((failures + 1))
  echo "---- server log (last 200 lines) ----"
  tail -n 200 "$log"
  echo "---- end of server log ----"
elif [[ $failures -gt 0 ]]; then
  echo "---- server log (last 50 lines) ----"
  tail -n 50 "$log"
  echo "---- end of server log ----"
fi

ran=$(grep -c '^# server-specific check RAN' "$out" 2>/dev/null); ran=${ran:-0}
na=$(grep -c '^# server-specific check NOT APPLICABLE' "$out" 2>/dev/null); na=${na:-0}
echo "interop: server-specific checks for SERVER_KIND=$kind: $ran ran, $na not applicable"
grep -E '^# server-specific check' "$out" 2>/dev/null | sed 's/^# /interop:   /'
echo "interop: server=$kind suite=$suite"
echo "interop: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
