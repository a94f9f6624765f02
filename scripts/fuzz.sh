#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (a separate small CMake project) and runs
# each for a bounded time on its checked-in corpus (fuzz/corpus/<target>/), without writing
# to the corpus. Exit status non-zero when a target finds a crash, a sanitizer report, a
# leak or a broken invariant (the reproducer is left in the build dir).
#   AXON_FUZZ_SECONDS   seconds per target (default 30)
#   AXON_FUZZ_BUILD     build directory (default build/fuzz)
#   AXON_FUZZ_TARGETS   space-separated subset (default: all)
# Needs clang-14 and libclang-rt-14-dev (scripts/deps.sh test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${AXON_FUZZ_BUILD:-$root/build/fuzz}"
seconds="${AXON_FUZZ_SECONDS:-30}"
targets="${AXON_FUZZ_TARGETS:-fuzz_signature fuzz_json_body fuzz_request}"
cxx="${AXON_FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}"

cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets

status=0
for target in $targets; do
  corpus="$root/fuzz/corpus/${target#fuzz_}"
  work="$build/work-$target"
  rm -rf "$work" && mkdir -p "$work"
  echo "== $target: ${seconds}s on $(ls "$corpus" | wc -l) corpus inputs"
  # New inputs go to a scratch dir (first corpus dir), the checked-in one is read only.
  if ! (cd "$work" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$work" "$corpus" >"$work/log" 2>&1); then
    echo "!! $target failed; last lines of $work/log:" >&2
    tail -40 "$work/log" >&2
    status=1
  else
    grep -E "^stat::(number_of_executed_units|new_units_added)" "$work/log" || true
  fi
done
exit $status
