#!/usr/bin/env python3
"""The exporter and the remediator against a real cluster of a Slurm release that does not
accept this build's protocol (each Slurm installation in $SLURM_SKEW_PREFIXES, ';'-separated):
slurm_up 0 and slurm_exporter_protocol_mismatch 1 for slurmctld and slurmdbd, munge not blamed
(slurm_munge_up 1), the controller and database alerts quiet on a real Prometheus while
SLURMExporterProtocolMismatch fires; one error line per daemon naming both releases and the
fix, however many polls; libslurm's own lines once each, none raw on stderr. The remediator
says the same once and keeps the alert it cannot act on."""
import json
import os
import re
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, Exporter, Prometheus, free_port, log, main, value,  # noqa
                     wait_until)


def exporter_release(binary):
    out = os.popen(binary + " --version").read()
    return re.search(r"Slurm (\d+\.\d+\.\d+)", out).group(1)


def one_cluster(args, prefix):
    cluster = Cluster(extra=["--slurm", prefix])
    exporter = prom = remediator = None
    theirs = cluster.env["SLURM_VERSION"]
    ours = exporter_release(args.exporter)
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s", wait="healthy")
        policy = os.path.join(cluster.dir, "etc", "policy.json")
        json.dump({"dry_run": False, "rules": [{"alertname": "SLURMNodeNotResponding"}]},
                  open(policy, "w"))
        rport = free_port()
        remediator = cluster.spawn("remediator", [
            os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
            "--policy.file=" + policy, "--audit.log=" + os.path.join(cluster.dir, "audit.jsonl"),
            "--web.listen-address=127.0.0.1:%d" % rport, "--reconcile-interval=1s"])
        prom = Prometheus(cluster, exporter.port, {"slurm_remediator": rport})

        def mismatch(m):
            return (value(m, "slurm_exporter_protocol_mismatch", daemon="slurmctld") == 1 and
                    value(m, "slurm_exporter_protocol_mismatch", daemon="slurmdbd") == 1)
        m = wait_until("mismatch reported", lambda: (lambda mm: mm if mismatch(mm) else None)(
            exporter.metrics()), timeout=30)
        assert value(m, "slurm_up") == 0
        assert value(m, "slurm_munge_up") == 1, "munge is not blamed"
        assert value(m, "slurm_munge_error_code") == 0
        assert exporter.get("/-/ready")[0] == 503
        log("Slurm %s vs a %s build: slurm_up 0, mismatch 1 for slurmctld and slurmdbd, "
            "slurm_munge_up 1" % (theirs, ours))

        # The remediator: an alert it cannot act on stays queued, said once.
        body = json.dumps({"version": "4", "status": "firing", "alerts": [{
            "status": "firing", "fingerprint": "skew0001", "startsAt": "2026-11-26T10:00:00Z",
            "labels": {"alertname": "SLURMNodeNotResponding", "node": "n1"}}]}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/api/v1/alerts" % rport, data=body,
                                     method="POST")
        wait_until("remediator up", lambda: urllib.request.urlopen(
            "http://127.0.0.1:%d/-/ready" % rport, timeout=5).status == 200)
        assert urllib.request.urlopen(req, timeout=5).status == 200

        def rem_metric(name):
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % rport, timeout=5) as r:
                for line in r.read().decode().splitlines():
                    if line.startswith(name + " "):
                        return float(line.split()[1])
        wait_until("remediator mismatch", lambda: rem_metric(
            "slurm_remediator_protocol_mismatch") == 1, timeout=30)
        assert rem_metric("slurm_remediator_queue_depth") == 1, "the alert waits, not lost"

        # Alerts on a real Prometheus with the bundled rules (for: shortened to 2s).
        wait_until("SLURMExporterProtocolMismatch firing for both daemons and the remediator",
                   lambda: len(prom.firing("SLURMExporterProtocolMismatch")) == 3, timeout=60)
        time.sleep(4)  # several polls and rounds more, and the rules evaluated again
        for quiet in ["SLURMControllerDown", "SLURMDatabaseDaemonDown", "SLURMMungeFailing"]:
            assert not prom.firing(quiet), "%s fires on a protocol mismatch" % quiet
        log("SLURMExporterProtocolMismatch fires (3 alerts); controller, database and munge "
            "alerts quiet")

        # The logs: one error line per daemon, whatever the number of polls; libslurm's lines
        # once each; nothing on stderr that is not a logfmt line.
        polls = value(exporter.metrics(), "slurm_exporter_polls_total", result="failure")
        text = exporter.read_log()
        lines = text.splitlines()
        raw = [ln for ln in lines if not ln.startswith("ts=")]
        assert not raw, "raw lines on stderr: %r" % raw[:5]
        errors = [ln for ln in lines if "level=error" in ln]
        assert sorted(re.search(r"source=(\w+)", ln).group(1) for ln in errors) == \
            ["dbd", "ping"], errors
        for ln in errors:
            assert "Slurm protocol mismatch" in ln and ours in ln, ln
            assert "Use a build of slurm_exporter for the cluster's Slurm release" in ln, ln
        libslurm = [ln for ln in lines if "source=libslurm" in ln]
        assert len(libslurm) == len(set(libslurm)) == len(
            {re.sub(r"ts=\S+ ", "", ln) for ln in libslurm}), "libslurm lines repeat"
        assert polls >= 5, polls
        learnt = any("runs Slurm " + theirs[:5] in ln for ln in errors)
        log("%d polls: 2 error lines (release %s named: %s), %d libslurm lines, none raw"
            % (polls, theirs[:5], "yes" if learnt else "not learnable from this release",
               len(libslurm)))
        rlog = open(os.path.join(cluster.dir, "log", "remediator.log")).read().splitlines()
        rerr = [ln for ln in rlog if "cannot read node states" in ln]
        assert len(rerr) == 1 and "level=error" in rerr[0] and "protocol mismatch" in rerr[0], rerr
        assert not [ln for ln in rlog if not ln.startswith("ts=")], "raw lines on stderr"
        log("remediator: one error line over %d rounds, the alert kept queued"
            % value(exporter.metrics(), "slurm_exporter_polls_total", result="failure"))
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        rpath = os.path.join(cluster.dir, "log", "remediator.log")
        if os.path.exists(rpath):
            log("remediator log:\n" + open(rpath).read()[-3000:])
        raise
    finally:
        if prom:
            prom.stop()
        if remediator:
            remediator.terminate()
            remediator.wait(timeout=15)
        if exporter:
            exporter.stop()
        cluster.stop()


def test(args):
    prefixes = [p for p in os.environ.get("SLURM_SKEW_PREFIXES", "").split(";") if p]
    assert prefixes, "SLURM_SKEW_PREFIXES names no Slurm installation"
    for prefix in prefixes:
        one_cluster(args, prefix)


if __name__ == "__main__":
    main(test)
