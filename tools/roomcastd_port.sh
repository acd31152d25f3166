#!/usr/bin/env bash
# Prints the port a roomcastd started with --port 0 listens on, read from its log (the
# "listening on http://127.0.0.1:PORT/" line), waiting up to 10 s for it; exits 2 if none.
#   port=$(tools/roomcastd_port.sh "$log") || exit 2
set -euo pipefail
log=$1
for _ in $(seq 200); do
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$log" 2>/dev/null | head -n1)
  [[ -n $port ]] && { echo "$port"; exit 0; }
  sleep 0.05
done
echo "roomcastd did not start (no listening line in $log)" >&2
exit 2
