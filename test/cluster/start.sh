#!/usr/bin/env bash
# Starts a real Slurm cluster on this machine, all state in one directory, loopback only:
#   munged (own key and socket), MariaDB (own datadir, socket, port), slurmdbd, slurmctld,
#   and one slurmd per compute node (slurmd -N NAME), plus optional never-started nodes.
#
# usage: test/cluster/start.sh [--dir DIR] [--nodes N] [--ghost-nodes N] [--no-db] [--port-base P]
#                              [--max-jobs N]   (MaxJobCount, default 10000)
#                              [--priority basic|multifactor] (default: the release's own;
#                                                multifactor: usage recomputed every minute,
#                                                never decayed, association limits enforced)
#                              [--slurm PREFIX] (a Slurm built by scripts/slurm-build.sh;
#                                                default $SLURM_PREFIX, else Debian's in /usr)
#
# Writes DIR/env (source it: SLURM_CONF, CLUSTER_DIR, ports, pids) and prints DIR.
# Every daemon runs in the foreground under setsid; its pid is recorded in DIR/pids/NAME.pid and
# test/cluster/stop.sh DIR stops exactly those pids.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=""
nodes=4
ghosts=0
with_db=1
port_base=""
max_jobs=10000
priority=""
prefix=${SLURM_PREFIX:-/usr}
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --ghost-nodes) ghosts=$2; shift 2 ;;
    --no-db) with_db=0; shift ;;
    --port-base) port_base=$2; shift 2 ;;
    --max-jobs) max_jobs=$2; shift 2 ;;
    --priority) priority=$2; shift 2 ;;
    --slurm) prefix=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "start.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$priority" in ""|basic|multifactor) ;; *) echo "start.sh: --priority basic|multifactor" >&2; exit 2 ;; esac
[ "$nodes" -ge 4 ] || { echo "start.sh: --nodes must be >= 4 (partitions need n1..n4)" >&2; exit 2; }
# The daemons and commands of that Slurm, by absolute path (recorded commands restart the same
# binaries whatever PATH the caller has); its commands first on PATH for the scripts here.
prefix=$(cd "$prefix" && pwd) || { echo "start.sh: no Slurm prefix $prefix" >&2; exit 2; }
for b in sbin/slurmctld sbin/slurmd bin/sinfo bin/scontrol; do
  [ -x "$prefix/$b" ] || { echo "start.sh: $prefix/$b missing: not a Slurm installation (scripts/slurm-build.sh)" >&2; exit 2; }
done
export PATH="$prefix/bin:$prefix/sbin:$PATH"
vnum=$(sed -n 's/^#define SLURM_VERSION_NUMBER *//p' "$prefix/include/slurm/slurm_version.h" 2>/dev/null)
[ -n "$vnum" ] || { echo "start.sh: no $prefix/include/slurm/slurm_version.h (libslurm-dev)" >&2; exit 2; }
slurm_version=$(printf '%d.%02d.%d' $((vnum >> 16)) $(((vnum >> 8) & 255)) $((vnum & 255)))
[ -n "$dir" ] || dir=$(mktemp -d /tmp/slurm-cluster.XXXXXX)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 0755 "$dir"

# A free block of ports: pick a base where none of the first few ports is listened on.
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q . ; }
if [ -z "$port_base" ]; then
  for _ in $(seq 1 50); do
    cand=$(( 20000 + (RANDOM % 120) * 100 ))
    busy=0
    for off in 0 1 2 $(seq 10 $((10 + nodes))); do
      if port_in_use $((cand + off)); then busy=1; break; fi
    done
    [ $busy = 0 ] && { port_base=$cand; break; }
  done
fi
[ -n "$port_base" ] || { echo "start.sh: no free port block found" >&2; exit 1; }
ctld_port=$port_base
dbd_port=$((port_base + 1))
db_port=$((port_base + 2))
ghost_port=$((port_base + 9))   # nobody listens there: ghost nodes never answer

mkdir -p "$dir"/{etc,log,run,pids,state,spool,munge,db,dev}
chmod 0755 "$dir/munge"
host=$(hostname -s)
cluster=democluster

