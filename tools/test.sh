#!/usr/bin/env bash
# The full test run: Release build + every CTest test, the Release build installed and used
# as a consumer would (install stage), then ThreadSanitizer
# (tests labelled tsan), ASan+UBSan (tests labelled unit, tsan or conformance: the engine
# tests and the WebSocket conformance run against roomcastd, without the interop ones) and a short
# libFuzzer run of every fuzz target, and a short soak (tools/soak.sh) of the
# Release roomcastd. Ends with "N passed, M failed" over
# the stages below; exits non-zero if any stage failed.
#
# Env: FUZZ_SECONDS (default 15) per fuzz target; JOBS (default 2);
#      STAGES (default "release tsan asan fuzz soak") to run a subset;
#      SOAK_SECONDS (default 30) for the soak stage (needs the release stage's build);
#      BUILD_PREFIX (default <repo>/build): build dirs are it, it-tsan,
#      it-asan and it-fuzz.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

jobs=${JOBS:-2}
fuzz_seconds=${FUZZ_SECONDS:-15}
stages=" ${STAGES:-release tsan asan fuzz soak} "
b=${BUILD_PREFIX:-$repo/build}

passed=0
failed=0
results=()
t_start=$SECONDS

# stage NAME CMD...: runs one counted stage and records its outcome.
stage() {
  local name=$1; shift
  local t0=$SECONDS rc
  echo
  echo "==== [$name] $*"
  "$@"; rc=$?
  local dt=$((SECONDS - t0))
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1)); results+=("PASS  $name (${dt}s)")
  else
    failed=$((failed + 1)); results+=("FAIL  $name (${dt}s, status $rc)")
  fi
  return $rc
}

# A stage that cannot run because the one it depends on failed still counts.
not_run() {
  failed=$((failed + 1)); results+=("FAIL  $1 (not run: $2)")
}

finish() {
  echo
  echo "==== summary ($((SECONDS - t_start))s)"
  printf '  %s\n' "${results[@]}"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache); fi

