#!/usr/bin/env python3
"""Faults on a real cluster, beyond the controller and slurmdbd cases of the other e2e tests:
a missing or broken slurm.conf at start is a clear error (exit 1, no hang); MariaDB stopped
flips slurm_dbd_database_up while everything else keeps working, and it recovers by itself; a
node added to and removed from slurm.conf (slurmctld restarted with its state) appears and
disappears from the exposition, with no stale series."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, Exporter, free_port, log, main, rss_kib, value,  # noqa: E402
                     wait_until)


def start_error(binary, env, *args):
    r = subprocess.run([binary, "--web.listen-address=127.0.0.1:%d" % free_port()] + list(args),
                       env=env,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stderr



def test(args):
    cluster = Cluster(ghosts=1)
    exporter = None
    try:
        env = dict(cluster.env, SLURM_CONF="/nonexistent/slurm.conf")
        rc, err = start_error(args.exporter, env)
        assert rc == 1 and "cannot read /nonexistent/slurm.conf (from SLURM_CONF)" in err, (rc, err)
        broken = os.path.join(cluster.dir, "etc", "broken.conf")
        with open(broken, "w") as f:
            f.write("ThisIsNot=ASlurmOption\nNodeName=\n")
        rc, err = start_error(args.exporter, cluster.env, "--slurm.conf=" + broken)
        assert rc == 1 and "libslurm could not load its configuration" in err, (rc, err)
        log("slurm.conf missing or broken at start: exit 1 with a clear error")

        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--accounting-db.my-cnf=" + os.path.join(cluster.dir, "etc",
                                                                     "exporter-my.cnf"))
        rss0 = rss_kib(exporter.proc.pid)
        wait_until("database up", lambda: value(exporter.metrics(), "slurm_dbd_database_up") == 1)
        cluster.daemon("stop", "mariadbd")
        wait_until("slurm_dbd_database_up 0",
                   lambda: value(exporter.metrics(), "slurm_dbd_database_up") == 0, timeout=30)
        m = exporter.metrics()
        assert value(m, "slurm_up") == 1
        assert value(m, "slurm_exporter_collector_success", collector="nodes") == 1
        assert value(m, "slurm_dbd_connections") is None, "no stale connection count"
        cluster.daemon("start", "mariadbd")
        wait_until("slurm_dbd_database_up 1 again",
                   lambda: value(exporter.metrics(), "slurm_dbd_database_up") == 1, timeout=60)
        log("MariaDB stopped: slurm_dbd_database_up 0, the rest unaffected; restarted: back")

        conf_path = cluster.env["SLURM_CONF"]
        original = open(conf_path).read()
        port = re.search(r"^NodeName=ghost\S* .*Port=(\d+)", original, re.M).group(1)
        added = original + ("NodeName=extra1 NodeAddr=127.0.0.1 Port=%s CPUs=2 RealMemory=1000 "
                            "State=UNKNOWN\nPartitionName=extra Nodes=extra1 State=UP\n" % port)
        nodes_before = value(exporter.metrics(), "slurm_nodes")
        cluster.daemon("stop", "slurmctld")
        open(conf_path, "w").write(added)
        cluster.daemon("start", "slurmctld")
        wait_until("extra1 appears", lambda: value(
            exporter.metrics(), "slurm_node_cpus", node="extra1") == 2, timeout=60)
        m = exporter.metrics()
        assert value(m, "slurm_nodes") == nodes_before + 1
        assert value(m, "slurm_partition_nodes_configured", partition="extra") == 1
        cluster.daemon("stop", "slurmctld")
        open(conf_path, "w").write(original)
        cluster.daemon("start", "slurmctld")
        wait_until("extra1 gone", lambda: value(exporter.metrics(), "slurm_nodes") ==
                   nodes_before and value(exporter.metrics(), "slurm_up") == 1, timeout=60)
        m = exporter.metrics()
        stale = [k for k in m if dict(k[1]).get("node") == "extra1" or
                 dict(k[1]).get("partition") == "extra"]
        assert not stale, "stale series: %s" % stale[:5]
        log("node extra1 added then removed: its series appeared, then none was left")
        rss1 = rss_kib(exporter.proc.pid)
        log("exporter RSS %d KiB at start, %d KiB after the faults" % (rss0, rss1))
        assert exporter.stop() == 0
        exporter = None
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-2000:])
        raise
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
