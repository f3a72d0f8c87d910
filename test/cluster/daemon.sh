#!/usr/bin/env bash
# Stops, starts, freezes or thaws one daemon of a cluster made by start.sh, by its recorded pid
# and command line. usage: test/cluster/daemon.sh DIR stop|kill|start|restart|freeze|thaw|pid NAME
# (kill: SIGKILL, as in a crash; stop: SIGTERM, then SIGKILL after 10 s).
# NAME: munged, mariadbd, slurmdbd, slurmctld, slurmd-nN.
set -euo pipefail
dir=${1:?usage: daemon.sh DIR ACTION NAME}
action=${2:?usage: daemon.sh DIR ACTION NAME}
name=${3:?usage: daemon.sh DIR ACTION NAME}
pidf="$dir/pids/$name.pid"
cmdf="$dir/cmd/$name.cmd"
alive() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
stop() {
  alive || { rm -f "$pidf"; return 0; }
  local p; p=$(cat "$pidf")
  kill -TERM "$p" 2>/dev/null || true
  kill -CONT "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidf"
}
start() {
  alive && { echo "daemon.sh: $name already running" >&2; return 0; }
  [ -f "$cmdf" ] || { echo "daemon.sh: no recorded command for $name" >&2; exit 1; }
  # shellcheck disable=SC2046
  eval "setsid $(cat "$cmdf") >>\"$dir/log/$name.out\" 2>&1 </dev/null &"
  echo $! >"$pidf"
}
case "$action" in
  stop) stop ;;
  start) start ;;
  restart) stop; start ;;
  kill) alive && { p=$(cat "$pidf"); kill -KILL "$p"; for _ in $(seq 1 50); do
      kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; rm -f "$pidf"; } ;;  # a crash
  freeze) alive && kill -STOP "$(cat "$pidf")" ;;
  thaw) alive && kill -CONT "$(cat "$pidf")" ;;
  pid) alive && cat "$pidf" ;;
  *) echo "daemon.sh: unknown action '$action'" >&2; exit 2 ;;
esac
