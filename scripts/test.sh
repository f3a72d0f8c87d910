#!/usr/bin/env bash
# Runs every test: installs what is missing, checks formatting, builds with warnings as errors,
# runs unit, golden, rules and end-to-end tests (the e2e tests start a real local Slurm cluster
# themselves) on Debian's Slurm 22.05, then repeats unit/golden/e2e under ASan+UBSan and the
# concurrent parts under TSan, fuzzes the parsers of outside input (libFuzzer, bounded time),
# and builds and runs the build, unit, golden and e2e tests against the Slurm releases of
# $SLURM_TEST_VERSIONS (default: 23.11, the runbook's, and 26.05, the newest), built from
# ../shared/slurm-src into a cache outside the repository (scripts/slurm-build.sh). Those builds
# also give the 22.05 build its cross-release e2e tests: clusters that refuse its protocol and
# an in-place upgrade to a later release. What is shipped runs too: the container image built
# with podman and run against a real cluster, the chart's pods under `podman kube play`
# (scripts/image.sh test), and the Debian package installed, run and purged
# (scripts/package.sh test).
#
# usage: scripts/test.sh [--quick]   (--quick: skip the sanitizer builds)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1
started=$(date +%s)
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh

passed=0
failed=0
summary=()
record() {  # record NAME LOGFILE RC
  local name=$1 logf=$2 rc=$3 line p f t
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$logf" | tail -n1 || true)
  if [ -n "$line" ]; then
    t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
    p=$((t - f))
  else
    if [ "$rc" = 0 ]; then p=1; f=0; else p=0; f=1; fi
  fi
  passed=$((passed + p)); failed=$((failed + f))
  summary+=("$name: $p passed, $f failed")
}
step() {  # step NAME CMD... : runs CMD, tees its output, records the result
  local name=$1; shift
  local logf t0
  logf=$(mktemp)
  echo "=== $name"
  t0=$(date +%s)
  set +e
  "$@" 2>&1 | tee "$logf"
  local rc=${PIPESTATUS[0]}
  set -e
  record "$name" "$logf" "$rc"
  summary[-1]+=" ($(($(date +%s) - t0)) s)"
  rm -f "$logf"
  return 0
}

format_check() {
  local files
  files=$(find common collectors exporter alerts test -name '*.cc' -o -name '*.h' 2>/dev/null | sort)
  # shellcheck disable=SC2086
  clang-format --dry-run --Werror $files && echo "clang-format: $(wc -w <<<"$files") files clean"
}
no_cli_check() {
  # The exporter must never run or parse Slurm's CLI: no process spawning in product code.
  if grep -rnE '\b(popen|system|execv|execvp|execl|execlp|posix_spawn)\s*\(' \
      common collectors exporter alerts 2>/dev/null | grep -v '^\s*//'; then
    echo "product code spawns processes (see above)"; return 1
  fi
  echo "no process spawning in product code"
}
build() {  # build DIR CMAKE_ARGS...
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON -DSLURM_EXPORTER_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

fuzz_targets="webhook_fuzz policy_fuzz ledger_fuzz basic_auth_fuzz slurm_text_fuzz"
fuzz_build() {
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSLURM_EXPORTER_FUZZ=ON -DSLURM_EXPORTER_TESTS=OFF >/dev/null
  cmake --build build/fuzz -j"$jobs" --target $fuzz_targets
}
# fuzz_run TARGET: ${FUZZ_SECONDS:-30}s from the checked-in corpus, with a fixed seed
# (${FUZZ_SEED:-1}) so that a run is reproducible: a slower machine runs a prefix of the same
# sequence of inputs. FUZZ_SEED=0 picks a random seed (exploration). A crashing input is kept
# in build/fuzz/crashes/ and its stack is printed.
fuzz_run() {
  local f=$1 seeds work out rc
  seeds="test/fuzz/corpus/${f%_fuzz}"
  work=$(mktemp -d)
  mkdir -p build/fuzz/crashes
  out=$(mktemp)
  "build/fuzz/$f" -max_total_time="${FUZZ_SECONDS:-30}" -seed="${FUZZ_SEED:-1}" \
    -print_final_stats=1 -artifact_prefix="$root/build/fuzz/crashes/$f-" "$work" "$seeds" \
    >"$out" 2>&1
  rc=$?
  if [ "$rc" = 0 ]; then
    grep -E '^(INFO: Seed|stat::number_of_executed_units|INFO: Done)' "$out"
  else
    grep -vE '^(#[0-9]+|INFO:)' "$out" | tail -n 60
  fi
  rm -rf "$work" "$out"
  return "$rc"
}

# shellcheck source=scripts/lib/slurm-releases.sh
. scripts/lib/slurm-releases.sh
read -r -a versions <<<"${SLURM_TEST_VERSIONS-23.11 26.05}"
# Cross-release e2e pairs from these releases only, cached or not elsewhere on the machine.
export SLURM_CROSS_SERIES="22.05 ${versions[*]}"
slurm_builds() {  # each one prints how long it took, or that it was in the cache already
  local v
  for v in "${versions[@]}"; do scripts/slurm-build.sh "$v" || return 1; done
}

step "format" format_check
step "no-cli" no_cli_check
[ ${#versions[@]} -eq 0 ] || step "slurm-builds" slurm_builds
mapfile -t cross < <(cross_release_args 22.05)
step "build" build build/release -DSLURM_EXPORTER_DEB=ON "${cross[@]}"
step "tests" ctest --test-dir build/release --output-on-failure -j"$jobs"
step "image" scripts/image.sh test
step "package" scripts/package.sh test --build build/release

if [ $quick = 0 ]; then
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$root/test/sanitizers/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/test/sanitizers/tsan.supp"
  step "build-asan" build build/asan -DCMAKE_BUILD_TYPE=Debug -DSLURM_EXPORTER_SANITIZE=address,undefined
  step "tests-asan" ctest --test-dir build/asan --output-on-failure -j"$jobs" -L 'unit|golden|e2e'
  step "build-tsan" build build/tsan -DCMAKE_BUILD_TYPE=Debug -DSLURM_EXPORTER_SANITIZE=thread
  step "tests-tsan" ctest --test-dir build/tsan --output-on-failure -j"$jobs" -L unit
  step "build-fuzz" fuzz_build
  for f in $fuzz_targets; do
    step "fuzz-$f" fuzz_run "$f"
  done
fi
[ ${#versions[@]} -eq 0 ] || step "slurm-versions" scripts/test-versions.sh "${versions[@]}"

echo
echo "=== summary"
for s in "${summary[@]}"; do echo "  $s"; done
echo "$passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" = 0 ]
