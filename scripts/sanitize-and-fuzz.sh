#!/usr/bin/env bash
# Sanitizers and fuzzing (docs/fuzzing.md); scripts/test.sh runs it last.
#  1. build-asan/: gcc, host code with -fsanitize=address,undefined (guests
#     never), then the C++ ctest suite there (unit + integration on real
#     KVM) except memcheck.* (valgrind cannot run ASan binaries) and the
#     tests that measure the process's RSS (names with "Rss": ASan's shadow
#     memory and quarantine of freed blocks make RSS meaningless). The
#     guests built from Debian source packages (lua.elf) take their sources
#     from build/third_party, offline, when scripts/build.sh has fetched them.
#  2. build-tsan/: gcc, host code with -fsanitize=thread (TSan cannot be
#     combined with ASan), only the library, the guests (not those built from
#     Debian source packages) and the two gtest binaries; then all their
#     tests, one process per binary: every sandbox
#     uses the library's threads (VM pool, spare sandboxes, deadline timer),
#     and the thread suites (Interrupts, Deadlines, Snapshots, the VM pool
#     and spare-sandbox tests) are in there. Except the RSS tests, as under
#     ASan: TSan's shadow of the memory the host touches counts in RSS. Run
#     directly, not through ctest, which starts a process per test: TSan
#     sleeps 1 s at each exit (atexit_sleep_ms) to catch races with threads
#     still running then.
#  3. build-fuzz/: clang + libFuzzer, then every fuzz target for
#     FUZZ_SECONDS (default 30) each, all at once, from its seed corpus.
# Fails on any test failure, sanitizer report or fuzzer crash; crash inputs
# are kept in build-fuzz/crashes/.
# Usage: scripts/sanitize-and-fuzz.sh   (FUZZ_SECONDS=N to fuzz longer)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
fuzz_seconds=${FUZZ_SECONDS:-30}
targets=(fuzz_wire_decode fuzz_elf_image fuzz_snapshot_load fuzz_cli_arguments fuzz_gdb_packet)

# Leaks are errors; UBSan reports abort with a stack (the build also uses
# -fno-sanitize-recover=all). Set ASAN_OPTIONS yourself to change them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every data race is reported (not only the first) and fails the run (exit
# code 66); lock-order reports show both stacks. No suppressions: none is
# needed (docs/fuzzing.md says why the memory KVM writes is not one).
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:second_deadlock_stack=1}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# LeakSanitizer stops the process's threads with ptrace; where ptrace is
# forbidden (some containers, or running under a debugger) it dies with a
# "fatal error" in every test. Say so up front rather than fail mysteriously.
if [[ $ASAN_OPTIONS == *detect_leaks=1* ]]; then
  printf '#include <stdlib.h>\nvoid *p;\nint main(void) { p = malloc(7); p = 0; return 0; }\n' >"$tmp/leak.c"
  gcc -fsanitize=address -g -o "$tmp/leak" "$tmp/leak.c"
  if "$tmp/leak" >"$tmp/leak.log" 2>&1 || ! grep -q "detected memory leaks" "$tmp/leak.log"; then
    cat "$tmp/leak.log" >&2
    echo "error: LeakSanitizer does not work here (ptrace restricted?); leak checking cannot run." >&2
    echo "       Rerun with ASAN_OPTIONS=detect_leaks=0 to skip leak checks knowingly." >&2
    exit 1
  fi
fi

echo "== sanitizers: build-asan (gcc, -fsanitize=address,undefined on host code)"
guest_sources=()
[[ -d build/third_party ]] && guest_sources=(-DHL_GUEST_SOURCES_FROM="$PWD/build/third_party")
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_CXX_COMPILER=g++ -DHL_SANITIZE=address,undefined -DHL_BUILD_BENCH=OFF "${guest_sources[@]}" >/dev/null
ninja -C build-asan
ctest --test-dir build-asan --output-on-failure -j2 -E '^memcheck\.|Rss'
asan_seconds=$((SECONDS - start))

echo "== sanitizers: build-tsan (gcc, -fsanitize=thread on host code)"
tsan_start=$SECONDS
# TSan must work here, and see a race, before its silence means anything (it
# refuses some kernels' memory layouts, e.g. with vm.mmap_rnd_bits above 28).
printf '#include <pthread.h>\nint x;\nvoid *f(void *p) { x++; return p; }\n%s\n' \
  'int main(void) { pthread_t t; pthread_create(&t, 0, f, 0); x++; pthread_join(t, 0); return 0; }' >"$tmp/race.c"
