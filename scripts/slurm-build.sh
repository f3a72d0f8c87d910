#!/usr/bin/env bash
# Builds one Slurm release from source into a cache prefix outside the repository: libslurm,
# libslurmfull, the plugins, slurmctld, slurmd, slurmdbd and the client commands.
#
# usage: scripts/slurm-build.sh [--source DIR|TARBALL] [--cache DIR] [--quiet] VERSION
#        scripts/slurm-build.sh --prefix VERSION      (print where VERSION is or would be built)
#
#   VERSION   a release ("24.11.7") or a series ("24.11": the newest release of that series in
#             the source folder). "22.05" is Debian 12's packaged Slurm: nothing is built, /usr.
#   --source  a folder of release tarballs (default $SLURM_SRC, else ../shared/slurm-src next to
#             the repository), or one tarball (slurm-X.Y.Z.tar.bz2|.tar.xz|.tar.gz, e.g. SchedMD's
#             own download). A SHA256SUMS file beside the tarball is checked when present.
#   --cache   where prefixes live (default $SLURM_CACHE, else /var/cache/slurm-exporter/slurm).
#
# The last line on stdout is the prefix; everything else goes to stderr. Idempotent: a release
# already in the cache is not rebuilt. A failing step removes everything it made: a prefix in
# the cache is complete (it holds .slurm-build-complete) or absent.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
source_arg=${SLURM_SRC:-$here/../shared/slurm-src}
cache=${SLURM_CACHE:-/var/cache/slurm-exporter/slurm}
quiet=0
print_prefix=0
version=""

die() { echo "slurm-build: error: $*" >&2; exit 1; }
usage() {
  sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --source) [ $# -ge 2 ] || usage; source_arg=$2; shift 2 ;;
    --source=*) source_arg=${1#*=}; shift ;;
    --cache) [ $# -ge 2 ] || usage; cache=$2; shift 2 ;;
    --cache=*) cache=${1#*=}; shift ;;
    --quiet) quiet=1; shift ;;
    --prefix) print_prefix=1; shift ;;
    -h|--help) usage ;;
    -*) echo "slurm-build: unknown option $1" >&2; usage ;;
    *) [ -z "$version" ] || usage; version=$1; shift ;;
  esac
done
[ -n "$version" ] || usage
[[ $version =~ ^[0-9]{2}\.[0-9]{2}(\.[0-9]+)?$ ]] || die "'$version' is not a Slurm release (X.Y or X.Y.Z)"

if [ "$version" = 22.05 ] || [[ $version == 22.05.* ]]; then
  # Debian 12's own packages (scripts/install-deps.sh installs them).
  [ -e /usr/include/slurm/slurm_version.h ] || die "Debian's libslurm-dev is not installed (scripts/install-deps.sh)"
  echo /usr
  exit 0
fi

# --- a release already in the cache needs no source ------------------------------------------
if [ "$print_prefix" = 0 ]; then
  if [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    done_stamp=$cache/$version/.slurm-build-complete
  else
    done_stamp=$(ls -d "$cache/$version".*/.slurm-build-complete 2>/dev/null | sort -V | tail -n1 || true)
  fi
  if [ -n "$done_stamp" ] && [ -f "$done_stamp" ] && [ ! -e "$source_arg" ]; then
    echo "slurm-build: $(basename "$(dirname "$done_stamp")") already built in $cache (no source needed)" >&2
    dirname "$done_stamp"
    exit 0
  fi
fi

# --- find the tarball --------------------------------------------------------------------------
tarball=""
if [ -f "$source_arg" ]; then
  tarball=$source_arg
elif [ -d "$source_arg" ]; then
  if [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    tarball=$(ls "$source_arg"/slurm-"$version".tar.* 2>/dev/null | head -n1 || true)
  else
    tarball=$(ls "$source_arg"/slurm-"$version".*.tar.* 2>/dev/null | sort -V | tail -n1 || true)
  fi
  [ -n "$tarball" ] || die "no slurm-$version tarball in $source_arg (give one with --source)"
else
  die "source $source_arg does not exist (give a folder of tarballs or a tarball with --source)"
fi
base=$(basename "$tarball")
[[ $base =~ ^slurm-([0-9]+\.[0-9]+\.[0-9]+)(-[0-9]+)?\.tar\.(xz|bz2|gz)$ ]] ||
  die "$base is not named like a Slurm release tarball (slurm-X.Y.Z.tar.xz|bz2|gz)"
release=${BASH_REMATCH[1]}
case $version in *.*.*) [ "$release" = "$version" ] || die "$base is release $release, not $version" ;;
  *) [[ $release == "$version".* ]] || die "$base is release $release, not of series $version" ;;
