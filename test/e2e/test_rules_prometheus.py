#!/usr/bin/env python3
"""The bundled rules in a real Prometheus scraping the exporter on a real cluster: draining
every node of a partition fires SLURMPartitionNodesUnavailable for that partition, stopping
slurmctld fires SLURMControllerDown, both seen through Prometheus' HTTP API. The rules are
loaded as shipped except that every `for:` is shortened to 2s (a test cannot wait minutes)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, Exporter, Prometheus, log, main, wait_until  # noqa: E402


def test(args):
    cluster = Cluster()
    exporter = prom = None
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s")
        prom = Prometheus(cluster, exporter.port)
        wait_until("rules evaluated on scraped data", lambda: prom.query(
            "partition:slurm_node_availability:ratio"), timeout=60)
        for name in ("SLURMControllerDown", "SLURMPartitionNodesUnavailable",
                     "SLURMNodesUnavailable", "SLURMExporterDown"):
            assert not prom.firing(name), "%s fires on a healthy cluster" % name

        for node in ("n1", "n2"):  # every node of partition debug
            cluster.run("scontrol", "update", "NodeName=" + node, "State=DRAIN",
                        "Reason=e2e-rules")
        alerts = wait_until("SLURMPartitionNodesUnavailable{partition=debug} firing",
                            lambda: [a for a in prom.firing("SLURMPartitionNodesUnavailable")
                                     if a["labels"].get("partition") == "debug"], timeout=60)
        a = alerts[0]
        assert a["labels"]["severity"] == "warning"
        assert a["annotations"]["runbook_url"] == "docs/runbook.md#slurmpartitionnodesunavailable"
        assert "Only 0% of partition debug" in a["annotations"]["description"], a
        assert not [x for x in prom.firing("SLURMPartitionNodesUnavailable")
                    if x["labels"].get("partition") == "gpu"], "gpu is healthy"
        log("drained partition debug: SLURMPartitionNodesUnavailable firing: %s"
            % a["annotations"]["description"])

        cluster.daemon("stop", "slurmctld")
        alerts = wait_until("SLURMControllerDown firing",
                            lambda: prom.firing("SLURMControllerDown"), timeout=90)
        assert alerts[0]["labels"]["severity"] == "critical"
        assert not prom.firing("SLURMExporterDown"), "the exporter itself stays up"
        log("slurmctld stopped: SLURMControllerDown firing: %s"
            % alerts[0]["annotations"]["description"])
        wait_until("node alerts quiet while slurmctld is down",
                   lambda: not prom.firing("SLURMPartitionNodesUnavailable"), timeout=30)
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-2000:])
        raise
    finally:
        if prom:
            prom.stop()
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