gcc -fsanitize=thread -g -o "$tmp/race" "$tmp/race.c"
TSAN_OPTIONS=halt_on_error=0 "$tmp/race" >"$tmp/race.log" 2>&1 || true
if ! grep -q "WARNING: ThreadSanitizer: data race" "$tmp/race.log"; then
  cat "$tmp/race.log" >&2
  echo "error: ThreadSanitizer does not work here (or misses a plain race); the TSan run cannot mean anything." >&2
  exit 1
fi
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
  -DCMAKE_CXX_COMPILER=g++ -DHL_SANITIZE=thread -DHL_BUILD_BENCH=OFF -DHL_BUILD_EXAMPLES=OFF \
  -DHL_BUILD_SCRIPT_GUESTS=OFF >/dev/null
ninja -C build-tsan hyperlight_unit_tests hyperlight_integration_tests
build-tsan/tests/hyperlight_unit_tests --gtest_brief=1
build-tsan/tests/hyperlight_integration_tests --gtest_brief=1 --gtest_filter='-*Rss*'
tsan_seconds=$((SECONDS - tsan_start))

echo "== fuzzing: build-fuzz (clang, libFuzzer + address,undefined)"
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DHL_SANITIZE=address,undefined -DHL_BUILD_FUZZ=ON \
  -DHL_BUILD_TESTS=OFF -DHL_BUILD_BENCH=OFF -DHL_BUILD_EXAMPLES=OFF -DHL_BUILD_SCRIPT_GUESTS=OFF >/dev/null
# Only the fuzz targets and seed makers: the guests clang would build are not
# the shipped ones (gcc builds those).
ninja -C build-fuzz "${targets[@]}" fuzz_wire_seeds fuzz_elf_seeds fuzz_snapshot_seeds

# Seeds. Wire: the committed corpus, which must match what its generator
# writes today. ELF: the gcc-built test guests from build-asan (stripped:
# sections are not read), truncated copies, and synthetic minimal images.
mkdir -p "$tmp/wire" "$tmp/elf" "$tmp/snapshot"
build-fuzz/fuzz/fuzz_snapshot_seeds "$tmp/snapshot"
build-fuzz/fuzz/fuzz_wire_seeds "$tmp/wire"
if ! diff -r "$tmp/wire" fuzz/corpus/fuzz_wire_decode >/dev/null; then
  echo "error: fuzz/corpus/fuzz_wire_decode is stale (the wire format changed?); regenerate it with" >&2
  echo "       rm -r fuzz/corpus/fuzz_wire_decode/* && build-fuzz/fuzz/fuzz_wire_seeds fuzz/corpus/fuzz_wire_decode" >&2
  exit 1
fi
build-fuzz/fuzz/fuzz_elf_seeds "$tmp/elf"
for guest in build-asan/tests/guests/*.elf; do
  objcopy --strip-all "$guest" "$tmp/elf/$(basename "$guest" .elf).stripped.elf"
done
simple="$tmp/elf/simpleguest.stripped.elf"
size=$(stat -c %s "$simple")
head -c 64 "$simple" >"$tmp/elf/simpleguest.header-only"
head -c 512 "$simple" >"$tmp/elf/simpleguest.first-512"
head -c $((size / 2)) "$simple" >"$tmp/elf/simpleguest.half"
head -c $((size - 1)) "$simple" >"$tmp/elf/simpleguest.minus-one"

# Fuzz, all targets at once. New inputs go to
# build-fuzz/corpus/<target> (kept between runs), crashes to build-fuzz/crashes/.
mkdir -p build-fuzz/crashes
declare -A seeds=([fuzz_wire_decode]="fuzz/corpus/fuzz_wire_decode" [fuzz_elf_image]="$tmp/elf"
  [fuzz_snapshot_load]="$tmp/snapshot" [fuzz_cli_arguments]="fuzz/corpus/fuzz_cli_arguments"
  [fuzz_gdb_packet]="fuzz/corpus/fuzz_gdb_packet")
pids=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  build-fuzz/fuzz/"$t" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/crashes/$t-" "build-fuzz/corpus/$t" "${seeds[$t]}" >"build-fuzz/$t.log" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  if wait "${pids[$i]}"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$t.log")
    corpus=$(find "build-fuzz/corpus/$t" -type f | wc -l)
    echo "$t: ${runs:-?} inputs in ${fuzz_seconds}s, no crash (corpus: $corpus inputs)"
  else
    failed=1
    echo "$t: FAILED; last lines of build-fuzz/$t.log:" >&2
    tail -n 60 "build-fuzz/$t.log" >&2
    for input in build-fuzz/crashes/"$t"-*; do
      [[ -e $input ]] && echo "reproduce: build-fuzz/fuzz/$t $input" >&2
    done
  fi
done
((failed == 0)) || exit 1

echo "sanitizers and fuzzing passed in $((SECONDS - start)) s (ASan build + tests ${asan_seconds} s," \
  "TSan build + tests ${tsan_seconds} s)"
