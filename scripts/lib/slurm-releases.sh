# Slurm release series and their protocol window, for scripts/test.sh and
# scripts/test-versions.sh (sourced, not run).
SLURM_SERIES=(22.05 23.02 23.11 24.05 24.11 25.05 25.11 26.05)

# The protocol number of a series (src/common/slurm_protocol_common.h): 38 for 22.05, ...
slurm_proto() {
  local i
  for i in "${!SLURM_SERIES[@]}"; do [ "${SLURM_SERIES[$i]}" = "$1" ] && echo $((38 + i)); done
}

# Whether a server of series $1 accepts clients of series $2: not newer, and no more than two
# (three from 24.11 on) releases older.
slurm_accepts() {
  local s c back
  s=$(slurm_proto "$1"); c=$(slurm_proto "$2")
  back=2; [ "$s" -ge 42 ] && back=3
  [ "$c" -le "$s" ] && [ "$c" -ge $((s - back)) ]
}

# The prefix of a series already built (22.05: Debian's, in /usr), or nothing (status 1).
# $SLURM_CROSS_SERIES, when set, limits the series that count (CI sets it, so that its
# cross-release tests are the same whatever else the machine has built).
slurm_cached() {
  local p
  if [ -n "${SLURM_CROSS_SERIES:-}" ] && [[ " $SLURM_CROSS_SERIES " != *" $1 "* ]]; then
    return 1
  fi
  if [ "$1" = 22.05 ]; then echo /usr; return 0; fi
  p=$(ls -d "${SLURM_CACHE:-/var/cache/slurm-exporter/slurm}/$1".*/.slurm-build-complete \
        2>/dev/null | sort -V | tail -n1)
  [ -n "$p" ] || return 1
  dirname "$p"
}

# CMake settings of the cross-release e2e scenarios for a build of series $1, from what is
# built: clusters refusing its protocol (the nearest older series; the newest series, and the
# first newer one past its window) and the nearest newer series that still accepts it, to
# upgrade to.
cross_release_args() {
  local v=$1 i idx=-1 skew=() up="" p
  for i in "${!SLURM_SERIES[@]}"; do [ "${SLURM_SERIES[$i]}" = "$v" ] && idx=$i; done
  [ "$idx" -ge 0 ] || return 0
  for ((i = idx - 1; i >= 0; i--)); do
    if p=$(slurm_cached "${SLURM_SERIES[$i]}"); then skew+=("$p"); break; fi
  done
  local first="" newest=""
  for ((i = idx + 1; i < ${#SLURM_SERIES[@]}; i++)); do
    p=$(slurm_cached "${SLURM_SERIES[$i]}") || continue
    if slurm_accepts "${SLURM_SERIES[$i]}" "$v"; then
      [ -n "$up" ] || up=$p
    else
      [ -n "$first" ] || first=$p
      newest=$p
    fi
  done
  [ -z "$first" ] || skew+=("$first")
  [ -z "$newest" ] || [ "$newest" = "$first" ] || skew+=("$newest")
  local IFS=';'
  echo "-DSLURM_EXPORTER_E2E_SKEW_PREFIXES=${skew[*]}"
  echo "-DSLURM_EXPORTER_E2E_UPGRADE_TO=$up"
}
