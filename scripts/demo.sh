#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a real local Slurm cluster (munged, MariaDB,
# slurmdbd, slurmctld, 4 slurmd + 2 never-started nodes) with some jobs and a drained node, then
# slurm_exporter, slurm_remediator (dry-run), Prometheus (scraping the exporter, with the
# bundled rules) and Alertmanager (routing remediation alerts to the remediator), all on
# loopback. Prints the URLs to open. `scripts/demo.sh stop` stops everything it started, by pid
# (and container id).
#
# --image runs the exporter and the remediator from the container image instead, as the chart
# does: scripts/image.sh builds it with podman, and each daemon runs beside its own munged
# container (non-root, read-only root file system, no capabilities, host network).
#
# usage: scripts/demo.sh [start|stop|status] [--image]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=${DEMO_DIR:-/tmp/slurm-exporter-demo}
exporter_port=${DEMO_EXPORTER_PORT:-9341}
prom_port=${DEMO_PROMETHEUS_PORT:-9090}
am_port=${DEMO_ALERTMANAGER_PORT:-9093}
rem_port=${DEMO_REMEDIATOR_PORT:-9342}
action=start
image=0
for arg in "$@"; do
  case $arg in
    start|stop|status) action=$arg ;;
    --image) image=1 ;;
    *) echo "usage: scripts/demo.sh [start|stop|status] [--image]" >&2; exit 2 ;;
  esac
done

