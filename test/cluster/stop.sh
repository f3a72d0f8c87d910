#!/usr/bin/env bash
# Stops every daemon that test/cluster/start.sh started in DIR, by the pids it recorded
# (TERM, then KILL after a grace period). usage: test/cluster/stop.sh DIR [--purge]
set -uo pipefail
dir=${1:?usage: stop.sh DIR [--purge]}
purge=${2:-}
[ -d "$dir/pids" ] || exit 0
# Job steps outlive slurmd: kill the slurmstepd processes of this cluster (they carry its
# SLURM_CONF in their environment) with everything they started.
descendants() { local c; for c in $(pgrep -P "$1"); do descendants "$c"; echo "$c"; done; }
conf="$dir/etc/slurm.conf"
for p in $(pgrep -f '^slurmstepd' || true); do
  if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$conf"; then
    kill -KILL $(descendants "$p") "$p" 2>/dev/null || true
  fi
done
pids=()
for pat in 'slurmd-*' slurmctld slurmdbd mariadbd munged '*'; do
  for f in "$dir"/pids/$pat.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if kill -0 "$p" 2>/dev/null; then kill -TERM "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; pids+=("$p"); fi
    rm -f "$f"
  done
done
for _ in $(seq 1 100); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
if [ "$purge" = "--purge" ]; then rm -rf "$dir"; fi
exit 0
