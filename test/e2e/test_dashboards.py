#!/usr/bin/env python3
"""Every panel query of dashboards/ against a real Prometheus that scrapes the exporter (all
collectors on, accounting database included) and the remediator on a real cluster with some
life in it: running, pending, held and finished jobs, a drained node, a never-started node, a
remediation decision, priority/multifactor with usage and an account with GrpTRES/GrpJobs
limits. Each query must return data, except the justified exceptions listed in
dashboards/check_dashboards.py."""
import json
import os
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Cluster, Exporter, Prometheus, free_port, log, main, wait_until  # noqa


def test(args):
    cluster = Cluster(ghosts=1, extra=["--priority", "multifactor"])
    exporter = prom = remediator = None
    try:
        d = cluster.dir
        cluster.run("sacctmgr", "-i", "modify", "account", "demo", "set", "GrpTRES=cpu=64",
                    "GrpJobs=100")
        # Usage of an account other than root, for the fairshare panels.
        cluster.sbatch("-A", "demo", "-p", "normal", "--exclusive", "-w", "n1", "--wrap",
                       "sleep 600")
        cluster.sbatch("-A", "demo", "-p", "normal", "-n1", "-w", "n2", "--wrap", "sleep 600")
        cluster.sbatch("-A", "demo", "-p", "gpu", "-n1", "--gres=gpu:1", "--wrap", "sleep 600")
        cluster.sbatch("-p", "debug", "-H", "--wrap", "sleep 1")
        cluster.sbatch("-p", "debug", "-w", "n1", "--wrap", "sleep 1")  # pending: n1 is busy
        cluster.run("scontrol", "update", "NodeName=n4", "State=DRAIN", "Reason=dashboards")
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--collector.rpc_users", "--collector.job_efficiency",
                            "--collector.fairshare.users", "--fairshare.interval=1s",
                            "--accounting-db.my-cnf=" + os.path.join(d, "etc", "exporter-my.cnf"))
        policy = os.path.join(d, "etc", "policy.json")
        json.dump({"rules": [{"alertname": "SLURMNodeNotResponding"}]}, open(policy, "w"))
        rport = free_port()
        remediator = cluster.spawn("remediator", [
            os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
            "--policy.file=" + policy, "--audit.log=" + os.path.join(d, "audit.jsonl"),
            "--web.listen-address=127.0.0.1:%d" % rport])
        prom = Prometheus(cluster, exporter.port, {"slurm_remediator": rport})
        # Jobs that start while Prometheus watches: wait-time observations within the window
        # (after Prometheus has a first sample of the histogram).
        wait_until("histogram scraped", lambda: prom.query("slurm_job_wait_time_seconds_count"),
                   timeout=60)
        for _ in range(3):
            cluster.sbatch("-p", "normal", "-w", "n3", "-n1", "--wrap", "sleep 1")
        wait_until("remediator up", lambda: urllib.request.urlopen(
            "http://127.0.0.1:%d/-/ready" % rport, timeout=5).status == 200)

        def post(fingerprint, node):
            body = json.dumps({"version": "4", "status": "firing", "alerts": [{
                "status": "firing", "fingerprint": fingerprint,
                "startsAt": "2026-11-26T10:00:00Z",
                "labels": {"alertname": "SLURMNodeNotResponding", "node": node}}]}).encode()
            req = urllib.request.Request("http://127.0.0.1:%d/api/v1/alerts" % rport,
                                         data=body, method="POST")
            assert urllib.request.urlopen(req, timeout=5).status == 200

        # Counters must be seen before and after a decision for increase() to show it.
        post("dash0001", "n3")  # dry-run drain
        post("dash0002", "n4")  # refused: drained by someone else
        wait_until("first decisions scraped", lambda: len(prom.query(
            "slurm_remediator_decisions_total")) >= 2, timeout=60)
        post("dash0003", "n3")
        post("dash0004", "n4")
        wait_until("an alert firing (the never-started node)",
                   lambda: prom.firing("SLURMNodeNotRegistering"), timeout=90)
        wait_until("wait-time observations scraped", lambda: prom.query(
            'sum(increase(slurm_job_wait_time_seconds_count[1m])) > 0'), timeout=90)
        wait_until("remediator decisions scraped", lambda: prom.query(
            "increase(slurm_remediator_decisions_total[1m]) > 0"), timeout=60)
        # priority/multifactor adds the running jobs' usage every minute (PriorityCalcPeriod).
        wait_until("usage per TRES scraped", lambda: prom.query(
            'slurm_account_usage_tres_seconds{account="demo"}'), timeout=150)
        # Two samples of the finished-job counters in the window, for increase() and rate().
        wait_until("ended jobs scraped", lambda: prom.query(
            "increase(slurm_partition_job_memory_efficiency_count[1m])"), timeout=90)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "dashboards",
                                                         "check_dashboards.py"),
                            "--prometheus", prom.url,
                            "--slurm-version", cluster.env["SLURM_VERSION"]],
                           capture_output=True, text=True)
        print(r.stdout, end="")
        assert r.returncode == 0, "dashboard queries failed against the real Prometheus"
        log("every dashboard query returned data: %s" % r.stdout.strip().splitlines()[-1])
    finally:
        if prom:
            prom.stop()
        if remediator:
            remediator.terminate()
            remediator.wait(timeout=15)
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