log() { echo "start.sh: $*" >&2; }
fail() {
  echo "start.sh: ERROR: $*" >&2
  for f in "$dir"/log/*.log; do [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -n 15 "$f" >&2; }; done
  "$here/stop.sh" "$dir" >&2 || true
  exit 1
}
# run NAME CMD...: start CMD in its own session, record the pid.
run() {
  local name=$1; shift
  mkdir -p "$dir/cmd"
  printf '%q ' "$@" >"$dir/cmd/$name.cmd"
  setsid "$@" >>"$dir/log/$name.out" 2>&1 < /dev/null &
  echo $! >"$dir/pids/$name.pid"
}
wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

t0=$(date +%s.%N)

# --- munge -------------------------------------------------------------------------------
sock="$dir/munge/munge.socket"
mungekey --create --keyfile="$dir/munge/munge.key" --force >/dev/null 2>&1 \
  || fail "mungekey failed"
chmod 0600 "$dir/munge/munge.key"
run munged munged --foreground --force --socket="$sock" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed"
wait_for 10 munged test -S "$sock"

# --- MariaDB -----------------------------------------------------------------------------
dbsock="$dir/db/mysqld.sock"
if [ $with_db = 1 ]; then
  mariadb-install-db --no-defaults --datadir="$dir/db/data" --user=root \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/log/mariadb-install.log" 2>&1 \
    || fail "mariadb-install-db failed"
  run mariadbd mariadbd --no-defaults --datadir="$dir/db/data" --user=root --socket="$dbsock" \
    --port="$db_port" --bind-address=127.0.0.1 --skip-name-resolve \
    --pid-file="$dir/run/mariadbd.pid" --log-error="$dir/log/mariadbd.log" \
    --innodb-buffer-pool-size=32M --max-connections=100
  wait_for 30 MariaDB mariadb --no-defaults --socket="$dbsock" -uroot -e 'SELECT 1'
  mariadb --no-defaults --socket="$dbsock" -uroot <<SQL || fail "MariaDB user setup failed"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpass';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'exporter'@'127.0.0.1' IDENTIFIED BY 'exporterpass';
CREATE USER IF NOT EXISTS 'exporter'@'localhost' IDENTIFIED BY 'exporterpass';
GRANT PROCESS ON *.* TO 'exporter'@'127.0.0.1';
GRANT PROCESS ON *.* TO 'exporter'@'localhost';
FLUSH PRIVILEGES;
SQL
  cat >"$dir/etc/exporter-my.cnf" <<CNF
[client]
user=exporter
password=exporterpass
host=127.0.0.1
port=$db_port
CNF
  chmod 0600 "$dir/etc/exporter-my.cnf"
fi

# --- fake GPUs (gres/gpu drops devices without a file) -----------------------------------
for g in 0 1; do [ -e "$dir/dev/gpu$g" ] || mknod "$dir/dev/gpu$g" c 1 3; done

# --- slurm.conf ----------------------------------------------------------------------------
conf="$dir/etc/slurm.conf"
{
  echo "ClusterName=$cluster"
  echo "SlurmctldHost=$host(127.0.0.1)"
  echo "SlurmctldPort=$ctld_port"
  echo "SlurmUser=root"
  echo "SlurmdUser=root"
  echo "AuthType=auth/munge"
  echo "AuthInfo=socket=$sock"
  echo "CredType=cred/munge"
  echo "CommunicationParameters=NoInAddrAny"
  echo "StateSaveLocation=$dir/state"
  echo "SlurmdSpoolDir=$dir/spool/%n"
  echo "SlurmctldPidFile=$dir/run/slurmctld.pid"
  echo "SlurmdPidFile=$dir/run/slurmd-%n.pid"
  echo "SlurmctldLogFile=$dir/log/slurmctld.log"
  echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
  echo "SlurmctldDebug=info"
  echo "SlurmdDebug=info"
  echo "ProctrackType=proctrack/linuxproc"
  echo "JobAcctGatherType=jobacct_gather/linux"
  echo "JobAcctGatherFrequency=30"
  echo "SelectType=select/cons_tres"
  echo "SelectTypeParameters=CR_Core_Memory"
  echo "DefMemPerCPU=500"
  echo "SchedulerType=sched/backfill"
  echo "ReturnToService=2"
  echo "SlurmdParameters=config_overrides"
  echo "SlurmdTimeout=10"
  echo "SlurmctldTimeout=10"
  echo "MessageTimeout=5"
  echo "InactiveLimit=0"
  echo "MinJobAge=30"
  echo "MaxJobCount=$max_jobs"
  echo "KillWait=2"
  echo "MpiDefault=none"
  echo "GresTypes=gpu"
  echo "Licenses=matlab:10"
  echo "MailProg=/bin/true"
  echo "PrologFlags=Alloc"
  if [ "$priority" = basic ]; then
    echo "PriorityType=priority/basic"
  elif [ "$priority" = multifactor ]; then
    # Usage that a test can compare: recomputed every minute (the shortest period), and no
    # decay, so that it holds still once no job runs.
    echo "PriorityType=priority/multifactor"
    echo "PriorityCalcPeriod=1"
    echo "PriorityDecayHalfLife=0"
    echo "PriorityUsageResetPeriod=NONE"
    echo "PriorityWeightFairshare=10000"
    # slurmctld counts usage against GrpTRES/GrpJobs only where it enforces limits.
    [ $with_db = 1 ] && echo "AccountingStorageEnforce=associations,limits"
  fi
  if [ $with_db = 1 ]; then
    echo "AccountingStorageType=accounting_storage/slurmdbd"
    echo "AccountingStorageHost=127.0.0.1"
    echo "AccountingStoragePort=$dbd_port"
    echo "AccountingStoragePass=$sock"
    echo "AccountingStorageTRES=gres/gpu"
  fi
  for i in $(seq 1 "$nodes"); do
    gres=""
    # n3's GPUs are untyped, n4's are typed (gpu:a100:2), as sites name models.
    if [ "$i" = 3 ]; then gres=" Gres=gpu:2"; fi
    if [ "$i" = 4 ]; then gres=" Gres=gpu:a100:2"; fi
    echo "NodeName=n$i NodeHostname=n$i NodeAddr=127.0.0.1 Port=$((port_base + 10 + i)) CPUs=4 RealMemory=4000$gres State=UNKNOWN"
  done
  if [ "$ghosts" -gt 0 ]; then
    echo "NodeName=ghost[1-$ghosts] NodeAddr=127.0.0.1 Port=$ghost_port CPUs=4 RealMemory=4000 State=UNKNOWN"
  fi
  all="n[1-$nodes]"
  echo "PartitionName=normal Nodes=$all Default=YES MaxTime=1-00:00:00 State=UP"
  echo "PartitionName=debug Nodes=n[1-2] MaxTime=01:00:00 State=UP"
  echo "PartitionName=gpu Nodes=n[3-4] MaxTime=2-00:00:00 State=UP"
  if [ "$ghosts" -gt 0 ]; then
    echo "PartitionName=ghost Nodes=ghost[1-$ghosts] MaxTime=01:00:00 State=UP"
  fi
} >"$conf"
cat >"$dir/etc/gres.conf" <<GRES
NodeName=n3 Name=gpu File=$dir/dev/gpu[0-1]
NodeName=n4 Name=gpu Type=a100 File=$dir/dev/gpu[0-1]
GRES
if [ $with_db = 1 ]; then
  cat >"$dir/etc/slurmdbd.conf" <<DBD
DbdAddr=127.0.0.1
DbdHost=localhost
DbdPort=$dbd_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=slurmpass
StorageLoc=slurm_acct_db
LogFile=$dir/log/slurmdbd.log
PidFile=$dir/run/slurmdbd.pid
DebugLevel=info
DBD
  chmod 0600 "$dir/etc/slurmdbd.conf"
fi
export SLURM_CONF="$conf"

# --- slurmdbd ------------------------------------------------------------------------------
if [ $with_db = 1 ]; then
  run slurmdbd env SLURM_CONF="$conf" "$prefix/sbin/slurmdbd" -D
  wait_for 30 slurmdbd bash -c "sacctmgr -n -P show cluster format=cluster >/dev/null"
  sacctmgr -i add cluster "$cluster" >"$dir/log/sacctmgr.log" 2>&1 || true
  sacctmgr -i add account demo Description=demo Organization=demo >>"$dir/log/sacctmgr.log" 2>&1 || true
  sacctmgr -i add user root Account=demo AdminLevel=Admin >>"$dir/log/sacctmgr.log" 2>&1 || true
fi

# --- slurmctld and slurmd ------------------------------------------------------------------
# -i: a restart after SIGKILL (the tests crash slurmctld on purpose) goes on when a state file
# was never written; 24.11 and later would otherwise stop at the missing assoc_usage file.
run slurmctld env SLURM_CONF="$conf" "$prefix/sbin/slurmctld" -D -i -f "$conf"
wait_for 30 slurmctld scontrol ping
for i in $(seq 1 "$nodes"); do
  run "slurmd-n$i" "$prefix/sbin/slurmd" -D -f "$conf" -N "n$i"
done
ready_nodes() { sinfo -h -N -p normal -o '%N %T' | sort -u | grep -Ec ' (idle|mixed|allocated)$' || true; }
wait_for 60 "all $nodes slurmd to register" bash -c "[ \$(sinfo -h -N -p normal -o '%N %T' | sort -u | grep -Ec ' (idle|mixed|allocated)\$') -ge $nodes ]"

t1=$(date +%s.%N)
cat >"$dir/env" <<ENV
export CLUSTER_DIR=$dir
export SLURM_CONF=$conf
export SLURM_CLUSTER_NAME=$cluster
export SLURM_CTLD_PORT=$ctld_port
export SLURM_DBD_PORT=$dbd_port
export SLURM_DB_PORT=$db_port
export SLURM_DB_SOCKET=$dbsock
export MUNGE_SOCKET=$sock
export SLURM_NODES=$nodes
export SLURM_GHOST_NODES=$ghosts
export SLURM_WITH_DB=$with_db
export SLURM_PREFIX=$prefix
export SLURM_VERSION=$slurm_version
export PATH=$PATH
ENV
log "cluster up in $(echo "$t1 - $t0" | bc 2>/dev/null || python3 -c "print(round($t1-$t0,2))")s: dir=$dir nodes=$nodes ghosts=$ghosts db=$with_db ctld=127.0.0.1:$ctld_port slurm=$slurm_version ($prefix)"
echo "$dir"
