#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts a real local Slurm cluster (munged, MariaDB,
# slurmdbd, slurmctld, 4 slurmd + 2 never-started nodes) with some jobs and a drained node, then
# slurm_exporter, slurm_remediator (dry-run), Prometheus (scraping the exporter, with the
# bundled rules) and Alertmanager (routing remediation alerts to the remediator), all on
# loopback. Prints the URLs to open. `scripts/demo.sh stop` stops everything it started, by pid.
#
# usage: scripts/demo.sh [start|stop|status]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo=${DEMO_DIR:-/tmp/slurm-exporter-demo}
exporter_port=${DEMO_EXPORTER_PORT:-9341}
prom_port=${DEMO_PROMETHEUS_PORT:-9090}
am_port=${DEMO_ALERTMANAGER_PORT:-9093}
rem_port=${DEMO_REMEDIATOR_PORT:-9342}
action=${1:-start}

stop_all() {
  for f in "$demo"/pids/*.pid; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); kill -TERM "$p" 2>/dev/null || true; rm -f "$f"
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
}
case "$action" in
  stop) stop_all; echo "demo stopped"; exit 0 ;;
  status) status; exit 0 ;;
  start) ;;
  *) echo "usage: scripts/demo.sh [start|stop|status]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLURM_EXPORTER_TESTS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" --target slurm_exporter slurm_remediator

stop_all
rm -rf "$demo"
mkdir -p "$demo"/{pids,log,prometheus,alertmanager,remediator}
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
start_bg slurm_exporter "$root/build/demo/slurm_exporter" \
  --web.listen-address="127.0.0.1:$exporter_port" --slurm.poll-interval=5s

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
start_bg slurm_remediator "$root/build/demo/slurm_remediator" \
  --policy.file="$demo/remediator/policy.json" --audit.log="$demo/remediator/audit.jsonl" \
  --web.listen-address="127.0.0.1:$rem_port" --web.auth-token-file="$demo/remediator/token"

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
  || { echo "demo: exporter not ready; see $demo/log/slurm_exporter.log" >&2; exit 1; }

cat <<TXT

Slurm demo cluster and monitoring are running (state in $demo):
  slurm_exporter  http://127.0.0.1:$exporter_port/metrics
  remediator      http://127.0.0.1:$rem_port/metrics  (dry-run; status: curl -H "Authorization: Bearer \$(cat $demo/remediator/token)" http://127.0.0.1:$rem_port/api/v1/status)
  Prometheus      http://127.0.0.1:$prom_port/
  Alertmanager    http://127.0.0.1:$am_port/
  Slurm CLI       export SLURM_CONF=$SLURM_CONF; sinfo; squeue
Stop it all with: scripts/demo.sh stop
TXT
curl -s "http://127.0.0.1:$exporter_port/metrics" | grep -E '^slurm_(up|nodes_(idle|mixed|allocated|drained|down|unknown)|nodes) '
