#!/usr/bin/env bash
# Builds the Debian package (CPack) and tests it on this machine.
#
# usage: scripts/package.sh build [--build DIR]   the .deb, printed as the last line
#        scripts/package.sh test  [--build DIR]   build it, then test/package/test_deb.py:
#                                                 lintian, dpkg -i, the units, purge
#
#   --build  a configured build tree to package (default build/deb, configured here as a
#            Release build against the Slurm that CMake finds; set CMAKE_PREFIX_PATH for
#            another). The package is for the Slurm release it was built against: Debian 12's
#            22.05 gives Depends on Debian's own libslurm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "package: error: $*" >&2; exit 1; }
usage() { sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
cmd=$1; shift
dir=build/deb
while [ $# -gt 0 ]; do
  case $1 in
    --build) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    *) usage ;;
  esac
done

build() {
  local t0 deb
  t0=$(date +%s)
  cmake -S . -B "$dir" -DSLURM_EXPORTER_DEB=ON \
    $([ -f "$dir/CMakeCache.txt" ] || echo "-DCMAKE_BUILD_TYPE=Release -DSLURM_EXPORTER_TESTS=OFF") \
    >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target slurm_exporter slurm_remediator >&2
  rm -f "$dir"/slurm-exporter_*.deb
  (cd "$dir" && cpack -G DEB >&2) || die "cpack failed (above)"
  deb=$(ls "$dir"/slurm-exporter_*.deb)
  echo "package: $deb ($(du -k "$deb" | cut -f1) KiB) in $(($(date +%s) - t0)) s" >&2
  echo "$deb"
}

scripts/install-deps.sh >&2
case $cmd in
  build) build ;;
  test)
    deb=$(build | tail -n1)
    python3 test/package/test_deb.py "$deb" ;;
  *) usage ;;
esac
