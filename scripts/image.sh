#!/usr/bin/env bash
# Builds the container image from containers/Dockerfile with podman, and tests it against a
# real local cluster (test/image/test_image.py).
#
# usage: scripts/image.sh build [--slurm VERSION] [--base IMAGE] [--tag TAG]
#        scripts/image.sh test  [--slurm VERSION]  (test/image/: the image, then the chart's pods)
#        scripts/image.sh base  (make the local Debian 12 base image, if missing)
#        scripts/image.sh podman ARGS...  (podman with this script's settings)
#
#   --slurm  the Slurm release the image serves (default 22.05, Debian's own packages); another
#            release is built from its tarball, copied from $SLURM_SRC or ../shared/slurm-src
#            into containers/slurm-src/ when it is not there already.
#   --base   the base image (default: localhost/slurm-exporter-base:bookworm-slim, a
#            `debootstrap --variant=minbase bookworm` import made on first use; a user with a
#            registry can pass docker.io/library/debian:12-slim).
#   --tag    default slurm-exporter:<version>-slurm<series>.
#
# podman runs with the settings this machine needs: the runc runtime, cgroupfs, its own storage
# under $IMAGE_STORE (default /var/cache/slurm-exporter/podman, kept between runs so that
# unchanged layers, the Slurm build among them, are reused) and no storage config file.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

store=${IMAGE_STORE:-/var/cache/slurm-exporter/podman}
base_image=localhost/slurm-exporter-base:bookworm-slim
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() { echo "image: error: $*" >&2; exit 1; }
usage() { sed -n '5,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# containers.conf of these runs: ulimits within this machine's hard limits (podman's default
# nofile and nproc exceed them and runc fails with "error setting rlimits"), for podman run and
# for the pods of podman kube play alike.
containers_conf() {
  local n
  n=$(ulimit -Hn)
  mkdir -p "$store"
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=32768:32768"]\n' "$n" "$n" \
    >"$store/containers.conf.new"
  mv "$store/containers.conf.new" "$store/containers.conf"
}
pm() {
  CONTAINERS_CONF=$store/containers.conf podman --root "$store/root" --runroot "$store/run" \
    --runtime runc --cgroup-manager cgroupfs --events-backend file --storage-driver overlay "$@"
}

make_base() {
  if pm image exists "$base_image"; then return 0; fi
  local dir t0
  t0=$(date +%s)
  dir=$(mktemp -d /var/tmp/slurm-exporter-base.XXXXXX)
  trap 'rm -rf "$dir"' RETURN
  echo "image: debootstrap --variant=minbase bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 ||
    { tail -n 20 "$dir.log" >&2; rm -f "$dir.log"; die "debootstrap failed (log above)"; }
  rm -f "$dir.log"
  # Slim, as Debian's own debian:12-slim: no documentation, manuals or translations, now or
  # from packages installed later; no package caches.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' \
    >"$dir/etc/dpkg/dpkg.cfg.d/slim"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* \
    "$dir"/var/log/*.log "$dir"/var/log/apt/*
  tar -C "$dir" -c . | pm import --change 'CMD ["/bin/bash"]' - "$base_image" >/dev/null
  echo "image: base $base_image made in $(($(date +%s) - t0)) s" >&2
}

series_of() { sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"; }

stage_slurm_source() {  # copies VERSION's tarball (and SHA256SUMS) into containers/slurm-src
  local v=$1 src=${SLURM_SRC:-$root/../shared/slurm-src} t
  [ "$(series_of "$v")" = 22.05 ] && return 0
  if ls containers/slurm-src/slurm-"$v"*.tar.* >/dev/null 2>&1; then return 0; fi
  t=$(ls "$src"/slurm-"$v"*.tar.* 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$t" ] || die "no tarball of Slurm $v in containers/slurm-src/ or $src"
  cp "$t" containers/slurm-src/
  [ -e "$src/SHA256SUMS" ] && cp "$src/SHA256SUMS" containers/slurm-src/
  return 0
}

build() {
  local slurm=22.05 base="" tag="" version t0
  while [ $# -gt 0 ]; do
    case $1 in
      --slurm) [ $# -ge 2 ] || usage; slurm=$2; shift 2 ;;
      --base) [ $# -ge 2 ] || usage; base=$2; shift 2 ;;
      --tag) [ $# -ge 2 ] || usage; tag=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  [[ $slurm =~ ^[0-9]{2}\.[0-9]{2}(\.[0-9]+)?$ ]] || die "'$slurm' is not a Slurm release"
  version=$(sed -nE 's/^project\(slurm_exporter VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
  [ -n "$tag" ] || tag=slurm-exporter:$version-slurm$(series_of "$slurm")
  if [ -z "$base" ]; then make_base; base=$base_image; fi
  [ "$(series_of "$slurm")" = 22.05 ] && slurm=22.05
  stage_slurm_source "$slurm"
  t0=$(date +%s)
  pm build --network host --layers \
    --build-arg BASE="$base" --build-arg SLURM_VERSION="$slurm" \
    -f containers/Dockerfile -t "$tag" . >&2
  echo "image: built $tag in $(($(date +%s) - t0)) s, $(pm image inspect --format '{{.Size}}' "$tag" |
    awk '{printf "%.1f MB", $1 / 1e6}')" >&2
  echo "$tag"
}

test_image() {
  local slurm=22.05 tag
  while [ $# -gt 0 ]; do
    case $1 in
      --slurm) [ $# -ge 2 ] || usage; slurm=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  tag=$(build --slurm "$slurm" | tail -n1)
  if [ "$(series_of "$slurm")" != 22.05 ]; then  # the cluster of the tests runs that release
    SLURM_PREFIX=$(scripts/slurm-build.sh "$slurm" | tail -n1)
    export SLURM_PREFIX
  fi
  local rc=0
  IMAGE=$tag IMAGE_PODMAN="$0 podman" python3 test/image/test_image.py || rc=1
  IMAGE=$tag IMAGE_PODMAN="$0 podman" python3 test/image/test_kube.py || rc=1
  return $rc
}

[ $# -ge 1 ] || usage
cmd=$1; shift
[ "$cmd" = podman ] || containers_conf
case $cmd in
  base) scripts/install-deps.sh >&2; make_base ;;
  build) scripts/install-deps.sh >&2; build "$@" ;;
  test) scripts/install-deps.sh >&2; test_image "$@" ;;
  podman) [ -e "$store/containers.conf" ] || containers_conf; pm "$@" ;;
  *) usage ;;
esac
