#!/usr/bin/env python3
"""The bundled rules in a real Prometheus scraping the exporter on a real cluster: draining
every node of a partition fires SLURMPartitionNodesUnavailable for that partition, stopping
slurmctld fires SLURMControllerDown, both seen through Prometheus' HTTP API. The rules are
loaded as shipped except that every `for:` is shortened to 2s (a test cannot wait minutes)."""
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Cluster, Exporter, free_port, log, main, wait_until  # noqa: E402


class Prometheus:
    def __init__(self, cluster, exporter_port):
        self.dir = os.path.join(cluster.dir, "prometheus")
        os.makedirs(self.dir)
        rule_files = []
        for name in sorted(os.listdir(os.path.join(ROOT, "alerts", "rules"))):
            doc = yaml.safe_load(open(os.path.join(ROOT, "alerts", "rules", name)))
            for g in doc["groups"]:
                g["interval"] = "1s"
                for r in g["rules"]:
                    if "for" in r:
                        r["for"] = "2s"
            path = os.path.join(self.dir, name)
            yaml.safe_dump(doc, open(path, "w"))
            rule_files.append(path)
        cfg = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": rule_files,
            "scrape_configs": [{"job_name": "slurm", "static_configs": [
                {"targets": ["127.0.0.1:%d" % exporter_port]}]}],
        }
        yaml.safe_dump(cfg, open(os.path.join(self.dir, "prometheus.yml"), "w"))
        subprocess.run(["promtool", "check", "config", os.path.join(self.dir, "prometheus.yml")],
                       check=True, stdout=subprocess.DEVNULL)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.logf = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True)
        with open(os.path.join(cluster.dir, "pids", "prometheus.pid"), "w") as f:
            f.write(str(self.proc.pid))
        wait_until("Prometheus ready", lambda: self.api("/-/ready", raw=True), timeout=60)

    def api(self, path, raw=False):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                body = r.read().decode()
                return body if raw else json.loads(body)["data"]
        except OSError:
            return None

    def firing(self, alertname):
        alerts = self.api("/api/v1/alerts") or {"alerts": []}
        return [a for a in alerts["alerts"]
                if a["labels"]["alertname"] == alertname and a["state"] == "firing"]

    def query(self, q):
        return self.api("/api/v1/query?query=" + urllib.parse.quote(q))["result"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.logf.close()


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
