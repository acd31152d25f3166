#!/usr/bin/python3
"""Runs the load generator and records who else used the CPU meanwhile.

    measure_run.py --server-pid PID --out HOST.json -- COMMAND [ARGS...]

Side-by-side numbers are only comparable when nothing else competes for the cores. This
wraps one roomcast-bench run: it reads the machine's CPU time (/proc/stat), the server's
(/proc/PID/stat) and, after the command, the command's own (rusage of its children)
before and after, and writes HOST.json with each share in percent of one core over the
run. `other_user_percent` is user-mode CPU that was neither the server's nor the load
generator's: other processes on the machine (kernel networking time is system/softirq
time and is not in it). Exits with the command's exit code.
"""

import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def host_ticks():
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    v = [int(x) for x in fields] + [0] * 10
    # user nice system idle iowait irq softirq steal
    return {"user": v[0] + v[1], "system": v[2], "irq": v[5] + v[6], "steal": v[7], "idle": v[3] + v[4]}


def proc_ticks(pid):
    """(utime, stime) of a process, all threads; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]), int(rest[12])
    except (OSError, IndexError, ValueError):
        return None


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    sep = argv.index("--")
    opts, cmd = argv[:sep], argv[sep + 1:]
    pid, out = None, None
    i = 0
    while i < len(opts):
        if opts[i] == "--server-pid":
            pid = int(opts[i + 1])
            i += 2
        elif opts[i] == "--out":
            out = opts[i + 1]
            i += 2
        else:
            print(f"measure_run: unknown option {opts[i]}", file=sys.stderr)
            return 2
    if not cmd or out is None:
        print(__doc__, file=sys.stderr)
        return 2

    h0, s0, t0 = host_ticks(), proc_ticks(pid) if pid else None, time.monotonic()
    try:
        rc = subprocess.call(cmd)
    except OSError as e:
        print(f"measure_run: {e}", file=sys.stderr)
        return 127
    h1, s1, t1 = host_ticks(), proc_ticks(pid) if pid else None, time.monotonic()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)

    wall = max(t1 - t0, 1e-6)
    pct = lambda ticks: 100.0 * ticks / TICK / wall
    doc = {
        "wall_s": round(wall, 3),
        "cores": os.cpu_count(),
        "host_user_percent": round(pct(h1["user"] - h0["user"]), 1),
        "host_system_percent": round(pct(h1["system"] - h0["system"]), 1),
        "host_irq_percent": round(pct(h1["irq"] - h0["irq"]), 1),
        "host_steal_percent": round(pct(h1["steal"] - h0["steal"]), 1),
        "bench_user_percent": round(100.0 * ru.ru_utime / wall, 1),
        "bench_system_percent": round(100.0 * ru.ru_stime / wall, 1),
    }
    if s0 and s1:
        doc["server_user_percent"] = round(pct(s1[0] - s0[0]), 1)
        doc["server_system_percent"] = round(pct(s1[1] - s0[1]), 1)
        other = doc["host_user_percent"] - doc["server_user_percent"] - doc["bench_user_percent"]
        doc["other_user_percent"] = round(max(other, 0.0), 1)
    try:
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
    except OSError as e:
        print(f"measure_run: {e}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