configure_build() {  # DIR CMAKE-ARGS... [-- TARGETS...]
  local dir=$1; shift
  local args=() targets=()
  while [[ $# -gt 0 && $1 != -- ]]; do args+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift && targets=("$@")
  # A changed compiler makes CMake drop the cache and silently forget the
  # other -D options (e.g. the sanitizer), so a dir configured differently
  # before is started afresh.
  local stamp="$dir/.roomcast-configure-args" want="${launcher[*]} ${args[*]}"
  if [[ -f $dir/CMakeCache.txt && ( ! -f $stamp || $(cat "$stamp") != "$want" ) ]]; then
    echo "test: $dir was configured with other options; reconfiguring from scratch"
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  cmake -S "$repo" -B "$dir" -G Ninja -Wno-dev "${launcher[@]}" "${args[@]}" >"$dir/configure.log" 2>&1 \
    || { cat "$dir/configure.log"; return 1; }
  echo "$want" >"$stamp"
  local a
  for a in "${args[@]}"; do
    if [[ $a =~ ^-D(ROOMCAST_[A-Z_]+)=(.*)$ ]] &&
       ! grep -qE "^${BASH_REMATCH[1]}:[A-Z]+=${BASH_REMATCH[2]}\$" "$dir/CMakeCache.txt"; then
      echo "test: $dir: ${BASH_REMATCH[1]} is not ${BASH_REMATCH[2]} after configuring" >&2
      return 1
    fi
  done
  if [[ ${#targets[@]} -gt 0 ]]; then
    cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  else
    cmake --build "$dir" -j "$jobs"
  fi
}

stage setup tools/setup.sh || finish

# The include order of the layers (docs/ARCHITECTURE.md); cheap, so it runs first.
stage layers python3 tools/check_layers.py

# ThreadSanitizer's shadow layout can clash with high mmap entropy; running
# without ASLR sidesteps that where personality() is allowed.
no_aslr=()
if setarch "$(uname -m)" -R true 2>/dev/null; then no_aslr=(setarch "$(uname -m)" -R); fi

# Installs build DIR into a scratch prefix and uses it as a consumer would: examples/ as
# its own CMake project (find_package), a one-file program over pkg-config --static, and
# the installed roomcastd --version. The installed headers must be exactly
# engine/include/roomcast/*.h and the generated version.h: never an engine/src header.
install_check() {
  local build=$1 work rc
  work=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-install.XXXXXX") || return 1
  install_check_in "$build" "$work"; rc=$?
  if [[ $rc -eq 0 ]]; then rm -rf "$work"; else echo "install: FAILED; left $work for a look"; fi
  return $rc
}

install_check_in() {
  local build=$1 work=$2 p=$2/prefix version
  version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")
  [[ -n $version ]] || { echo "install: no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"; return 1; }
  cmake --install "$build" --prefix "$p" >"$work/install.log" 2>&1 || { cat "$work/install.log"; return 1; }

  # Every header anywhere under the prefix, against the public ones.
  local want got f bad=0
  want=$( (cd "$repo/engine/include" && ls roomcast/*.h && echo roomcast/version.h) | sed 's|^|include/|' | sort)
  got=$(cd "$p" && find . -type f \( -name '*.h' -o -name '*.hpp' -o -name '*.hh' \) | sed 's|^\./||' | sort)
  while read -r f; do
    [[ -n $f ]] || continue
    while read -r src; do
      if [[ -n $src ]] && cmp -s "$p/$f" "$src"; then echo "install: $f is ${src#"$repo"/}"; bad=1; fi
    done < <(find "$repo/engine/src" -name "${f##*/}")
  done <<<"$got"
  if [[ $bad -ne 0 || $got != "$want" ]]; then
    echo "install: installed headers are not engine/include/roomcast/*.h + version.h:"
    diff <(echo "$want") <(echo "$got") | sed 's/^/install:   /'
    return 1
  fi
  echo "install: $(wc -l <<<"$got") public headers, no engine/src header"

  # examples/ on its own against the prefix; roomcast_DIR says which package it found.
  cmake -S "$repo/examples" -B "$work/examples" -G Ninja -Wno-dev "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$p" >"$work/examples.log" 2>&1 \
    || { cat "$work/examples.log"; return 1; }
  local found
  found=$(sed -n 's/^roomcast_DIR:[A-Z]*=//p' "$work/examples/CMakeCache.txt")
  [[ $found == "$p"/* ]] || { echo "install: examples found roomcast at '$found', not under $p"; return 1; }
  cmake --build "$work/examples" -j "$jobs" || return 1
  echo "install: examples built with find_package(roomcast) from $found"

  # One file, compiled and linked with pkg-config's flags alone. It starts and stops a
  # server, so the static link line must hold every archive the library needs, in order.
  local pcdir flags out
  pcdir=$(dirname "$(find "$p" -name roomcast.pc -print -quit)")
  [[ -f $pcdir/roomcast.pc ]] || { echo "install: no roomcast.pc under $p"; return 1; }
  flags=$(PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config --cflags --libs --static roomcast) \
    || return 1
  cat >"$work/one.cpp" <<'CPP'
#include <cstdio>

#include <roomcast/roomcast.h>

int main() {
  roomcast::Config cfg;
  cfg.port = 0;
  cfg.shards = 1;
  cfg.log = [](std::string_view) {};
  roomcast::Server server(cfg);
  server.of("/").on("ping", [](roomcast::Socket&, const roomcast::Args&, roomcast::Ack ack) {
    if (ack) ack("pong");
  });
  server.start();
  unsigned port = server.port();
  server.stop();
  server.wait();
  std::printf("roomcast %s served on port %u\n", ROOMCAST_VERSION_STRING, port);
  return port != 0 ? 0 : 1;
}
CPP
  # shellcheck disable=SC2086  # the flags are separate words
  ${CXX:-c++} -std=c++20 -o "$work/one" "$work/one.cpp" $flags || { echo "install: flags were: $flags"; return 1; }
  out=$("$work/one") || { echo "install: the pkg-config program failed: $out"; return 1; }
  [[ $out == "roomcast $version served on port "* ]] || { echo "install: the program printed '$out'"; return 1; }
  echo "install: pkg-config --static program: $out"

  out=$("$p/bin/roomcastd" --version) || { echo "install: roomcastd --version exited non-zero"; return 1; }
  [[ $out == "roomcastd $version" ]] || { echo "install: roomcastd --version printed '$out', not 'roomcastd $version'"; return 1; }
  echo "install: $out"
}

if [[ $stages == *" release "* ]]; then
  mkdir -p "$b"
  if stage build-release configure_build "$b" -DCMAKE_BUILD_TYPE=Release; then
    stage ctest-release ctest --test-dir "$b" --output-on-failure --no-tests=error
    stage install install_check "$b"
  else
    not_run ctest-release "build failed"
    not_run install "build failed"
  fi
fi

if [[ $stages == *" tsan "* ]]; then
  mkdir -p "$b-tsan"
  # GCC: its TSan runtime is a shared library, so tests that replace global
  # operator new (allocation counting) still link; clang's static one clashes.
  # Only what the tsan-labelled tests run (the engine tests, and roomcastd for the
  # cross-shard interop tests): the pure codecs' tests have no threads to check, and
  # building them again here cost CI a minute.
  tsan_targets=(roomcastd)
  for src in "$repo"/tests/unit/engine_*_test.cpp; do tsan_targets+=("$(basename "$src" .cpp)"); done
  if stage build-tsan configure_build "$b-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
      -DROOMCAST_SANITIZE=thread -DROOMCAST_BENCH=OFF -- "${tsan_targets[@]}"; then
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
      stage ctest-tsan "${no_aslr[@]}" ctest --test-dir "$b-tsan" -L tsan --output-on-failure --no-tests=error
  else
    not_run ctest-tsan "build failed"
  fi
fi

if [[ $stages == *" asan "* ]]; then
  mkdir -p "$b-asan"
  if stage build-asan configure_build "$b-asan" -DCMAKE_BUILD_TYPE=Debug \
      -DROOMCAST_SANITIZE=address,undefined -DROOMCAST_BENCH=OFF; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      stage ctest-asan ctest --test-dir "$b-asan" -L '^(unit|tsan|conformance)$' -LE '^interop$' --output-on-failure --no-tests=error
  else
    not_run ctest-asan "build failed"
  fi
fi

# Runs one libFuzzer target on a scratch copy of its seed corpus.
fuzz_one() {
  local bin=$1 name corpus work rc
  name=$(basename "$bin")
  corpus=$repo/tests/fuzz/corpus/$name
  work=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-fuzz-$name.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  if [[ -d $corpus ]]; then
    cp -R "$corpus/." "$work/corpus/"
  else
    echo "fuzz: WARNING: no seed corpus at tests/fuzz/corpus/$name; starting empty"
  fi
  "$bin" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
  rc=$?
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ +DONE)' "$work/log" | sed 's/^/fuzz: /'
  if [[ $rc -ne 0 ]]; then
    tail -n 60 "$work/log"
    for a in "$work"/artifacts/*; do
      [[ -f $a ]] || continue
      mkdir -p "$b-fuzz/artifacts"
      cp "$a" "$b-fuzz/artifacts/" && echo "fuzz: reproducer saved: $b-fuzz/artifacts/$(basename "$a")"
    done
  fi
  rm -rf "$work"
  return $rc
}

if [[ $stages == *" fuzz "* ]]; then
  fuzz_targets=()
  for src in "$repo"/tests/fuzz/*_fuzz.cpp; do
    [[ -f $src ]] && fuzz_targets+=("$(basename "$src" .cpp)")
  done
  if [[ ${#fuzz_targets[@]} -eq 0 ]]; then
    echo "fuzz: no fuzz targets under tests/fuzz"
    not_run fuzz "no *_fuzz.cpp targets found"
  else
    mkdir -p "$b-fuzz"
    if stage build-fuzz configure_build "$b-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DROOMCAST_FUZZ=ON -DROOMCAST_SANITIZE=address,undefined -DROOMCAST_BENCH=OFF \
        -- "${fuzz_targets[@]}"; then
      for t in "${fuzz_targets[@]}"; do
        bin=$(find "$b-fuzz" -type f -name "$t" -perm -u+x | head -n 1)
        if [[ -z $bin ]]; then not_run "fuzz-$t" "binary not found"; continue; fi
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
          stage "fuzz-$t" fuzz_one "$bin"
      done
    else
      for t in "${fuzz_targets[@]}"; do not_run "fuzz-$t" "build failed"; done
    fi
  fi
fi

if [[ $stages == *" soak "* ]]; then
  if [[ -x $b/bench/harness/roomcast-bench && -x $b/tools/roomcastd/roomcastd ]]; then
    SOAK_SECONDS=${SOAK_SECONDS:-30} CHUNK=${SOAK_CHUNK:-15} CONNS=200 RATE=1000 BUILD=$b \
      stage soak tools/soak.sh
  else
    not_run soak "no Release roomcastd and roomcast-bench in $b"
  fi
fi

finish
