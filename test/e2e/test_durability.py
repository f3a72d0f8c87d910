#!/usr/bin/env python3
"""slurm_remediator killed with SIGKILL in the middle of a burst of webhook deliveries: every
alert acknowledged with 200 is in the audit log; after a restart each one is decided exactly
once (nothing repeated, nothing forgotten), and the drains it made hold."""
import concurrent.futures
import json
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, free_port, log, main, wait_until  # noqa: E402


def post(url, fingerprint, node, alertname):
    body = json.dumps({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": fingerprint, "startsAt": "2026-11-26T10:00:00Z",
        "labels": {"alertname": alertname, "node": node}}]}).encode()
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return fingerprint, r.status
    except Exception:
        return fingerprint, 0


def audit_entries(path):
    out = []
    for line in open(path):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass  # a torn last line
    return out


def test(args):
    cluster = Cluster()
    procs = []
    try:
        d = cluster.dir
        policy = os.path.join(d, "etc", "policy.json")
        json.dump({"dry_run": False, "rules": [{"alertname": "SLURMNodeNotResponding"}],
                   "max_drained_nodes": 10, "max_drained_fraction": 1,
                   "max_partition_fraction": 1, "rate_limit": {"drains": 100,
                                                                "window_seconds": 600}},
                  open(policy, "w"))
        audit = os.path.join(d, "audit.jsonl")
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        argv = [os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
                "--policy.file=" + policy, "--audit.log=" + audit,
                "--web.listen-address=127.0.0.1:%d" % port]

        def start():
            p = cluster.spawn("remediator", argv)
            procs.append(p)
            wait_until("remediator ready", lambda: post(url + "/api/v1/alerts", "ping", "n1",
                                                        "Ping")[1] == 200)
            return p

        p = start()
        # A burst: 3 drains (n1..n3) among 400 alerts that match no rule, from 8 clients.
        jobs = [("drain-%s" % n, n, "SLURMNodeNotResponding") for n in ("n1", "n2", "n3")]
        jobs += [("noise-%04d" % i, "n4", "Noise") for i in range(400)]
        acked = set()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(post, url + "/api/v1/alerts", *j) for j in jobs]
            # SIGKILL in the middle of the burst: once about a quarter is recorded.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and sum(1 for _ in open(audit)) < 100:
                time.sleep(0.005)
            os.kill(p.pid, signal.SIGKILL)
            for f in futures:
                fp, status = f.result()
                if status == 200:
                    acked.add(fp)
        p.wait()
        received = {e["fingerprint"] for e in audit_entries(audit) if e["event"] == "received"}
        lost = acked - received
        assert not lost, "acknowledged but not in the audit log: %s" % sorted(lost)[:5]
        log("SIGKILL during a burst: %d of %d deliveries acknowledged, all %d in the audit log"
            % (len(acked), len(jobs), len(acked)))

        start()
        want = received | {"ping"}

        def decided():
            counts = {}
            for e in audit_entries(audit):
                if e["event"] == "decision" and e.get("fingerprint"):
                    counts[e["fingerprint"]] = counts.get(e["fingerprint"], 0) + 1
            return counts
        counts = wait_until("every received alert decided after the restart",
                            lambda: (lambda c: c if want <= set(c) else None)(decided()),
                            timeout=60)
        repeated = {k: v for k, v in counts.items() if v > 1}
        assert not repeated, "decided more than once: %s" % repeated
        drained = [n for n in ("n1", "n2", "n3") if "drain-" + n in received]
        for n in drained:
            state = cluster.run("scontrol", "show", "node", n, "-o")
            assert "DRAIN" in state and "remediator: SLURMNodeNotResponding" in state, state
        log("after restart: %d alerts decided exactly once each; drains held: %s"
            % (len(counts), ", ".join(drained) or "none acknowledged"))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=15)
        cluster.stop()


if __name__ == "__main__":
    main(test)