esac
prefix=$cache/$release
stamp=$prefix/.slurm-build-complete

if [ "$print_prefix" = 1 ]; then echo "$prefix"; exit 0; fi
if [ -f "$stamp" ]; then
  [ "$quiet" = 1 ] || echo "slurm-build: $release already built in $prefix" >&2
  echo "$prefix"
  exit 0
fi

# --- checksum ----------------------------------------------------------------------------------
sums=$(dirname "$tarball")/SHA256SUMS
if [ -f "$sums" ]; then
  want=$(awk -v f="$base" '$2 == f || $2 == "*" f {print $1}' "$sums")
  [ -n "$want" ] || die "$sums has no line for $base"
  got=$(sha256sum "$tarball" | cut -d' ' -f1)
  [ "$got" = "$want" ] || die "checksum mismatch for $tarball: SHA256SUMS says $want, the file is $got (corrupt or altered download)"
  echo "slurm-build: $base matches SHA256SUMS" >&2
else
  echo "slurm-build: warning: no SHA256SUMS beside $tarball, checksum not verified" >&2
fi

# --- build dependencies --------------------------------------------------------------------------
need=()
for p in build-essential libmunge-dev libmariadb-dev xz-utils bzip2 python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing build packages (${need[*]}); install them as root"
  echo "slurm-build: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# --- build, install into a staging tree, then move into place ----------------------------------
mkdir -p "$cache"
exec 9>"$cache/.lock-$release"
flock 9
if [ -f "$stamp" ]; then echo "$prefix"; exit 0; fi  # built while we waited for the lock
# What an interrupted run left (we hold the lock: nobody else is building this release).
rm -rf "$prefix" "$cache/.build-$release".*
work=$(mktemp -d "$cache/.build-$release.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
log=$work/build.log
start=$(date +%s)
run() {  # run STEP CMD...: output to the log, the log's tail on failure
  local step=$1; shift
  [ "$quiet" = 1 ] || echo "slurm-build: $release: $step" >&2
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "$step of Slurm $release failed (last lines above); nothing was installed in $cache"
  fi
}
run "unpack $base" tar -xf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'slurm-*' | head -n1)
[ -n "$src" ] && [ -x "$src/configure" ] || die "$base holds no slurm-*/configure"
cd "$src"
# The plugins, the daemons and the commands; no slurmrestd (needs http-parser and json-c) and
# no static libraries (halves the compile time); several slurmd on one host (slurmd -N), as the
# test clusters run them. PluginDir, the rpath of the commands and slurm.conf's default
# location all point inside the prefix.
run configure ./configure --prefix="$prefix" --sysconfdir="$prefix/etc" --disable-debug \
  --disable-static --disable-slurmrestd --enable-multiple-slurmd --with-munge=/usr \
  --with-mysql_config=/usr/bin
run "make -j$(nproc)" make -j"$(nproc)"
run "make install" make install DESTDIR="$work/stage"
[ -f "$work/stage$prefix/lib/slurm/accounting_storage_mysql.so" ] ||
  die "the build has no accounting_storage/mysql plugin (is libmariadb-dev installed?)"
[ -f "$work/stage$prefix/lib/slurm/libslurmfull.so" ] || die "the build has no libslurmfull.so"
touch "$work/stage$prefix/.slurm-build-complete"
mv "$work/stage$prefix" "$prefix"
secs=$(( $(date +%s) - start ))
echo "slurm-build: built Slurm $release into $prefix in ${secs}s" >&2
echo "$prefix"
