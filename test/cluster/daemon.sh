#!/usr/bin/env bash
# Stops, starts, freezes or thaws one daemon of a cluster made by start.sh, by its recorded pid
# and command line. usage: test/cluster/daemon.sh DIR stop|kill|start|restart|freeze|thaw|pid NAME
#                          test/cluster/daemon.sh DIR upgrade NAME PREFIX
# (kill: SIGKILL, as in a crash; stop: SIGTERM, then SIGKILL after 10 s; upgrade: stop, then
# start the same daemon from the Slurm installed in PREFIX, with the same configuration and
# state, as an in-place upgrade does.)
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
  upgrade)
    new=${4:?usage: daemon.sh DIR upgrade NAME PREFIX}
    [ -x "$new/sbin/slurmctld" ] || { echo "daemon.sh: $new is not a Slurm installation" >&2; exit 2; }
    stop
    sed -i -E "s#[^ ]*/sbin/(slurm[a-z]*) #$new/sbin/\\1 #" "$cmdf"
    start ;;
  *) echo "daemon.sh: unknown action '$action'" >&2; exit 2 ;;
esac
