#!/usr/bin/python3
"""Turns bench/run_compare.sh results into the Markdown tables and SVG plots for PERF.md.

    tools/perf_report.py RESULTS_DIR [--out DIR]

RESULTS_DIR holds one folder per case (W1, W2-1room, W5-p1024, ...), each with
<server>-<run>.json files written by roomcast-bench --json. For every case this prints
one table: per server the median over runs of delivered messages/s, latency percentiles,
loss, server CPU and peak RSS, and throughput ratios against socket.io on uWebSockets.js,
socket.io on Node's http server, and the batched (writev) kernel-ceiling baseline. The
payload sweep (W5-p*) also gets a throughput-vs-payload table and plot.

Writes DIR/report.md and DIR/svg/<case>-latency.svg (latency percentile distribution per
server, log-scaled on both axes so the tail is readable), DIR/svg/W5-throughput.svg.
Standard library only: the SVG is written by hand.
"""

import argparse
import json
import math
import os
import re
import statistics
import sys

REFERENCES = [  # (column title, server name)
    ("vs socket.io-uws", "socketio-uws"),
    ("vs socket.io", "socketio-node"),
    ("vs uws-raw", "uws-raw"),
    ("vs ceiling-writev", "ceiling-writev"),
]
SERVER_ORDER = ["roomcastd", "roomcastd-base", "roomcastd-2sh", "socketio-node", "socketio-uws", "uws-raw", "bun-raw", "ceiling-write",
                "ceiling-writev"]
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
PCTS = [50.0, 90.0, 99.0, 99.9, 99.99]

# ---------- reading one result ----------
# roomcast-bench --json, "format": 1. Each metric is looked up under its path in that
# layout first and under plausible alternatives after, so a renamed field degrades to a
# dash in the table instead of a crash. Latencies are kept in microseconds.

PCT_KEYS = {50.0: ["p50"], 90.0: ["p90"], 99.0: ["p99"], 99.9: ["p99_9", "p999", "p99.9"], 99.99: ["p99_99", "p9999"]}
LATENCY_OBJECTS = [("latency_us", 1.0), ("latency_ms", 1e3), ("latency_ns", 1e-3), ("latency", 1e-3)]


