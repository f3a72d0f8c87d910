#!/usr/bin/env python3
"""Walking-skeleton e2e: the exporter's node counts equal what sinfo reports on a real cluster
(per state and per partition), and killing slurmctld (SIGKILL) turns slurm_up to 0 while the
exporter keeps serving; restarting slurmctld brings it back."""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Cluster, Exporter, log, main, value, wait_checks, wait_until  # noqa: E402

STATES = ["allocated", "completing", "down", "drained", "draining", "fail", "failing", "future",
          "idle", "inval", "maint", "mixed", "planned", "reboot", "reserved", "unknown"]


def sinfo_truth(cluster):
    """Per-node state and not-responding flag, and partition membership, as sinfo reports."""
    out = cluster.run("sinfo", "-h", "-N", "-o", "%N|%P|%T|%t")
    node_state, not_resp, parts = {}, {}, collections.defaultdict(set)
    for line in out.splitlines():
        name, part, long_state, short_state = line.split("|")
        state = long_state.rstrip("*~#%!$@^-+").lower()
        assert state in STATES, "sinfo state %r is not one the exporter names" % long_state
        node_state[name] = state
        not_resp[name] = short_state.endswith("*")
        parts[part.rstrip("*")].add(name)
    return node_state, not_resp, parts


def compare(cluster, exporter):
    """Returns Checks comparing the exporter's latest metrics with sinfo."""
    node_state, not_resp, parts = sinfo_truth(cluster)
    m = exporter.metrics()
    c = Checks()
    counts = collections.Counter(node_state.values())
    for s in STATES:
        c.eq("slurm_nodes_%s" % s, value(m, "slurm_nodes_%s" % s), float(counts.get(s, 0)))
    c.eq("slurm_nodes", value(m, "slurm_nodes"), float(len(node_state)))
    c.eq("slurm_nodes_not_responding", value(m, "slurm_nodes_not_responding"),
         float(sum(not_resp.values())))
    for p, members in parts.items():
        pc = collections.Counter(node_state[n] for n in members)
        for s in STATES:
            c.eq("partition %s state %s" % (p, s),
                 value(m, "slurm_partition_nodes", partition=p, state=s), float(pc.get(s, 0)))
        c.eq("partition %s total" % p,
             value(m, "slurm_partition_nodes_configured", partition=p), float(len(members)))
    return c


def test(args):
    cluster = Cluster(ghosts=2)
    exporter = None
    try:
        # Put nodes into the states admins read in sinfo.
        cluster.sbatch("-p", "normal", "--exclusive", "-w", "n1", "--wrap", "sleep 600")
        cluster.sbatch("-p", "normal", "-n1", "-w", "n2", "--wrap", "sleep 600")
        cluster.run("scontrol", "update", "NodeName=n4", "State=DRAIN", "Reason=e2e-drain")
        cluster.run("scontrol", "update", "NodeName=ghost1", "State=DOWN", "Reason=e2e-down")
        wanted = {"n1": "allocated", "n2": "mixed", "n3": "idle", "n4": "drained",
                  "ghost1": "down", "ghost2": "unknown"}
        wait_until("sinfo to show the wanted states",
                   lambda: all(sinfo_truth(cluster)[0].get(n) == s for n, s in wanted.items()),
                   timeout=60)
        log("states set:", sinfo_truth(cluster)[0])

        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--slurm.poll-timeout=3s")
        status, _, headers = exporter.get("/metrics")
        assert status == 200
        assert headers.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", headers

        checks = wait_checks("exporter counts to equal sinfo",
                             lambda: compare(cluster, exporter), timeout=20)
        log("counts equal sinfo: %d checks" % checks.count)
        m = exporter.metrics()
        for s, want in [("allocated", 1), ("mixed", 1), ("idle", 1), ("drained", 1), ("down", 1),
                        ("unknown", 1)]:
            assert value(m, "slurm_nodes_" + s) == want, (s, value(m, "slurm_nodes_" + s))
        assert value(m, "slurm_up") == 1
        assert value(m, "slurm_exporter_collector_success", collector="nodes") == 1

        # slurmctld killed (SIGKILL, as in a crash): slurm_up 0, the exporter keeps serving the
        # last data, marked stale.
        cluster.daemon("kill", "slurmctld")
        wait_until("slurm_up 0", lambda: value(exporter.metrics(), "slurm_up") == 0, timeout=30)
        m = exporter.metrics()
        assert value(m, "slurm_exporter_source_success", source="nodes") == 0
        assert value(m, "slurm_nodes_allocated") == 1, "last good data kept"
        wait_until("snapshot age to grow",
                   lambda: value(exporter.metrics(), "slurm_exporter_snapshot_age_seconds") > 2)
        assert exporter.get("/-/healthy")[0] == 200
        log("slurmctld killed: slurm_up 0, still serving")

        # slurmctld restarts with its state: slurm_up returns to 1, counts match again.
        cluster.daemon("start", "slurmctld")
        wait_until("slurm_up 1", lambda: value(exporter.metrics(), "slurm_up") == 1, timeout=60)
        wait_checks("exporter counts to equal sinfo after restart",
                    lambda: compare(cluster, exporter), timeout=60)
        assert value(exporter.metrics(), "slurm_exporter_source_success", source="nodes") == 1
        log("slurmctld back: slurm_up 1, counts equal sinfo")

        # slurmctld frozen (SIGSTOP): the poll hangs in libslurm; after --slurm.poll-timeout
        # slurm_up reads 0 while /metrics keeps answering at once; thawed, it recovers.
        cluster.daemon("freeze", "slurmctld")
        try:
            wait_until("slurm_up 0 while frozen",
                       lambda: value(exporter.metrics(), "slurm_up") == 0, timeout=40)
            t0 = time.monotonic()
            m = exporter.metrics()
            answered = time.monotonic() - t0
            assert answered < 2, "a scrape took %.1fs while slurmctld is frozen" % answered
            assert value(m, "slurm_exporter_poll_in_progress_seconds") > 0, \
                "the stuck poll is visible"
            log("slurmctld frozen: slurm_up 0, poll in progress %.1fs, scrape answered in %.3fs"
                % (value(m, "slurm_exporter_poll_in_progress_seconds"), answered))
        finally:
            cluster.daemon("thaw", "slurmctld")
        wait_until("slurm_up 1 after thaw", lambda: value(exporter.metrics(), "slurm_up") == 1,
                   timeout=60)
        log("slurmctld thawed: slurm_up 1")

        rc = exporter.stop()
        assert rc == 0, "exporter exit code %s on SIGTERM" % rc
        exporter = None
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        raise
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
