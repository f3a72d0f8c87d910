#!/usr/bin/env python3
"""Authentication of both daemons on a real cluster: the exporter with basic auth against a
bcrypt hash serves /metrics to the right password only (health endpoints stay open for
probes); the remediator with basic auth refuses wrong credentials and refuses to listen on a
non-loopback address without auth; neither logs the secrets."""
import base64
import crypt
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, free_port, log, main, wait_until  # noqa: E402

PASSWORD = "correct horse battery"


def get(url, user=None, password=None):
    req = urllib.request.Request(url)
    if user:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        return 0, str(e)


def test(args):
    cluster = Cluster()
    procs = []
    try:
        d = cluster.dir
        users = os.path.join(d, "etc", "web-users")
        with open(users, "w") as f:
            f.write("prometheus: %s\n" % crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH,
                                                                             rounds=1 << 5)))

        def spawn(name, argv):
            procs.append(cluster.spawn(name, argv))

        eport = free_port()
        spawn("exporter-auth", [args.exporter, "--web.listen-address=127.0.0.1:%d" % eport,
                                "--web.basic-auth-file=" + users, "--slurm.poll-interval=1s"])
        eurl = "http://127.0.0.1:%d" % eport
        wait_until("exporter ready", lambda: get(eurl + "/-/ready")[0] == 200)
        code, body = get(eurl + "/metrics", "prometheus", PASSWORD)
        assert code == 200 and "\nslurm_up 1\n" in body, code
        assert get(eurl + "/metrics", "prometheus", "wrong")[0] == 401
        assert get(eurl + "/metrics")[0] == 401
        assert get(eurl + "/")[0] == 401
        assert get(eurl + "/-/healthy")[0] == 200, "probes stay open"
        log("exporter: basic auth: 200 with the password, 401 without or wrong; probes open")

        policy = os.path.join(d, "etc", "policy.json")
        json.dump({"rules": [{"alertname": "X"}]}, open(policy, "w"))
        rport = free_port()
        spawn("remediator-auth", [os.path.join(os.path.dirname(args.exporter),
                                               "slurm_remediator"),
                                  "--policy.file=" + policy, "--audit.log=" + d + "/audit.jsonl",
                                  "--web.listen-address=127.0.0.1:%d" % rport,
                                  "--web.basic-auth-file=" + users])
        rurl = "http://127.0.0.1:%d" % rport
        wait_until("remediator ready", lambda: get(rurl + "/-/ready")[0] == 200)
        code, body = get(rurl + "/api/v1/status", "prometheus", PASSWORD)
        assert code == 200 and json.loads(body)["dry_run"] is True, (code, body)
        assert get(rurl + "/api/v1/status", "prometheus", "nope")[0] == 401
        assert get(rurl + "/api/v1/status")[0] == 401
        log("remediator: basic auth enforced")

        # A remediator on a non-loopback address without auth refuses to start.
        r = subprocess.run([os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
                            "--policy.file=" + policy, "--audit.log=" + d + "/audit2.jsonl",
                            "--web.listen-address=0.0.0.0:%d" % free_port()],
                           env=cluster.env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "refusing to listen" in r.stderr, (r.returncode, r.stderr)
        log("remediator without auth on 0.0.0.0: refused to start: %s"
            % r.stderr.strip().splitlines()[-1][-90:])

        for name in ("exporter-auth", "remediator-auth"):
            text = open(os.path.join(d, "log", name + ".log")).read()
            assert PASSWORD not in text, "secret in %s log" % name
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        cluster.stop()


if __name__ == "__main__":
    main(test)
