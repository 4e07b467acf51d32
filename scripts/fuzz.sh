#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets (coverage-instrumented, with AddressSanitizer) and runs
# each for SECONDS (default 60) from its seed corpus in fuzz/corpus/TARGET. New inputs go to a
# scratch folder, not the repository; a crash is written to fuzz/crashes/ and fails the run
# (keep it as a regression input in fuzz/regressions/TARGET and fix it).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default: every target the fuzz binary lists with --list-targets)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
runtime=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/clang
fuzzer=$(find "$runtime" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -n 1)
[ -n "$fuzzer" ] || { echo "fuzz: libFuzzer's runtime was not found under $runtime" >&2; exit 1; }
bin=.build-fuzz/debug/sessionctl-fuzz
# A binary of an earlier build must never pass for this one: it goes first, and the build's own
# status decides.
rm -f "$bin"
# libFuzzer's driver is linked without its main (SwiftPM names the executable's main itself).
set +e
swift build --product sessionctl-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp,indirect-calls \
  -Xswiftc -DFUZZING -Xlinker "$fuzzer" -Xlinker -lstdc++ > .build-fuzz.log 2>&1
built=$?
set -e
grep -vE "Cannot export local symbol|prohibited flag" .build-fuzz.log >&2 || true
rm -f .build-fuzz.log
if [ "$built" -ne 0 ] || [ ! -x "$bin" ]; then echo "fuzz: the fuzz build failed" >&2; exit 1; fi
# The targets, from the code (not a list written twice).
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <("$bin" --list-targets)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: the fuzz binary names no target" >&2; exit 1; }
mkdir -p fuzz/crashes
passed=0
failed=0
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  seeds=(fuzz/corpus/"$t")
  [ -d fuzz/regressions/"$t" ] && seeds+=(fuzz/regressions/"$t")
  if SESSIONCTL_FUZZ_TARGET=$t "$bin" "$scratch" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -max_len=65536 -artifact_prefix=fuzz/crashes/"$t"- -print_final_stats=1 > "$scratch.log" 2>&1; then
    runs=$(grep -o 'Done [0-9]* runs' "$scratch.log" | tail -n 1 | grep -o '[0-9]*' || true)
    if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
      # A target that ran no input tested nothing: that is a failure, not a pass.
      echo "fuzz: $t FAILED: it executed no input" >&2
      tail -n 20 "$scratch.log" >&2
      failed=$((failed + 1))
    else
      echo "fuzz: $t: Done $runs runs, no crash"
      passed=$((passed + 1))
    fi
  else
    echo "fuzz: $t FAILED; see the crash input in fuzz/crashes/ and the log:" >&2
    tail -n 40 "$scratch.log" >&2
    failed=$((failed + 1))
  fi
  rm -rf "$scratch" "$scratch.log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
