#!/usr/bin/env python3
"""Fails when an #include runs against the layer order of docs/ARCHITECTURE.md.

Every engine file belongs to the layer of its folder under engine/src (util, proto, rooms,
uring, loop, engineio, socketio, cluster, server); the public headers under
engine/include/roomcast are the API. A file may include only the layers listed for its own
in ALLOWED below. Code outside the engine is held too: roomcastd and the examples see the
public headers only, the bench harness the pure layers and uring.

liburing itself is held too: only engine/src/uring includes <liburing.h> (and the code
that is not the engine's: bench/peers, tests); everything else reaches io_uring through the
uring/ headers. This check has no exceptions list.

Known violations that a later step of the restructuring removes are listed, with the
reason, in tools/layer_exceptions.txt ("FILE -> INCLUDE  # why"). An entry that no longer
occurs is an error as well, so the list can only shrink.

Usage: tools/check_layers.py [REPO]   (exit 0: clean; 1: violations, each printed)
"""
import os
import re
import sys

# Layer of a path under engine/src, by the longest matching prefix.
LAYER_OF_PREFIX = [
    # The adapter interface is the one file of cluster/ that socketio/ calls.
    ("cluster/adapter.h", "cluster_api"),
    ("cluster/wire/", "cluster_codec"),
    ("cluster/redis/redis_url.", "cluster_codec"),
    ("util/", "util"),
    ("proto/", "proto"),
    ("rooms/", "rooms"),
    ("uring/", "uring"),
    ("loop/", "loop"),
    ("engineio/", "engineio"),
    ("socketio/", "socketio"),
    ("cluster/", "cluster"),
    ("server/", "server"),
]

# Public headers: the value types every layer may use, and the API proper.
PUBLIC_VALUE_HEADERS = {"roomcast/args.h", "roomcast/faults.h", "roomcast/config.h",
                        "roomcast/engine_io.h", "roomcast/adapter.h"}

BASE = {"api_values"}
ALLOWED = {
    "api_values": BASE,
    "api": BASE | {"api"},
    "util": BASE | {"util"},
    "proto": BASE | {"util", "proto"},
    "rooms": BASE | {"util", "rooms"},
    "cluster_codec": BASE | {"util", "proto", "cluster_codec"},
    "cluster_api": BASE | {"api"},
    "uring": BASE | {"util", "uring"},
    "loop": BASE | {"util", "proto", "rooms", "uring", "loop"},
    "engineio": BASE | {"util", "proto", "rooms", "uring", "loop", "engineio"},
    "socketio": BASE | {"util", "proto", "rooms", "uring", "loop", "engineio", "socketio", "cluster_api",
                 "api"},
    "cluster": BASE | {"util", "proto", "rooms", "cluster_codec", "uring", "loop", "engineio",
                       "socketio", "cluster_api", "cluster", "api"},
    "server": BASE | {"util", "proto", "rooms", "cluster_codec", "uring", "loop", "engineio",
                      "socketio", "cluster_api", "cluster", "server", "api"},
    # Outside the engine.
    "app": BASE | {"api"},                                  # roomcastd, examples
    "bench_harness": BASE | {"util", "proto", "uring"},     # the load generator
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
LIBURING = re.compile(r'^\s*#\s*include\s+<liburing(\.h|/[^>]*)>')
# Where <liburing.h> may be included: the uring layer, and code outside the engine's layers
# that measures or tests against it (the bench's reference servers, tests).
LIBURING_ALLOWED = ("engine/src/uring/", "bench/peers/", "tests/")


def engine_layer(rel):
    for prefix, layer in LAYER_OF_PREFIX:
        if rel.startswith(prefix):
            return layer
    return None


def layer_of_include(inc, including_dir, repo):
    """The layer an include names, or None when it is the including component's own file."""
    if inc.startswith("roomcast/"):
        return "api_values" if inc in PUBLIC_VALUE_HEADERS else "api"
    if os.path.exists(os.path.join(repo, "engine/src", inc)):
        return engine_layer(inc)
    if os.path.exists(os.path.join(including_dir, inc)):
        return None  # a file of the same tool/test folder
    return "unknown"


def files(repo, top, exts=(".h", ".cpp")):
    for dp, dn, fn in os.walk(os.path.join(repo, top)):
        dn[:] = [d for d in dn if d not in ("node_modules", "peers")]
        for f in sorted(fn):
            if f.endswith(exts):
                yield os.path.join(dp, f)


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    checked = []  # (file relative to repo, its layer)
    for path in files(repo, "engine/src"):
        rel = os.path.relpath(path, os.path.join(repo, "engine/src"))
        layer = engine_layer(rel)
        if layer is None:
            print(f"check_layers: engine/src/{rel} is in no layer's folder")
            return 1
        checked.append((path, layer))
    for path in files(repo, "engine/include"):
        rel = os.path.relpath(path, os.path.join(repo, "engine/include"))
        checked.append((path, "api_values" if rel in PUBLIC_VALUE_HEADERS else "api"))
    for top in ("tools/roomcastd", "examples"):
        checked += [(p, "app") for p in files(repo, top)]
    checked += [(p, "bench_harness") for p in files(repo, "bench/harness")]

    exceptions = {}
    exc_file = os.path.join(repo, "tools/layer_exceptions.txt")
    if os.path.exists(exc_file):
        for line in open(exc_file):
            line = line.split("#", 1)[0].strip()
            if line:
                f, inc = (s.strip() for s in line.split("->"))
                exceptions[(f, inc)] = False

    bad = 0
    for path, layer in checked:
        rel_repo = os.path.relpath(path, repo)
        for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(1)
            target = layer_of_include(inc, os.path.dirname(path), repo)
            if target is None or target in ALLOWED[layer]:
                continue
            if (rel_repo, inc) in exceptions:
                exceptions[(rel_repo, inc)] = True
                continue
            what = "a file that is not in the engine's layers" if target == "unknown" else f"layer {target}"
            print(f"{rel_repo}:{n}: layer {layer} includes \"{inc}\" ({what})")
            bad += 1
    for dp, dn, fn in os.walk(repo):
        dn[:] = sorted(d for d in dn if d not in (".git", "node_modules") and not d.startswith("build"))
        for f in sorted(fn):
            if not f.endswith((".h", ".hpp", ".cpp", ".cc", ".c")):
                continue
            path = os.path.join(dp, f)
            rel_repo = os.path.relpath(path, repo)
            if rel_repo.startswith(LIBURING_ALLOWED):
                continue
            for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                if LIBURING.match(line):
                    print(f"{rel_repo}:{n}: includes <liburing.h> outside engine/src/uring: use the uring/ headers")
                    bad += 1
    for (f, inc), used in exceptions.items():
        if not used:
            print(f"tools/layer_exceptions.txt: {f} -> {inc} no longer occurs: remove the entry")
            bad += 1
    n_exc = sum(exceptions.values())
    print(f"check_layers: {len(checked)} files, {bad} violations, {n_exc} listed exceptions")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
