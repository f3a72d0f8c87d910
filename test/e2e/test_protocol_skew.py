#!/usr/bin/env python3
"""The exporter and the remediator against a real cluster of a Slurm release that does not
accept this build's protocol (each Slurm installation in $SLURM_SKEW_PREFIXES, ';'-separated):
slurm_up 0 and slurm_exporter_protocol_mismatch 1 for slurmctld and slurmdbd, munge not blamed
(slurm_munge_up 1), the controller and database alerts quiet on a real Prometheus while
SLURMExporterProtocolMismatch fires; one error line per daemon naming both releases and the
fix, however many polls; libslurm's own lines once each, none raw on stderr. The remediator
says the same once and keeps the alert it cannot act on."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, Exporter, Prometheus, Remediator, log, main, stop_all,  # noqa
                     value, wait_until)


def exporter_release(binary):
    out = os.popen(binary + " --version").read()
    return re.search(r"Slurm (\d+\.\d+\.\d+)", out).group(1)


# Releases whose daemons answer a protocol they do not accept exactly as a munge key that
# differs from the cluster's: slurmctld 22.05 closes the connection on either, and slurmdbd
# 22.05 answers both as a credential failure. There the exporter cannot tell the two apart, and
# says both.
AMBIGUOUS = ("22.05",)


def ambiguous_cluster(exporter, theirs, ours):
    m = wait_until("a verdict", lambda: (lambda mm: mm if value(
        mm, "slurm_munge_error_code") == 14 else None)(exporter.metrics()), timeout=30)
    assert value(m, "slurm_up") == 0
    assert value(m, "slurm_exporter_protocol_mismatch", daemon="slurmctld") == 0
    time.sleep(3)
    lines = [ln for ln in exporter.read_log().splitlines() if "source=ping" in ln]
    assert len(lines) == 1, lines
    assert "or its Slurm release does not accept this build's protocol" in lines[0], lines[0]
    assert ours in lines[0], lines[0]
    print("ABSENT: protocol mismatch detection against Slurm %s (a %s build): slurmctld and "
          "slurmdbd %s answer it as a munge credential failure; the log says both causes"
          % (theirs, ours, theirs[:5]))


def one_cluster(args, prefix):
    cluster = Cluster(extra=["--slurm", prefix])
    exporter = prom = remediator = None
    theirs = cluster.env["SLURM_VERSION"]
    ours = exporter_release(args.exporter)
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s", wait="healthy")
        if theirs.startswith(AMBIGUOUS):
            ambiguous_cluster(exporter, theirs, ours)
            return
        remediator = Remediator(args.exporter, cluster, {
            "dry_run": False, "rules": [{"alertname": "SLURMNodeNotResponding"}]},
            "--reconcile-interval=1s")
        prom = Prometheus(cluster, exporter.port, {"slurm_remediator": remediator.port})

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
        remediator.post("SLURMNodeNotResponding", "n1", "skew0001")
        wait_until("remediator mismatch", lambda: remediator.metric(
            "slurm_remediator_protocol_mismatch") == 1, timeout=30)
        assert remediator.metric("slurm_remediator_queue_depth") == 1, "the alert waits"

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
        rlog = remediator.read_log().splitlines()
        rerr = [ln for ln in rlog if "cannot read node states" in ln]
        assert len(rerr) == 1 and "level=error" in rerr[0] and "protocol mismatch" in rerr[0], rerr
        assert not [ln for ln in rlog if not ln.startswith("ts=")], "raw lines on stderr"
        log("remediator: one error line over %d rounds, the alert kept queued"
            % value(exporter.metrics(), "slurm_exporter_polls_total", result="failure"))
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        if remediator:
            log("remediator log:\n" + remediator.read_log()[-3000:])
        raise
    finally:
        stop_all(prom, remediator, exporter)
        cluster.stop()


def test(args):
    prefixes = [p for p in os.environ.get("SLURM_SKEW_PREFIXES", "").split(";") if p]
    assert prefixes, "SLURM_SKEW_PREFIXES names no Slurm installation"
    for prefix in prefixes:
        one_cluster(args, prefix)


if __name__ == "__main__":
    main(test)