stop_all() {
  for f in "$demo"/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); kill -TERM "$p" 2>/dev/null || true; rm -f "$f"
  done
  for f in "$demo"/containers/*.id; do
    [ -f "$f" ] || continue
    scripts/image.sh podman rm -f -t 5 "$(cat "$f")" >/dev/null 2>&1 || true; rm -f "$f"
  done
  [ -d "$demo/cluster" ] && test/cluster/stop.sh "$demo/cluster"
  return 0
}
status() {
  for f in "$demo"/pids/*.pid "$demo"/cluster/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    if kill -0 "$p" 2>/dev/null; then s=running; else s=dead; fi
    printf '  %-14s pid %-8s %s\n' "$(basename "$f" .pid)" "$p" "$s"
  done
  for f in "$demo"/containers/*.id; do
    [ -f "$f" ] || continue
    s=$(scripts/image.sh podman inspect --format '{{.State.Status}}' "$(cat "$f")" 2>/dev/null || echo gone)
    printf '  %-14s ctr %-8s %s\n' "$(basename "$f" .id)" "$(cut -c1-8 "$f")" "$s"
  done
}
case "$action" in
  stop) stop_all; echo "demo stopped"; exit 0 ;;
  status) status; exit 0 ;;
  start) ;;
esac

scripts/install-deps.sh
if [ "$image" = 1 ]; then
  tag=$(scripts/image.sh build | tail -n1)
else
  cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_TESTS=OFF >/dev/null
  cmake --build build/demo -j"$(nproc)" --target slurm_exporter slurm_remediator
fi

stop_all
rm -rf "$demo"
mkdir -p "$demo"/{pids,log,prometheus,alertmanager,remediator,containers}
test/cluster/start.sh --dir "$demo/cluster" --ghost-nodes 2 >/dev/null
# shellcheck disable=SC1091
source "$demo/cluster/env"

# Some life in the cluster: an allocated node, a mixed node, a drained node, pending jobs.
(
  cd "$demo"
  sbatch -Q -o /dev/null -p normal --exclusive -w n1 --wrap 'sleep 3600'
  sbatch -Q -o /dev/null -p normal -n1 -w n2 --wrap 'sleep 3600'
  sbatch -Q -o /dev/null -p debug -H --wrap 'sleep 60'
  sbatch -Q -o /dev/null -p gpu --gres=gpu:1 --wrap 'sleep 3600'
  scontrol update NodeName=n4 State=DRAIN Reason="demo: disk check"
) || echo "demo: could not create the demo jobs (the cluster still runs)" >&2

start_bg() {  # start_bg NAME CMD...
  local name=$1; shift
  setsid "$@" >"$demo/log/$name.log" 2>&1 </dev/null &
  echo $! >"$demo/pids/$name.pid"
}
# The image's way: slurm.conf naming munged's socket in /run/munge, the cluster's key owned by
# the containers' user (65534), a munged container per daemon sharing only its socket folder.
container_setup() {
  mkdir -p "$demo/image/etc" "$demo/image/munge"
  sed "s#$MUNGE_SOCKET#/run/munge/munge.socket.2#g" "$SLURM_CONF" >"$demo/image/etc/slurm.conf"
  cp "$(dirname "$SLURM_CONF")/gres.conf" "$demo/image/etc/" 2>/dev/null || true
  chmod 0755 "$demo/image/etc"; chmod 0644 "$demo/image/etc"/*
  install -o 65534 -g 65534 -m 0400 "$demo/cluster/munge/munge.key" "$demo/image/munge/munge.key"
  chown 65534:65534 "$demo/image/munge"
  # The remediator container's user acts in Slurm: AdminLevel=Admin (dry run here anyway).
  sacctmgr -i add user nobody account=root adminlevel=admin >/dev/null 2>&1 || true
}
run_container() {  # run_container NAME ENTRYPOINT ARGS... (with $mounts)
  local name=$1 entry=$2; shift 2
  scripts/image.sh podman run -d --name "slurm-exporter-demo-$name" --network host --read-only \
    --user 65534:65534 --cap-drop ALL --security-opt no-new-privileges --tmpfs /tmp \
    "${mounts[@]}" --entrypoint "$entry" "$tag" "$@" >"$demo/containers/$name.id"
}
start_munged() {  # start_munged NAME: a munged container; its socket folder in $demo/image/NAME
  local run="$demo/image/$1" lib="$demo/image/$1-lib"
  mkdir -p "$run" "$lib"; chown 65534:65534 "$run" "$lib"
  mounts=(-v "$demo/image/munge:/etc/munge:ro" -v "$run:/run/munge" -v "$lib:/var/lib/munge")
  run_container "$1" munged --foreground --force --key-file=/etc/munge/munge.key \
    --socket=/run/munge/munge.socket.2 --seed-file=/var/lib/munge/munged.seed \
    --pid-file=/run/munge/munged.pid --log-file=/dev/stderr
}
if [ "$image" = 1 ]; then
  container_setup
  start_munged munged
  mounts=(-v "$demo/image/etc:/etc/slurm:ro" -v "$demo/image/munged:/run/munge:ro")
  run_container slurm_exporter slurm_exporter --web.listen-address="127.0.0.1:$exporter_port" \
    --slurm.conf=/etc/slurm/slurm.conf --slurm.poll-interval=5s
else
  start_bg slurm_exporter "$root/build/demo/slurm_exporter" \
    --web.listen-address="127.0.0.1:$exporter_port" --slurm.poll-interval=5s
fi

# The remediator in dry-run: it decides and audits, and changes nothing in Slurm.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/remediator/token"
chmod 0600 "$demo/remediator/token"
cat >"$demo/remediator/policy.json" <<JSON
{
  "dry_run": true,
  "rules": [{"alertname": "SLURMNodeNotResponding", "matchers": {"remediation": "drain"}}],
  "max_drained_nodes": 2,
  "max_drained_fraction": 0.5,
  "rate_limit": {"drains": 5, "window_seconds": 600}
}
JSON
if [ "$image" = 1 ]; then
  chown -R 65534:65534 "$demo/remediator"
  mounts=(-v "$demo/image/etc:/etc/slurm:ro" -v "$demo/image/munged:/run/munge:ro"
          -v "$demo/remediator:/var/lib/slurm-remediator")
  run_container slurm_remediator slurm_remediator \
    --policy.file=/var/lib/slurm-remediator/policy.json \
    --audit.log=/var/lib/slurm-remediator/audit.jsonl --slurm.conf=/etc/slurm/slurm.conf \
    --web.listen-address="127.0.0.1:$rem_port" \
    --web.auth-token-file=/var/lib/slurm-remediator/token
else
  start_bg slurm_remediator "$root/build/demo/slurm_remediator" \
    --policy.file="$demo/remediator/policy.json" --audit.log="$demo/remediator/audit.jsonl" \
    --web.listen-address="127.0.0.1:$rem_port" --web.auth-token-file="$demo/remediator/token"
fi

rules=""
for f in "$root"/alerts/rules/*.yaml; do [ -f "$f" ] && rules="$rules    - $f"$'\n'; done
cat >"$demo/prometheus/prometheus.yml" <<YML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
  external_labels:
    cluster: democluster
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$am_port']
rule_files:
${rules:-    []}
scrape_configs:
  - job_name: slurm
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
YML
cat >"$demo/alertmanager/alertmanager.yml" <<YML
route:
  receiver: default
  group_by: [alertname, node]
  group_wait: 5s
  group_interval: 10s
  repeat_interval: 1h
  routes:
    - receiver: slurm-remediator
      matchers: ['remediation="drain"']
      continue: true
receivers:
  - name: default
  - name: slurm-remediator
    webhook_configs:
      - url: http://127.0.0.1:$rem_port/api/v1/alerts
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: $demo/remediator/token
YML
start_bg alertmanager prometheus-alertmanager --config.file="$demo/alertmanager/alertmanager.yml" \
  --storage.path="$demo/alertmanager/data" --web.listen-address="127.0.0.1:$am_port" \
  --cluster.listen-address=
start_bg prometheus prometheus --config.file="$demo/prometheus/prometheus.yml" \
  --storage.tsdb.path="$demo/prometheus/data" --web.listen-address="127.0.0.1:$prom_port"

for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$exporter_port/-/ready" >/dev/null && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$exporter_port/-/ready" >/dev/null \
  || { echo "demo: exporter not ready; see $demo/log/slurm_exporter.log" \
       "(--image: scripts/image.sh podman logs slurm-exporter-demo-slurm_exporter)" >&2; exit 1; }

cat <<TXT

Slurm demo cluster and monitoring are running (state in $demo)$([ "$image" = 1 ] && echo ", the exporter and the remediator from the image $tag"):
  slurm_exporter  http://127.0.0.1:$exporter_port/metrics
  remediator      http://127.0.0.1:$rem_port/metrics  (dry-run; status: curl -H "Authorization: Bearer \$(cat $demo/remediator/token)" http://127.0.0.1:$rem_port/api/v1/status)
  Prometheus      http://127.0.0.1:$prom_port/
  Alertmanager    http://127.0.0.1:$am_port/
  Slurm CLI       export SLURM_CONF=$SLURM_CONF; sinfo; squeue
Stop it all with: scripts/demo.sh stop
TXT
curl -s "http://127.0.0.1:$exporter_port/metrics" | grep -E '^slurm_(up|nodes_(idle|mixed|allocated|drained|down|unknown)|nodes) '
