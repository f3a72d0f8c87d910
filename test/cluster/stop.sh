#!/usr/bin/env bash
# Stops every daemon that test/cluster/start.sh started in DIR, by the pids it recorded
# (TERM, then KILL after a grace period). usage: test/cluster/stop.sh DIR [--purge]
set -uo pipefail
dir=${1:?usage: stop.sh DIR [--purge]}
purge=${2:-}
[ -d "$dir/pids" ] || exit 0
order="slurmd-* slurmctld slurmdbd mariadbd munged"
pids=()
for pat in $order; do
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
