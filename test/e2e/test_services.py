#!/usr/bin/env python3
"""Controller, scheduler, slurmdbd, accounting database, munge, licenses and reservations on a
real cluster: values match sdiag, sacctmgr show stats and scontrol; stopping slurmdbd flips
slurm_dbd_up (and the DBD agent queue grows after a job completes) while everything else keeps
working; stopping munged, or a munge key on the exporter's side that differs from the
cluster's, flips slurm_munge_up; MariaDB connections follow clients."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Checks, Cluster, Exporter, log, main, value, version_at_least,  # noqa
                     wait_checks, wait_until)

RPC_LINE = re.compile(r"^\s+(\w+)\s+\(\s*\d+\)\s+count:(\d+)", re.M)
# sdiag's exit reason texts (schedule_exit2string, bf_exit2string) -> the exporter's labels.
SCHED_EXITS = {"End of job queue": "end_job_queue", "Hit default_queue_depth":
               "default_queue_depth", "Hit sched_max_job_start": "max_job_start",
               "Blocked on licenses": "licenses", "Hit max_rpc_cnt": "max_rpc_cnt",
               "Timeout (max_sched_time)": "max_sched_time"}
BF_EXITS = {"End of job queue": "end_job_queue", "Hit bf_max_job_start": "bf_max_job_start",
            "Hit bf_max_job_test": "bf_max_job_test", "System state changed": "state_changed",
            "Hit table size limit (bf_node_space_size)": "bf_node_space_size",
            "Timeout (bf_max_time)": "bf_max_time"}


def exits(section):
    return {k.strip(): float(v) for k, v in re.findall(r"^\t+([^:\n]+):\s*(\d+)$", section, re.M)}


def sdiag(cluster):
    out = cluster.run("sdiag")
    jobs = {k.lower(): float(v) for k, v in re.findall(r"^Jobs (\w+):\s+(\d+)", out, re.M)}
    by_type = out.split("Remote Procedure Call statistics by message type")[1].split(
        "Remote Procedure Call statistics by user")[0]
    return jobs, {k: float(v) for k, v in RPC_LINE.findall(by_type)}


def compare_sdiag(cluster, exporter):
    jobs, rpcs = sdiag(cluster)
    out = cluster.run("sdiag")
    m = exporter.metrics()
    c = Checks()
    # Exit reasons (Slurm 23.11 and later): each of sdiag's, under the label of the same slot.
    if "Main scheduler exit:" in out:
        main_exits = exits(out.split("Main scheduler exit:")[1].split("Backfilling stats")[0])
        bf_exits = exits(out.split("Backfill exit")[1].split("Latency for")[0])
        c.eq("main scheduler exit reasons", len(main_exits), 6)
        c.eq("backfill exit reasons", len(bf_exits), 6)
        for text, n in main_exits.items():
            c.eq("exit %s" % text, value(m, "slurm_scheduler_cycle_exits_total",
                                         reason=SCHED_EXITS.get(text, text)), n)
        for text, n in bf_exits.items():
            c.eq("bf exit %s" % text, value(m, "slurm_backfill_cycle_exits_total",
                                            reason=BF_EXITS.get(text, text)), n)
    for event in ["submitted", "started", "completed", "canceled", "failed"]:
        c.eq("jobs %s" % event, value(m, "slurm_scheduler_jobs_total", event=event), jobs[event])
    # RPC types that only the test issues (stable between the two reads).
    for t in ["REQUEST_SUBMIT_BATCH_JOB", "REQUEST_CREATE_RESERVATION"]:
        c.eq("rpc %s" % t, value(m, "slurm_rpc_requests_total", type=t), rpcs.get(t))
    return c


def compare_dbd(cluster, exporter):
    out = cluster.run("sacctmgr", "show", "stats")
    rpcs = {k: float(v) for k, v in RPC_LINE.findall(out.split("by message type")[1])}
    m = exporter.metrics()
    c = Checks()
    for t in ["DBD_REGISTER_CTLD", "DBD_ADD_CLUSTERS", "DBD_ADD_ACCOUNTS"]:
        c.eq("dbd rpc %s" % t, value(m, "slurm_dbd_rpc_requests_total", type=t), rpcs.get(t))
    return c


def compare_licenses(cluster, exporter):
    m = exporter.metrics()
    c = Checks()
    for line in cluster.run("scontrol", "show", "licenses", "-o").splitlines():
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        name = f["LicenseName"]
        c.eq("license %s total" % name, value(m, "slurm_license_configured", license=name),
             float(f["Total"]))
        c.eq("license %s used" % name, value(m, "slurm_license_used", license=name),
             float(f["Used"]))
        c.eq("license %s free" % name, value(m, "slurm_license_free", license=name),
             float(f["Free"]))
    return c


def compare_reservations(cluster, exporter):
    """slurm_reservation_nodes{state} against the sinfo state of each of the reservation's nodes
    (scontrol show res), and slurm_reservation_cores against its CoreCnt."""
    m = exporter.metrics()
    c = Checks()
    for line in cluster.run("scontrol", "show", "reservation", "-o").splitlines():
        f = dict(re.findall(r"(\w+)=(\S+)", line))
        name = f["ReservationName"]
        want = {}
        for node in cluster.run("scontrol", "show", "hostnames", f["Nodes"]).split():
            state = cluster.run("sinfo", "-h", "-N", "-n", node, "-o", "%T").split()[0]
            state = state.rstrip("*~#!%$@^-")
            want[state] = want.get(state, 0) + 1
        got = {dict(k[1])["state"]: v for k, v in m.items()
               if k[0] == "slurm_reservation_nodes" and dict(k[1])["reservation"] == name and v}
        c.eq("reservation %s nodes by state" % name, got, want)
        c.eq("reservation %s cores" % name, value(m, "slurm_reservation_cores", reservation=name),
             float(f["CoreCnt"]))
    return c


def db_threads(cluster):
    out = subprocess.run(["mariadb", "--no-defaults", "--socket=" + cluster.env["SLURM_DB_SOCKET"],
                          "-uroot", "-N", "-e", "SHOW GLOBAL STATUS LIKE 'Threads_connected'"],
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[1])


def test(args):
    cluster = Cluster()
    exporter = exporter2 = None
    sleepers = []
    try:
        cluster.run("scontrol", "create", "reservation", "ReservationName=maint1",
                    "StartTime=now", "Duration=60", "Nodes=n4", "Flags=MAINT", "Users=root")
        # Two days ahead (past any job's time limit here): nodes of several states, no effect on
        # the jobs below. n2 drained first.
        cluster.run("scontrol", "update", "NodeName=n2", "State=DRAIN", "Reason=e2e")
        cluster.run("scontrol", "create", "reservation", "ReservationName=later2",
                    "StartTime=now+2days", "Duration=60", "Nodes=n1,n2", "Users=root")
        cluster.sbatch("-p", "normal", "-n1", "-L", "matlab:2", "--wrap", "sleep 600")
        my_cnf = os.path.join(cluster.dir, "etc", "exporter-my.cnf")
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--accounting-db.my-cnf=" + my_cnf)
        c = wait_checks("scheduler values equal sdiag", lambda: compare_sdiag(cluster, exporter))
        log("sdiag: %d checks equal" % c.count)
        m = exporter.metrics()
        has_exits = [k for k in m if k[0].endswith("cycle_exits_total")]
        if version_at_least(cluster, 23, 11):
            assert has_exits, "Slurm %s reports exit reasons" % cluster.env["SLURM_VERSION"]
        else:
            assert "Main scheduler exit:" not in cluster.run("sdiag")
            assert not has_exits, has_exits
            print("ABSENT: scheduler exit reasons (sdiag has them from Slurm 23.11 on)")
        c = wait_checks("slurmdbd values equal sacctmgr show stats",
                        lambda: compare_dbd(cluster, exporter))
        log("sacctmgr show stats: %d checks equal" % c.count)
        wait_until("the licensed job to run", lambda: value(
            exporter.metrics(), "slurm_license_used", license="matlab") == 2)
        c = wait_checks("licenses equal scontrol", lambda: compare_licenses(cluster, exporter))
        log("licenses: %d checks equal" % c.count)
        c = wait_checks("reservations equal scontrol and sinfo",
                        lambda: compare_reservations(cluster, exporter))
        log("reservations: %d checks equal" % c.count)
        m = exporter.metrics()
        expect = [
            (("slurm_node_in_maintenance",), dict(node="n4", reservation="maint1"), 1),
            (("slurm_reservation_active",), dict(reservation="maint1"), 1),
            (("slurm_controller_up",),
             dict(controller=cluster.run("hostname", "-s").strip(), role="primary"), 1),
            (("slurm_dbd_up",), {}, 1),
            (("slurm_munge_up",), {}, 1),
            (("slurm_dbd_max_connections",), {}, 100),
        ]
        for (name,), labels, want in expect:
            assert value(m, name, **labels) == want, (name, labels, value(m, name, **labels))

        # MariaDB connections follow clients.
        base = wait_until("database gauge", lambda: value(exporter.metrics(),
                                                          "slurm_dbd_connections"))
        for _ in range(3):
            sleepers.append(subprocess.Popen(
                ["mariadb", "--no-defaults", "--socket=" + cluster.env["SLURM_DB_SOCKET"],
                 "-uroot", "-e", "SELECT SLEEP(30)"]))
        up = wait_until("3 more connections", lambda: (lambda v: v if v >= base + 3 else None)(
            value(exporter.metrics(), "slurm_dbd_connections")), timeout=15)
        for p in sleepers:
            p.kill()
            p.wait()
        sleepers = []
        down = wait_until("connections back", lambda: (lambda v: v if v <= base else None)(
            value(exporter.metrics(), "slurm_dbd_connections")), timeout=15)
        log("database connections %d -> %d -> %d (direct read now: %d)"
            % (base, up, down, db_threads(cluster)))

        # slurmdbd down: slurm_dbd_up 0, the rest keeps working, the DBD agent queue grows.
        cluster.daemon("stop", "slurmdbd")
        wait_until("slurm_dbd_up 0", lambda: value(exporter.metrics(), "slurm_dbd_up") == 0,
                   timeout=30)
        cluster.sbatch("-p", "debug", "-n1", "--wrap", "true")
        wait_until("DBD agent queue to grow", lambda: value(
            exporter.metrics(), "slurm_scheduler_dbd_agent_queue_size") > 0, timeout=30)
        m = exporter.metrics()
        assert value(m, "slurm_up") == 1, "slurmctld still answers"
        assert value(m, "slurm_exporter_collector_success", collector="nodes") == 1
        assert value(m, "slurm_exporter_source_success", source="dbd") == 0
        log("slurmdbd down: slurm_dbd_up 0, DBD agent queue %d, slurm_up 1"
            % value(m, "slurm_scheduler_dbd_agent_queue_size"))
        cluster.daemon("start", "slurmdbd")
        wait_until("slurm_dbd_up 1", lambda: value(exporter.metrics(), "slurm_dbd_up") == 1,
                   timeout=60)
        wait_until("DBD agent queue drained", lambda: value(
            exporter.metrics(), "slurm_scheduler_dbd_agent_queue_size") == 0, timeout=60)
        log("slurmdbd back: slurm_dbd_up 1, queue drained")

        # munged down: the round trip fails.
        cluster.daemon("stop", "munged")
        wait_until("slurm_munge_up 0", lambda: value(exporter.metrics(), "slurm_munge_up") == 0,
                   timeout=30)
        code = value(exporter.metrics(), "slurm_munge_error_code")
        assert code not in (None, 0), code
        log("munged down: slurm_munge_up 0, error code %d" % code)
        cluster.daemon("start", "munged")
        wait_until("slurm_munge_up 1", lambda: value(exporter.metrics(), "slurm_munge_up") == 1,
                   timeout=60)

        # A munge key on the exporter's side that differs from the cluster's: a second munged
        # with its own key, named by the exporter's copy of slurm.conf.
        other = os.path.join(cluster.dir, "munge-other")
        os.makedirs(other, mode=0o755)
        os.chmod(other, 0o755)
        subprocess.run(["mungekey", "--create", "--keyfile=" + other + "/munge.key"], check=True)
        sock = other + "/munge.socket"
        munged = subprocess.Popen(
            ["munged", "--foreground", "--force", "--socket=" + sock,
             "--key-file=" + other + "/munge.key", "--pid-file=" + other + "/munged.pid",
             "--log-file=" + other + "/munged.log", "--seed-file=" + other + "/seed"],
            start_new_session=True)
        with open(os.path.join(cluster.dir, "pids", "munged-other.pid"), "w") as f:
            f.write(str(munged.pid))  # stop.sh stops it with the cluster if the test fails
        try:
            wait_until("second munged", lambda: os.path.exists(sock))
            conf = open(cluster.env["SLURM_CONF"]).read()
            conf = re.sub(r"^AuthInfo=.*$", "AuthInfo=socket=" + sock, conf, flags=re.M)
            # slurmdbd too is asked through the other munged (as on a host whose key differs):
            # its refusal confirms that the credential, not the protocol, is the cause.
            conf = re.sub(r"^AccountingStoragePass=.*$", "AccountingStoragePass=" + sock, conf,
                          flags=re.M)
            other_conf = os.path.join(other, "slurm.conf")
            with open(other_conf, "w") as f:
                f.write(conf)

            class OtherConf:  # the cluster seen through the exporter's own slurm.conf
                dir = cluster.dir
                env = dict(cluster.env, SLURM_CONF=other_conf)

            # It never becomes ready (slurmctld rejects every request), but it serves.
            exporter2 = Exporter(args.exporter, OtherConf, "--slurm.poll-interval=1s",
                                 "--slurm.poll-timeout=5s", wait="healthy")
        except Exception:
            munged.terminate()
            raise
        m2 = wait_until("munge verdict with the wrong key", lambda: (
            lambda mm: mm if value(mm, "slurm_munge_error_code") == 14 else None)(
                exporter2.metrics()), timeout=30)
        assert value(m2, "slurm_munge_up") == 0
        assert value(m2, "slurm_up") == 0
        assert value(m2, "slurm_exporter_protocol_mismatch", daemon="slurmctld") == 0, \
            "a wrong key is not a protocol mismatch"
        log("wrong munge key on the exporter side: slurm_munge_up 0, error code 14, slurm_up 0")
        exporter2.stop()
        exporter2 = None
        munged.terminate()
        munged.wait()
        assert exporter.stop() == 0
        exporter = None
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        raise
    finally:
        for p in sleepers:
            p.kill()
        for e in (exporter, exporter2):
            if e:
                e.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
