#!/usr/bin/env bash
# The full test run: Release build + every CTest test, then ThreadSanitizer
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

if [[ $stages == *" release "* ]]; then
  mkdir -p "$b"
  if stage build-release configure_build "$b" -DCMAKE_BUILD_TYPE=Release; then
    stage ctest-release ctest --test-dir "$b" --output-on-failure --no-tests=error
  else
    not_run ctest-release "build failed"
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
