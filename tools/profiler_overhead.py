#!/usr/bin/env python3
"""Cost of roomcastd's broadcast profiler, measured inside one run.

One roomcastd (1 shard, pinned) is loaded by roomcast-bench at saturation (W1's load
by default) for the whole measurement; meanwhile the profiler is switched on and off
through the admin endpoint in short phases, in the order on-off-off-on (so a slow drift
of the machine weighs on both sides equally). Each phase reads the server's delivery
counter (/metrics) and its CPU time (/proc/<pid>/stat) at both ends. Reported per side:
median delivered msg/s and median server CPU ns per delivery; and the ratios on/off.
Comparing phases of one run removes most of the run-to-run noise that separate runs
carry on a shared machine.

  tools/profiler_overhead.py --build build          # 24 phases of 3 s
  tools/profiler_overhead.py --phases 40 --json out.json
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"profiler_overhead: timed out waiting for {what}")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="build folder with roomcastd and roomcast-bench")
    ap.add_argument("--phases", type=int, default=24, help="measured phases (multiple of 4)")
    ap.add_argument("--phase-seconds", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=0.5, help="seconds skipped after each switch")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--bench-cpu", default="1")
    ap.add_argument("--bench-args", default="--connections 1000 --rooms 10 --payload 64 --saturate --window 16 "
                    "--publishers 10", help="load (default: W1)")
    ap.add_argument("--json", help="write the result here")
    a = ap.parse_args(argv)
    if a.phases < 4 or a.phases % 4:
        ap.error("--phases must be a positive multiple of 4")

    roomcastd = os.path.join(a.build, "tools/roomcastd/roomcastd")
    bench = os.path.join(a.build, "bench/harness/roomcast-bench")
    for b in (roomcastd, bench):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"profiler_overhead: {b} not built")
    port, admin = free_port(), free_port()
    base = f"http://127.0.0.1:{admin}"
    server = subprocess.Popen(["taskset", "-c", a.server_cpu, roomcastd, "--shards", "1", "--port", str(port),
                               "--admin-port", str(admin), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = None
    try:
        wait_until(lambda: json.loads(http("GET", base + "/metrics")) is not None, 15, "roomcastd")
        http("POST", base + "/debug/profiling?on=0")
        total = a.phases * (a.phase_seconds + a.settle) + 10
        load = subprocess.Popen(["taskset", "-c", a.bench_cpu, bench, "--url", f"http://127.0.0.1:{port}",
                                 *a.bench_args.split(), "--duration", str(total), "--warmup", "1", "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: json.loads(http("GET", base + "/metrics"))["deliveries"] > 0, 60, "the load to start")
        time.sleep(2)  # past the harness's warm-up

        pattern = [True, False, False, True]
        phases = []
        for k in range(a.phases):
            on = pattern[k % 4]
            http("POST", base + f"/debug/profiling?on={int(on)}")
            time.sleep(a.settle)
            d0, c0, t0 = json.loads(http("GET", base + "/metrics"))["deliveries"], cpu_seconds(server.pid), time.monotonic()
            time.sleep(a.phase_seconds)
            d1, c1, t1 = json.loads(http("GET", base + "/metrics"))["deliveries"], cpu_seconds(server.pid), time.monotonic()
            if load.poll() is not None:
                raise SystemExit("profiler_overhead: the load generator stopped early")
            phases.append({"profiling": on, "msgs_per_s": (d1 - d0) / (t1 - t0),
                           "cpu_ns_per_msg": (c1 - c0) * 1e9 / max(1, d1 - d0)})
    finally:
        for p in (load, server):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    def side(on, key):
        return statistics.median(p[key] for p in phases if p["profiling"] == on)

    res = {
        "phases": phases,
        "on": {"msgs_per_s": side(True, "msgs_per_s"), "cpu_ns_per_msg": side(True, "cpu_ns_per_msg")},
        "off": {"msgs_per_s": side(False, "msgs_per_s"), "cpu_ns_per_msg": side(False, "cpu_ns_per_msg")},
    }
    res["throughput_ratio"] = res["on"]["msgs_per_s"] / res["off"]["msgs_per_s"]
    res["cpu_per_msg_ratio"] = res["on"]["cpu_ns_per_msg"] / res["off"]["cpu_ns_per_msg"]
    rates = [p["msgs_per_s"] for p in phases if not p["profiling"]]
    res["off_spread"] = (max(rates) - min(rates)) / statistics.median(rates)
    print(f"profiler off: {res['off']['msgs_per_s'] / 1e6:.3f} M msg/s, {res['off']['cpu_ns_per_msg']:.1f} ns CPU/msg "
          f"(spread of off phases {res['off_spread'] * 100:.1f}%)")
    print(f"profiler on:  {res['on']['msgs_per_s'] / 1e6:.3f} M msg/s, {res['on']['cpu_ns_per_msg']:.1f} ns CPU/msg")
    print(f"on/off: throughput {res['throughput_ratio']:.3f}x, server CPU per message {res['cpu_per_msg_ratio']:.3f}x "
          f"({a.phases} phases of {a.phase_seconds:g} s)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