def number(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else None
    return None


def get(doc, *paths):
    """The first numeric value found at one of the dotted paths."""
    for path in paths:
        cur = doc
        for part in path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                cur = None
                break
            cur = cur[part]
        n = number(cur)
        if n is not None:
            return n
    return None


def read_result(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"{os.path.basename(path)}: {e}"
    if not isinstance(doc, dict):
        return None, f"{os.path.basename(path)}: not a JSON object"
    r = {"path": path}
    r["msgs"] = get(doc, "delivered.per_s", "delivered_per_s", "msgs_per_sec", "throughput.delivered_per_s")
    r["pubs"] = get(doc, "publishes.per_s", "publishes_per_s", "pubs_per_sec")
    r["loss"] = get(doc, "integrity.loss_ratio", "loss_ratio")
    if r["loss"] is None:
        lost, expected = get(doc, "integrity.loss", "loss"), get(doc, "integrity.expected", "expected")
        r["loss"] = lost / expected if lost is not None and expected else None
    r["cpu"] = get(doc, "server.cpu_percent", "server_cpu_percent")
    r["rss_kb"] = get(doc, "server.rss_peak_kb", "server.vm_hwm_kb", "server_rss_peak_kb")
    r["bench_cpu"] = get(doc, "harness.cpu_percent")
    r["exit"] = get(doc, "exit_code")
    r["conns_ready"] = get(doc, "connections.ready")
    r["conns_target"] = get(doc, "connections.target", "config.connections")
    r["anomalies"] = sum(get(doc, f"integrity.{k}") or 0 for k in ("duplicates", "order_violations", "malformed", "foreign"))
    r["verdict"] = doc.get("verdict") if isinstance(doc.get("verdict"), str) else ""
    lat, scale = None, 1.0
    for key, sc in LATENCY_OBJECTS:
        if isinstance(doc.get(key), dict):
            lat, scale = doc[key], sc
            break
    lat = lat or {}
    for p, names in PCT_KEYS.items():
        v = get(lat, *names)
        r[f"p{p:g}"] = v * scale if v is not None else None
    for name in ("max", "mean"):
        v = get(lat, name)
        r[f"lat_{name}"] = v * scale if v is not None else None
    r["cdf"] = read_cdf(lat, scale)
    # bench/peers/measure_run.py's record of the machine during the run, when present.
    host = path[: -len(".json")] + ".host.json"
    r["other_cpu"] = None
    if os.path.exists(host):
        try:
            with open(host) as f:
                r["other_cpu"] = number(json.load(f).get("other_user_percent"))
        except (OSError, ValueError, AttributeError):
            pass
    return r, None


def read_cdf(lat, scale):
    """[(percentile, latency_us)] when the result carries a finer distribution than the
    fixed percentiles: a "cdf" list of [percentile, value] pairs in the object's unit."""
    seq = lat.get("cdf")
    pts = []
    if isinstance(seq, list):
        for e in seq:
            if isinstance(e, list) and len(e) == 2 and number(e[0]) is not None and number(e[1]) is not None:
                pts.append((float(e[0]), float(e[1]) * scale))
    return sorted(pts)


# ---------- aggregation ----------


def load_cases(root):
    cases, errors = {}, []
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if not os.path.isdir(d) or case in ("svg",):
            continue
        for fn in sorted(os.listdir(d)):
            m = re.match(r"^(.+)-(\d+)\.json$", fn)
            if not m:
                continue
            r, err = read_result(os.path.join(d, fn))
            if err:
                errors.append(f"{case}/{err}")
                continue
            r["run"] = int(m.group(2))
            cases.setdefault(case, {}).setdefault(m.group(1), []).append(r)
    return cases, errors


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarize(runs):
    s = {"runs": len(runs)}
    for key in ["msgs", "pubs", "loss", "cpu", "rss_kb", "conns_ready", "bench_cpu", "other_cpu", "lat_max", "lat_mean"] + \
            [f"p{p:g}" for p in PCTS]:
        s[key] = median_of(runs, key)
    vals = [r["msgs"] for r in runs if r.get("msgs") is not None]
    s["msgs_spread"] = (max(vals) - min(vals)) / statistics.median(vals) if len(vals) > 1 and statistics.median(vals) else None
    s["bad_exit"] = sum(1 for r in runs if r.get("exit") not in (None, 0))
    s["verdicts"] = sorted({r["verdict"] for r in runs if r.get("exit") not in (None, 0) and r.get("verdict")})
    s["anomalies"] = sum(r.get("anomalies") or 0 for r in runs)
    s["short_conns"] = any(r.get("conns_ready") is not None and r.get("conns_target") and r["conns_ready"] < r["conns_target"]
                           for r in runs)
    # The CDF of the run whose throughput is the median one: a real run, not a blend.
    ranked = sorted((r for r in runs if r.get("msgs") is not None), key=lambda r: r["msgs"])
    mid = ranked[(len(ranked) - 1) // 2] if ranked else (runs[0] if runs else {})
    s["cdf"] = mid.get("cdf") or [(p, mid[f"p{p:g}"]) for p in PCTS if mid.get(f"p{p:g}") is not None]
    if mid.get("lat_max") is not None and s["cdf"]:
        s["cdf"] = s["cdf"] + [(100.0, mid["lat_max"])]
    return s


def order(servers):
    known = [s for s in SERVER_ORDER if s in servers]
    return known + sorted(s for s in servers if s not in SERVER_ORDER)


# ---------- formatting ----------


def fmt_rate(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e3:
        return f"{v / 1e3:.1f} k"
    return f"{v:.0f}"


def fmt_bytes_rate(v):
    for unit, scale in (("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3)):
        if v >= scale:
            return f"{v / scale:.2f} {unit}"
    return f"{v:.0f} B/s"


def fmt_us(v):
    if v is None:
        return "–"
    if v >= 1e6:
        return f"{v / 1e6:.2f} s"
    if v >= 1e3:
        return f"{v / 1e3:.2f} ms"
    return f"{v:.0f} µs"


def fmt_ratio(a, b):
    if a is None or not b:
        return "–"
    return f"{a / b:.2f}×"


def fmt_loss(v):
    if v is None:
        return "–"
    if v == 0:
        return "0"
    return f"{100 * v:.3g}%"


def fmt_cpu(v):
    return "–" if v is None else f"{v:.0f}%"


def fmt_mib(kb):
    return "–" if kb is None else f"{kb / 1024:.0f} MiB"


def case_table(case, summ):
    candidates = REFERENCES + ([("vs 1 shard", "roomcastd")] if "roomcastd-2sh" in summ else [])
    candidates += [("vs base", "roomcastd-base")] if "roomcastd-base" in summ else []
    refs = [(title, ref) for title, ref in candidates if ref in summ and summ[ref].get("msgs")]
    head = ["server", "runs", "delivered msg/s", "p50", "p90", "p99", "p99.9", "max", "loss", "server CPU",
            "peak RSS", "bench CPU", "other CPU"] + [t for t, _ in refs]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["--:"] * (len(head) - 1)) + "|"]
    for srv in order(summ):
        s = summ[srv]
        runs = f"{s['runs']}" + (f" ({s['bad_exit']} bad)" if s["bad_exit"] else "")
        row = [f"`{srv}`", runs, fmt_rate(s["msgs"]), fmt_us(s["p50"]), fmt_us(s["p90"]), fmt_us(s["p99"]),
               fmt_us(s["p99.9"]), fmt_us(s["lat_max"]), fmt_loss(s["loss"]), fmt_cpu(s["cpu"]), fmt_mib(s["rss_kb"]), fmt_cpu(s["bench_cpu"]), fmt_cpu(s["other_cpu"])]
        row += [fmt_ratio(s["msgs"], summ[ref]["msgs"]) for _, ref in refs]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def case_notes(summ):
    """What a reader must know before trusting a row."""
    notes = []
    for srv in order(summ):
        s = summ[srv]
        if s["msgs_spread"] and s["msgs_spread"] > 0.10:
            notes.append(f"`{srv}`: throughput of the runs spreads over {100 * s['msgs_spread']:.0f}% of the median.")
        if s["bad_exit"]:
            why = "; ".join(s["verdicts"]) or "see its .log"
            notes.append(f"`{srv}`: {s['bad_exit']} run(s) ended with a non-zero exit code ({why}).")
        if s["short_conns"]:
            notes.append(f"`{srv}`: not every connection was set up in some run.")
        if s["anomalies"]:
            notes.append(f"`{srv}`: {s['anomalies']:.0f} duplicate, out-of-order, malformed or foreign messages.")
        if s["other_cpu"] is not None and s["other_cpu"] >= 15:
            notes.append(f"`{srv}`: other processes used {s['other_cpu']:.0f}% of a core during its runs "
                         "(median): the machine was not quiet.")
        if s["bench_cpu"] is not None and s["bench_cpu"] >= 90:
            notes.append(f"`{srv}`: the load generator used {s['bench_cpu']:.0f}% of a core: the figure may be "
                         "the harness's limit, not the server's.")
    return notes


# ---------- SVG, by hand ----------


def tick_us(v):
    """Axis labels: as few characters as the value needs."""
    for unit, scale in (("s", 1e6), ("ms", 1e3), ("µs", 1.0)):
        if v >= scale:
            return f"{v / scale:g} {unit}"
    return f"{v:g} µs"


def tick_rate(v):
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:g}{unit}"
    return f"{v:g}"


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_log_ticks(lo, hi):
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def svg_frame(w, h, title):
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
            f'<rect width="{w}" height="{h}" fill="white"/>',
            f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">{esc(title)}</text>']


def series_svg(out, series, X, Y, plot_right, plot_top):
    """One polyline with dots per (name, [(x, y)...]) series, and a legend right of the plot."""
    for i, (srv, pts) in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{X(p):.1f},{Y(v):.1f}" for j, (p, v) in enumerate(pts))
        out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p, v in pts:
            out.append(f'<circle cx="{X(p):.1f}" cy="{Y(v):.1f}" r="2.5" fill="{color}"/>')
        ly = plot_top + 10 + 18 * i
        out.append(f'<line x1="{plot_right + 12}" y1="{ly}" x2="{plot_right + 34}" y2="{ly}" stroke="{color}" stroke-width="2"/>')
        out.append(f'<text x="{plot_right + 40}" y="{ly + 4}">{esc(srv)}</text>')


def latency_svg(case, summ):
    """Latency by percentile: x = percentile on a 1/(1-q) log scale, y = latency (log)."""
    series = [(srv, summ[srv]["cdf"]) for srv in order(summ) if summ[srv]["cdf"]]
    if not series:
        return None
    w, h, ml, mr, mt, mb = 720, 420, 70, 170, 34, 50
    pw, ph = w - ml - mr, h - mt - mb
    qmax = 99.999
    tail = lambda p: math.log10(1.0 / (1.0 - min(p, qmax) / 100.0))
    xmin = tail(min(p for _, pts in series for p, _ in pts))
    xmax = tail(qmax)
    vals = [v for _, pts in series for _, v in pts if v > 0]
    lo, hi = min(vals), max(vals)
    lo = 10 ** math.floor(math.log10(lo))
    hi = 10 ** math.ceil(math.log10(hi))
    if hi <= lo:
        hi = lo * 10
    X = lambda p: ml + pw * (tail(p) - xmin) / (xmax - xmin)
    Y = lambda v: mt + ph * (1 - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))
    out = svg_frame(w, h, f"{case}: latency by percentile (median-throughput run)")
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for v in nice_log_ticks(lo, hi):
        y = Y(v)
        out.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{ml - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(tick_us(v))}</text>')
    for p, label in [(0, "0"), (50, "50"), (90, "90"), (99, "99"), (99.9, "99.9"), (99.99, "99.99"), (99.999, "max")]:
        if tail(p) < xmin - 1e-9:
            continue
        x = X(p)
        out.append(f'<line x1="{x:.1f}" y1="{mt}" x2="{x:.1f}" y2="{mt + ph}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{mt + ph + 16}" text-anchor="middle">{label}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{h - 10}" text-anchor="middle">percentile</text>')
    out.append(f'<text transform="translate(14,{mt + ph / 2}) rotate(-90)" text-anchor="middle">latency</text>')
    series_svg(out, [(srv, sorted((min(p, qmax), v) for p, v in pts if v > 0)) for srv, pts in series],
               X, Y, ml + pw, mt)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def sweep_svg(sweep, servers):
    """Delivered msg/s against payload size, one line per server (log-log)."""
    pts_by = {s: [(p, sweep[p][s]["msgs"]) for p in sorted(sweep) if s in sweep[p] and sweep[p][s]["msgs"]]
              for s in servers}
    pts_by = {s: v for s, v in pts_by.items() if v}
    if not pts_by:
        return None
    w, h, ml, mr, mt, mb = 720, 420, 70, 170, 34, 50
    pw, ph = w - ml - mr, h - mt - mb
    xs = sorted(sweep)
    xlo, xhi = min(xs), max(xs)
    if xhi == xlo:
        xhi = xlo * 2
    vals = [v for pts in pts_by.values() for _, v in pts]
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    if hi <= lo:
        hi = lo * 10
    X = lambda p: ml + pw * (math.log2(p) - math.log2(xlo)) / (math.log2(xhi) - math.log2(xlo))
    Y = lambda v: mt + ph * (1 - (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)))
    out = svg_frame(w, h, "W5: delivered messages/s by payload size")
    out.append(f'<text transform="translate(14,{mt + ph / 2}) rotate(-90)" text-anchor="middle">delivered msg/s</text>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for v in nice_log_ticks(lo, hi):
        out.append(f'<line x1="{ml}" y1="{Y(v):.1f}" x2="{ml + pw}" y2="{Y(v):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{ml - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{esc(tick_rate(v))}</text>')
    for p in xs:
        label = f"{p // 1024} KiB" if p >= 1024 else f"{p} B"
        out.append(f'<line x1="{X(p):.1f}" y1="{mt}" x2="{X(p):.1f}" y2="{mt + ph}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{X(p):.1f}" y="{mt + ph + 16}" text-anchor="middle">{label}</text>')
    out.append(f'<text x="{ml + pw / 2}" y="{h - 10}" text-anchor="middle">payload</text>')
    series_svg(out, list(pts_by.items()), X, Y, ml + pw, mt)
    out.append("</svg>")
    return "\n".join(out) + "\n"


# ---------- report ----------


def case_sort_key(case):
    m = re.match(r"^W(\d+)(?:-p(\d+))?(.*)$", case)
    if not m:
        return (99, 0, case)
    return (int(m.group(1)), int(m.group(2) or 0), m.group(3))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", help="a run_compare.sh output folder (results/<timestamp>)")
    ap.add_argument("--out", help="where report.md and svg/ go (default: the results folder)")
    a = ap.parse_args(argv)
    out = a.out or a.results
    os.makedirs(os.path.join(out, "svg"), exist_ok=True)
    cases, errors = load_cases(a.results)
    if not cases:
        print(f"perf_report: no <case>/<server>-<run>.json under {a.results}", file=sys.stderr)
        return 1

    md = []
    meta_path = os.path.join(a.results, "meta.json")
    if os.path.exists(meta_path):
        try:
            with open(meta_path) as f:
                meta = json.load(f)
            md.append(f"Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, Linux {meta.get('kernel', '?')}; "
                      f"node {meta.get('node', '?')}, socket.io {meta.get('socket.io', '?')}, "
                      f"uWebSockets.js via uws-pack {meta.get('uws-pack', '?')}, bun {meta.get('bun', '?')}; "
                      f"roomcast {meta.get('git', '?')}"
                      f"{' (dirty tree)' if meta.get('git_dirty') else ''}.  ")
            md.append(f"Each figure is the median of {meta.get('runs', '?')} runs of {meta.get('duration_s', '?')} s "
                      f"(after {meta.get('warmup_s', '?')} s warm-up); server on CPU {meta.get('server_cpus', '?')}, "
                      f"load generator on CPU {meta.get('bench_cpus', '?')}.")
            md.append("")
        except (OSError, ValueError):
            pass

    md.append("Delivered msg/s counts `message` events received in the measured window; latency runs from "
              "the publish's (intended) send time to its arrival at each member; loss is what had not arrived "
              "when the harness stopped waiting (in-flight backlog included); server CPU is 100% per core; "
              "bench CPU is the load generator's; other CPU is user-mode CPU of every other process on the "
              "machine during the run (should be near 0). Ratios are of delivered msg/s.")
    md.append("")
    summaries = {}
    for case in sorted(cases, key=case_sort_key):
        summ = {srv: summarize(runs) for srv, runs in cases[case].items()}
        summaries[case] = summ
        args_path = os.path.join(a.results, case, "args.txt")
        md.append(f"### {case}")
        md.append("")
        if os.path.exists(args_path):
            with open(args_path) as f:
                md.append(f"`roomcast-bench {f.read().strip()}`")
            md.append("")
        md.append(case_table(case, summ))
        md.append("")
        notes = case_notes(summ)
        if notes:
            md.extend(f"- {n}" for n in notes)
            md.append("")
        svg = latency_svg(case, summ)
        if svg:
            name = f"{case}-latency.svg"
            with open(os.path.join(out, "svg", name), "w") as f:
                f.write(svg)
            md.append(f"![{case} latency](svg/{name})")
            md.append("")

    sweep = {}
    for case, summ in summaries.items():
        m = re.match(r"^W5-p(\d+)$", case)
        if m:
            sweep[int(m.group(1))] = summ
    if sweep:
        servers = order({s for summ in sweep.values() for s in summ})
        md.append("### W5 payload sweep: delivered msg/s")
        md.append("")
        md.append("| payload | " + " | ".join(f"`{s}`" for s in servers) + " |")
        md.append("|--:|" + "--:|" * len(servers))
        for p in sorted(sweep):
            md.append(f"| {p} B | " + " | ".join(fmt_rate(sweep[p][s]["msgs"]) if s in sweep[p] else "–"
                                                for s in servers) + " |")
        md.append("")
        md.append("Payload bytes delivered per second (msg/s x payload):")
        md.append("")
        md.append("| payload | " + " | ".join(f"`{s}`" for s in servers) + " |")
        md.append("|--:|" + "--:|" * len(servers))
        for p in sorted(sweep):
            md.append(f"| {p} B | " + " | ".join(fmt_bytes_rate(sweep[p][s]["msgs"] * p)
                                                if s in sweep[p] and sweep[p][s]["msgs"] else "–"
                                                for s in servers) + " |")
        md.append("")
        svg = sweep_svg(sweep, servers)
        if svg:
            with open(os.path.join(out, "svg", "W5-throughput.svg"), "w") as f:
                f.write(svg)
            md.append("![W5 throughput by payload](svg/W5-throughput.svg)")
            md.append("")

    scale = {}
    for case, summ in summaries.items():
        m = re.match(r"^W4-(\d+)$", case)
        if m and "roomcastd-w4" in summ:
            scale[int(m.group(1))] = summ["roomcastd-w4"]
    if scale:
        md.append("### W4 scale: roomcastd alone")
        md.append("")
        md.append("| connections | ready | last member p99 | max | server peak RSS | memory per added connection |")
        md.append("|--:|--:|--:|--:|--:|--:|")
        prev = None
        for n in sorted(scale):
            s = scale[n]
            per = "–"
            if prev and s.get("rss_kb") and prev.get("rss_kb") and s.get("conns_ready") and prev.get("conns_ready") \
                    and s["conns_ready"] > prev["conns_ready"]:
                per = f"{(s['rss_kb'] - prev['rss_kb']) * 1024 / (s['conns_ready'] - prev['conns_ready']):,.0f} B"
            ready = f"{s['conns_ready']:,.0f}" if s.get("conns_ready") is not None else "–"
            md.append(f"| {n:,} | {ready} | {fmt_us(s['p99'])} | {fmt_us(s['lat_max'])} | {fmt_mib(s['rss_kb'])} | {per} |")
            prev = s
        md.append("")

    if errors:
        md.append("Unreadable results: " + "; ".join(errors))
        md.append("")
    text = "\n".join(md)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
