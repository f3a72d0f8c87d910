#!/usr/bin/env python3
"""Sustained concurrent load on loopback (wrk, bounded to a few seconds each): /metrics with 16
connections has no errors and bounded memory; with --web.max-requests=2 the excess gets 503s
while the process keeps serving; the remediator's webhook under 8 connections posting the same
alert answers 200 throughout and makes exactly one decision."""
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, Exporter, free_port, log, main, rss_kib, wait_until  # noqa: E402


def wrk(url, conns, seconds, script=None):
    cmd = ["wrk", "-t", "2", "-c", str(conns), "-d", "%ds" % seconds]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return reqs, int(non2xx.group(1)) if non2xx else 0, sum(map(int, sock.groups())) if sock else 0



def test(args):
    cluster = Cluster(ghosts=50)
    exporter = limited = remediator = None
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--web.max-requests=32")
        rss0 = rss_kib(exporter.proc.pid)
        reqs, bad, sock = wrk(exporter.url + "/metrics", 16, 5)
        rss1 = rss_kib(exporter.proc.pid)
        assert bad == 0 and sock == 0, (reqs, bad, sock)
        if os.environ.get("ASAN_OPTIONS"):
            # ASan's quarantine keeps freed memory on purpose; leaks are LeakSanitizer's job,
            # checked when the exporter exits (its exit code below).
            log("ASan build: RSS bound not checked (%d -> %d KiB)" % (rss0, rss1))
        else:
            assert rss1 < rss0 + 64 * 1024, "RSS grew from %d to %d KiB" % (rss0, rss1)
        log("/metrics, 16 connections, 5 s: %d requests, 0 errors; RSS %d -> %d KiB"
            % (reqs, rss0, rss1))

        limited = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                           "--web.max-requests=2")
        reqs, bad, sock = wrk(limited.url + "/metrics", 16, 3)
        assert bad > 0, "no 503 over the limit (%d requests)" % reqs
        # Requests still queued when wrk stops may keep the two slots busy for a moment (the
        # 503 says Retry-After: 1); then the process serves again.
        wait_until("a 200 after the burst", lambda: limited.get("/metrics")[0] == 200,
                   timeout=10)
        assert limited.proc.poll() is None
        log("--web.max-requests=2, 16 connections: %d requests, %d answered 503, still serving"
            % (reqs, bad))

        d = cluster.dir
        policy = os.path.join(d, "etc", "policy.json")
        json.dump({"dry_run": True, "rules": [{"alertname": "SLURMNodeNotResponding"}]},
                  open(policy, "w"))
        audit = os.path.join(d, "audit.jsonl")
        rport = free_port()
        remediator = cluster.spawn("remediator", [
            os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
            "--policy.file=" + policy, "--audit.log=" + audit,
            "--web.listen-address=127.0.0.1:%d" % rport])
        wait_until("remediator ready", lambda: subprocess.run(
            ["curl", "-sf", "http://127.0.0.1:%d/-/ready" % rport]).returncode == 0)
        body = json.dumps({"version": "4", "status": "firing", "alerts": [{
            "status": "firing", "fingerprint": "load00000001", "startsAt": "2026-11-26T10:00:00Z",
            "labels": {"alertname": "SLURMNodeNotResponding", "node": "n1"}}]})
        script = os.path.join(d, "post.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = %s\n'
                    'wrk.headers["Content-Type"] = "application/json"\n' % json.dumps(body))
        reqs, bad, sock = wrk("http://127.0.0.1:%d/api/v1/alerts" % rport, 8, 3, script)
        assert bad == 0 and sock == 0, (reqs, bad, sock)
        time.sleep(1)
        decisions = [l for l in open(audit) if '"event":"decision"' in l]
        assert len(decisions) == 1, "%d decisions for one alert" % len(decisions)
        log("webhook, 8 connections, 3 s: %d deliveries of one alert, 0 errors, 1 decision" % reqs)
    finally:
        if remediator:
            remediator.terminate()
            remediator.wait(timeout=15)
        codes = [e.stop() for e in (exporter, limited) if e]
        cluster.stop()
        assert all(c == 0 for c in codes), "exporter exit codes %s (LeakSanitizer?)" % codes


if __name__ == "__main__":
    main(test)
