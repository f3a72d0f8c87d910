#!/usr/bin/env bash
# Builds and tests the exporter against several Slurm releases: for each, the Slurm build
# (scripts/slurm-build.sh, cached outside the repository; 22.05 is Debian's own), the project's
# build against it with warnings as errors, then its unit, golden and e2e tests (the e2e tests
# run a real cluster of that release). Where other releases are in the cache, the e2e tests
# also run this build against clusters that refuse its protocol (the nearest older release and
# the first two newer ones outside its window) and upgrade a cluster in place to the next
# release (e2e_protocol_skew, e2e_rolling_upgrade). Ends with a table: release x
# passed/failed/skipped.
#
# usage: scripts/test-versions.sh [-L LABELS] [--source DIR] VERSION... | all
#   VERSION  22.05 23.02 23.11 24.05 24.11 25.05 25.11 26.05 (a series: its newest release in
#            the source folder), or a release such as 24.11.7; "all" is every series.
#   -L       the CTest labels to run (default 'unit|golden|e2e')
#   --source where the Slurm tarballs are (see scripts/slurm-build.sh)
# The table is also written to build/versions.md. Exit status 0 when every release passed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
labels='unit|golden|e2e'
build_args=()
versions=()
# shellcheck source=scripts/lib/slurm-releases.sh
. scripts/lib/slurm-releases.sh
all=("${SLURM_SERIES[@]}")
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    -L) [ $# -ge 2 ] || usage; labels=$2; shift 2 ;;
    --source) [ $# -ge 2 ] || usage; build_args+=(--source "$2"); shift 2 ;;
    all) versions+=("${all[@]}"); shift ;;
    -h|--help) usage ;;
    [0-9]*) versions+=("$1"); shift ;;
    *) echo "test-versions: unknown argument '$1'" >&2; usage ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || usage
jobs=$(nproc 2>/dev/null || echo 2)

scripts/install-deps.sh >&2

rows=()
total_passed=0
total_failed=0
total_tests=0
failed_any=0
# First every Slurm build, so that each release's tests can use the others.
declare -A prefix_of
for v in "${versions[@]}"; do
  echo "=== Slurm $v: build"
  if p=$(scripts/slurm-build.sh "${build_args[@]}" "$v" | tail -n1); then
    prefix_of[$v]=$p
  else
    prefix_of[$v]=""
  fi
done
for v in "${versions[@]}"; do
  echo "=== Slurm $v: tests"
  t0=$(date +%s)
  prefix=${prefix_of[$v]}
  if [ -z "$prefix" ]; then
    rows+=("| $v | Slurm build failed | - | - | - | see the log above |")
    failed_any=1; total_failed=$((total_failed + 1)); total_tests=$((total_tests + 1))
    continue
  fi
  release=$(v=$(sed -n 's/^#define SLURM_VERSION_NUMBER *//p' "$prefix/include/slurm/slurm_version.h");
            printf '%d.%02d.%d' $((v >> 16)) $(((v >> 8) & 255)) $((v & 255)))
  dir=build/slurm-$release
  mapfile -t cross < <(cross_release_args "${release%.*}")
  if ! { cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_WERROR=ON \
           -DSLURM_EXPORTER_TESTS=ON -DCMAKE_PREFIX_PATH="$prefix" "${cross[@]}" >/dev/null &&
         cmake --build "$dir" -j"$jobs"; }; then
    rows+=("| $release | build failed | - | - | - | -Werror build against $prefix |")
    failed_any=1; total_failed=$((total_failed + 1)); total_tests=$((total_tests + 1))
    continue
  fi
  log=$dir/ctest-versions.log
  set +e
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" -L "$labels" \
    --output-log "$dir/ctest-versions-full.log" 2>&1 | tee "$log"
  set -e
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
  if [ -z "$line" ]; then
    rows+=("| $release | ctest did not finish | - | - | - | see $log |")
    failed_any=1; total_failed=$((total_failed + 1)); total_tests=$((total_tests + 1))
    continue
  fi
  t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  # Tests skipped for a feature the release lacks say why on a "SKIP:" line (CTest's
  # SKIP_RETURN_CODE); those that check a feature's absence pass, saying so on "ABSENT:" lines.
  s=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* \*\*\*Skipped' "$log" || true)
  reasons=$(grep -hoE '(SKIP|ABSENT): .*' "$dir/ctest-versions-full.log" | sed 's/|/\//g' |
            sort -u | paste -sd ';' - || true)
  p=$((t - f - s))
  total_passed=$((total_passed + p)); total_failed=$((total_failed + f)); total_tests=$((total_tests + t - s))
  [ "$f" = 0 ] || failed_any=1
  secs=$(( $(date +%s) - t0 ))
  rows+=("| $release | $p | $f | $s | ${secs}s | ${reasons:-} |")
done

table=$(printf '%s\n' "| Slurm | passed | failed | skipped | time | skipped or absent, and why |" \
  "|---|---|---|---|---|---|" "${rows[@]}")
mkdir -p build
printf '%s\n' "$table" >build/versions.md
echo
echo "=== Slurm releases (labels: $labels)"
echo "$table"
# The same summary line as ctest's, for scripts/test.sh.
pct=100
[ "$total_tests" = 0 ] || pct=$(( 100 * (total_tests - total_failed) / total_tests ))
echo "$pct% tests passed, $total_failed tests failed out of $total_tests"
[ "$failed_any" = 0 ]
