#!/usr/bin/env python3
"""A rolling upgrade of a real cluster, as the runbook does it, under a running exporter and
remediator built for the cluster's release N: slurmdbd first, then slurmctld, then each
slurmd (its node drained first and resumed after), every daemon restarted in place on the
binaries of release N+1 ($SLURM_UPGRADE_TO) with its state kept. N+1 accepts N's protocol, so
neither process is restarted: slurm_up and slurm_dbd_up come back, the controller's version
label changes, the jobs and the counters carry on (no reset), no protocol mismatch is ever
reported, only the alerts an upgrade explains fire on a real Prometheus, and the remediator
drains and resumes a node on the upgraded cluster."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, Exporter, Prometheus, Remediator, log, main, stop_all,  # noqa
                     value, wait_until)

# What an upgrade explains (with every for: shortened to 2s): daemons restarting, the nodes
# UNKNOWN between slurmctld's restart and their slurmd's next registration, nodes drained one
# after another.
EXPLAINED = {"SLURMControllerDown", "SLURMDatabaseDaemonDown", "SLURMNodeAvailabilityLow",
             "SLURMPartitionNodesUnavailable", "SLURMNodesUnavailable",
             "SLURMNodeNotRegistering", "SLURMControllerAvailabilityBurnFast",
             "SLURMControllerAvailabilityBurnSlow", "SLURMControllerAvailabilityLow",
             "SLURMDBDAgentQueueGrowing"}
# What draining one node of four makes fire (the alerts' for: is 2s in the test).
EXPECTED = {"SLURMNodeAvailabilityLow", "SLURMPartitionNodesUnavailable"}


def release(prefix):
    v = open(os.path.join(prefix, "include", "slurm", "slurm_version.h")).read()
    n = int(v.split("#define SLURM_VERSION_NUMBER")[1].split()[0], 16)
    return "%d.%02d.%d" % (n >> 16, (n >> 8) & 255, n & 255)


def test(args):
    new = os.environ.get("SLURM_UPGRADE_TO", "")
    assert new and os.path.isdir(new), "SLURM_UPGRADE_TO names no Slurm installation"
    cluster = Cluster()
    exporter = prom = remediator = None
    old_version = cluster.env["SLURM_VERSION"]
    new_version = release(new)
    try:
        running = cluster.sbatch("-p", "normal", "-n1", "-w", "n1", "--wrap", "sleep 600")
        held = cluster.sbatch("-p", "debug", "-H", "--wrap", "true")
        for _ in range(2):
            cluster.sbatch("-p", "normal", "-n1", "-w", "n2", "--wrap", "true")
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s")
        remediator = Remediator(args.exporter, cluster, {
            "dry_run": False, "rules": [{"alertname": "SLURMNodeNotResponding"}],
            "max_drained_fraction": 0.5, "max_partition_fraction": 1}, "--reconcile-interval=1s")
        prom = Prometheus(cluster, exporter.port, {"slurm_remediator": remediator.port})
        m = wait_until("the first jobs observed", lambda: (lambda mm: mm if value(
            mm, "slurm_controller_info", cluster="democluster", version=old_version) == 1 and
            (value(mm, "slurm_job_wait_time_seconds_count", partition="normal") or 0) >= 3
            else None)(exporter.metrics()), timeout=60)
        waits_before = value(m, "slurm_job_wait_time_seconds_count", partition="normal")
        wait_until("Prometheus has the exporter", lambda: prom.query("slurm_up == 1"), timeout=30)
        # Alerts of Prometheus's own start (no target yet) are over before the upgrade starts.
        wait_until("no alert firing", lambda: not prom.query('ALERTS{alertstate="firing"}'),
                   timeout=60)
        time.sleep(2)
        pid = exporter.proc.pid
        upgrade_started = time.monotonic()
        log("Slurm %s: exporter and remediator built for it; jobs %s running, %s held"
            % (old_version, running, held))

        def upgrade(name):
            t0 = time.monotonic()
            cluster.daemon("upgrade", name, new)
            return time.monotonic() - t0

        def no_mismatch():
            mm = exporter.metrics()
            for d in ("slurmctld", "slurmdbd"):
                assert value(mm, "slurm_exporter_protocol_mismatch", daemon=d) == 0, d
            return mm

        # 1. slurmdbd (it converts the accounting database on its first start). Its statistics
        # restart with it: a later reset time says the exporter talks to the new one.
        dbd_start = value(exporter.metrics(), "slurm_dbd_stats_reset_timestamp_seconds")
        secs = upgrade("slurmdbd")
        wait_until("slurmdbd %s answering" % new_version, lambda: (lambda mm: value(
            mm, "slurm_dbd_up") == 1 and value(
            mm, "slurm_dbd_stats_reset_timestamp_seconds") > dbd_start)(no_mismatch()),
            timeout=120)
        log("slurmdbd upgraded to %s in %.1fs; slurm_dbd_up 1" % (new_version, secs))
        # 2. slurmctld, with its state directory.
        secs = upgrade("slurmctld")
        wait_until("slurmctld %s answering" % new_version, lambda: value(
            no_mismatch(), "slurm_controller_info", cluster="democluster",
            version=new_version) == 1, timeout=120)
        assert value(exporter.metrics(), "slurm_up") == 1
        log("slurmctld upgraded in %.1fs; slurm_controller_info version %s -> %s"
            % (secs, old_version, new_version))
        cluster.env["PATH"] = "%s/bin:%s/sbin:%s" % (new, new, cluster.env["PATH"])
        cluster.env["SLURM_VERSION"] = new_version
        # 3. each slurmd: drained, upgraded, resumed once it registered again.
        def node_state(node):
            return cluster.run("sinfo", "-h", "-N", "-n", node, "-o", "%T").split()[0]
        for i in range(1, int(cluster.env["SLURM_NODES"]) + 1):
            node = "n%d" % i
            wait_until("%s responding" % node, lambda: "*" not in node_state(node), timeout=60)
            cluster.run("scontrol", "update", "NodeName=" + node, "State=DRAIN",
                        "Reason=upgrade to " + new_version)
            wait_until("%s drained" % node,
                       lambda: node_state(node) in ("drained", "draining"), timeout=30)
            if i == 1:  # hold the first drain until the alerts it explains fire
                wait_until("drain alerts", lambda: all(prom.firing(a) for a in EXPECTED),
                           timeout=60)
            upgrade("slurmd-" + node)
            wait_until("%s registered again" % node, lambda: "*" not in node_state(node),
                       timeout=60)

            def resumed():
                # RESUME is refused ("Invalid node state") until slurmctld has taken the node's
                # registration in, and slurmctld 23.11 lifts the drain of a node with a running
                # job itself when its upgraded slurmd registers: resumed when still drained.
                if node_state(node) in ("drained", "draining"):
                    subprocess.run(["scontrol", "update", "NodeName=" + node, "State=RESUME"],
                                   env=cluster.env, capture_output=True)
                return node_state(node) not in ("drained", "draining")
            wait_until("%s resumed" % node, resumed, timeout=30)
        wait_until("every node back", lambda: value(no_mismatch(), "slurm_nodes_usable") ==
                   int(cluster.env["SLURM_NODES"]), timeout=120)
        log("every slurmd upgraded, drained and resumed in turn; all nodes usable")

        # Nothing lost: the same exporter process, its counters, the jobs.
        m = no_mismatch()
        assert exporter.proc.pid == pid and exporter.proc.poll() is None
        squeue = cluster.run("squeue", "-h", "-o", "%i %T").split()
        assert squeue[squeue.index(running) + 1] == "RUNNING", squeue
        assert squeue[squeue.index(held) + 1] == "PENDING", squeue
        assert value(m, "slurm_partition_jobs", partition="normal", state="running") >= 1
        assert value(m, "slurm_partition_jobs", partition="debug", state="pending") >= 1
        assert value(m, "slurm_job_wait_time_seconds_count", partition="normal") >= waits_before
        for series in ["slurm_exporter_polls_total", "slurm_job_wait_time_seconds_count",
                       "slurm_remediator_webhooks_total"]:
            assert not prom.query("resets(%s[15m]) > 0" % series), series + " was reset"
        log("same exporter pid %d; jobs %s running and %s pending; no counter reset"
            % (pid, running, held))

        # The alerts of the whole upgrade: only those it explains, those expected among them.
        window = int(time.monotonic() - upgrade_started) + 1
        fired = {r["metric"]["alertname"] for r in prom.query(
            'max_over_time(ALERTS{alertstate="firing"}[%ds])' % window)}
        assert EXPECTED <= fired, fired
        assert fired <= EXPLAINED, "unexplained alerts: %s" % (fired - EXPLAINED)
        log("alerts that fired: %s" % ", ".join(sorted(fired)))

        # The remediator, never restarted, acts on the upgraded cluster.
        remediator.post("SLURMNodeNotResponding", "n4", "upg00001")
        wait_until("remediator drains n4", lambda: node_state("n4") == "drained", timeout=30)
        remediator.post("SLURMNodeNotResponding", "n4", "upg00001", status="resolved")
        wait_until("remediator resumes n4", lambda: node_state("n4") == "idle", timeout=60)
        log("remediator drained and resumed n4 on Slurm %s without a restart" % new_version)
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        raise
    finally:
        stop_all(prom, remediator, exporter)
        cluster.stop()


if __name__ == "__main__":
    main(test)
