#!/usr/bin/env python3
"""Authentication and TLS of both daemons on a real cluster: the exporter with basic auth
against a bcrypt hash serves /metrics to the right password only (health endpoints stay open
for probes); the exporter over HTTPS with required client certificates and basic auth, scraped
by a real Prometheus; the remediator with basic auth refuses wrong credentials, over HTTPS
with client certificates serves only callers that present one, refuses a key that does not
match its certificate, and refuses to listen on a non-loopback address without auth; neither
logs the secrets. The installed exporter run as an unprivileged user (nobody) reads the cluster:
it needs no Slurm rights beyond what any user has."""
import base64
import crypt
import json
import os
import ssl
import subprocess
import shutil
import sys
import tempfile
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Cluster, Prometheus, ROOT, free_port, log, main, parse_exposition,  # noqa: E402
                     value, wait_until)

PASSWORD = "correct horse battery"
TLS = os.path.join(ROOT, "test", "fixtures", "tls")


def tls_context(client_cert=True):
    ctx = ssl.create_default_context(cafile=os.path.join(TLS, "ca.pem"))
    if client_cert:
        ctx.load_cert_chain(os.path.join(TLS, "client.pem"), os.path.join(TLS, "client-key.pem"))
    return ctx


def get(url, user=None, password=None, context=None):
    req = urllib.request.Request(url)
    if user:
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as r:
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
        assert code == 200 and "\nslurm_up 1\n" in body, (code, body[-300:])
        assert get(eurl + "/metrics", "prometheus", "wrong")[0] == 401
        assert get(eurl + "/metrics")[0] == 401
        assert get(eurl + "/")[0] == 401
        assert get(eurl + "/-/healthy")[0] == 200, "probes stay open"
        log("exporter: basic auth: 200 with the password, 401 without or wrong; probes open")

        # HTTPS with required client certificates and basic auth, scraped by Prometheus.
        tport = free_port()
        tls_flags = ["--web.tls-cert-file=" + os.path.join(TLS, "server.pem"),
                     "--web.tls-key-file=" + os.path.join(TLS, "server-key.pem"),
                     "--web.tls-client-ca-file=" + os.path.join(TLS, "client-ca.pem")]
        spawn("exporter-tls", [args.exporter, "--web.listen-address=127.0.0.1:%d" % tport,
                               "--web.basic-auth-file=" + users, "--slurm.poll-interval=1s"]
              + tls_flags)
        turl = "https://127.0.0.1:%d" % tport
        wait_until("exporter ready over TLS",
                   lambda: get(turl + "/-/ready", context=tls_context())[0] == 200)
        code, body = get(turl + "/metrics", "prometheus", PASSWORD, context=tls_context())
        assert code == 200 and "\nslurm_up 1\n" in body, code
        assert get(turl + "/metrics", "prometheus", "wrong", context=tls_context())[0] == 401
        code, err = get(turl + "/metrics", "prometheus", PASSWORD,
                        context=tls_context(client_cert=False))
        assert code == 0, "served without a client certificate: %d" % code
        code, err = get("http://127.0.0.1:%d/metrics" % tport, "prometheus", PASSWORD)
        assert code == 0, "plain HTTP served on the TLS port: %d" % code
        log("exporter over TLS: 200 with client certificate and password; no page without a "
            "certificate (%s) or over plain HTTP" % err[-60:])
        prom = Prometheus(cluster, tport, slurm_job={
            "scheme": "https",
            "tls_config": {"ca_file": os.path.join(TLS, "ca.pem"),
                           "cert_file": os.path.join(TLS, "client.pem"),
                           "key_file": os.path.join(TLS, "client-key.pem")},
            "basic_auth": {"username": "prometheus", "password": PASSWORD}})
        try:
            def scraped():
                up = prom.query('up{job="slurm"}')
                s_up = prom.query('slurm_up{job="slurm"}')
                return bool(up) and up[0]["value"][1] == "1" and bool(s_up) and \
                    s_up[0]["value"][1] == "1"
            wait_until("Prometheus scrapes the exporter over TLS", scraped, timeout=60)
            log("real Prometheus over HTTPS + client certificate + basic auth: up 1, slurm_up 1")
        finally:
            prom.stop()

        # The installed exporter as nobody (uid/gid 65534, no supplementary groups).
        inst = tempfile.mkdtemp(prefix="slurm-exporter-install.")
        try:
            os.chmod(inst, 0o755)
            subprocess.run(["cmake", "--install", os.path.dirname(args.exporter), "--prefix", inst],
                           check=True, stdout=subprocess.DEVNULL)
            nport = free_port()
            p = cluster.spawn("exporter-nobody", [
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                os.path.join(inst, "bin", "slurm_exporter"),
                "--web.listen-address=127.0.0.1:%d" % nport, "--slurm.poll-interval=1s"])
            procs.append(p)
            nurl = "http://127.0.0.1:%d" % nport
            wait_until("unprivileged exporter ready", lambda: get(nurl + "/-/ready")[0] == 200)
            uid = [l.split()[1] for l in open("/proc/%d/status" % p.pid) if l.startswith("Uid:")]
            assert uid == ["65534"], "exporter runs as uid %s" % uid
            m = parse_exposition(get(nurl + "/metrics")[1])
            assert value(m, "slurm_up") == 1, value(m, "slurm_up")
            assert value(m, "slurm_nodes") == 4, value(m, "slurm_nodes")
            assert value(m, "slurm_munge_up") == 1, "munge round trip as nobody"
            for src in ("nodes", "jobs", "scheduler", "ping"):
                assert value(m, "slurm_exporter_source_success", source=src) == 1, src
            log("installed exporter as nobody (uid 65534): slurm_up 1, 4 nodes, munge, sdiag, "
                "jobs all loaded")
        finally:
            shutil.rmtree(inst, ignore_errors=True)

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

        # The remediator over HTTPS with client certificates as its only authentication.
        remediator = os.path.join(os.path.dirname(args.exporter), "slurm_remediator")
        rtport = free_port()
        spawn("remediator-tls", [remediator, "--policy.file=" + policy,
                                 "--audit.log=" + d + "/audit-tls.jsonl",
                                 "--web.listen-address=127.0.0.1:%d" % rtport] + tls_flags)
        rturl = "https://127.0.0.1:%d" % rtport
        wait_until("remediator ready over TLS",
                   lambda: get(rturl + "/-/ready", context=tls_context())[0] == 200)
        code, body = get(rturl + "/api/v1/status", context=tls_context())
        assert code == 200 and json.loads(body)["dry_run"] is True, (code, body)
        assert get(rturl + "/api/v1/status", context=tls_context(client_cert=False))[0] == 0
        log("remediator over TLS: 200 with a client certificate, no page without one")
        r = subprocess.run([remediator, "--policy.file=" + policy,
                            "--audit.log=" + d + "/audit3.jsonl",
                            "--web.listen-address=127.0.0.1:%d" % free_port(),
                            "--web.tls-cert-file=" + os.path.join(TLS, "server.pem"),
                            "--web.tls-key-file=" + os.path.join(TLS, "other-key.pem")],
                           env=cluster.env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "does not match" in r.stderr, (r.returncode, r.stderr)
        log("remediator with a key that does not match its certificate: refused to start")

        # A remediator on a non-loopback address without auth refuses to start.
        r = subprocess.run([os.path.join(os.path.dirname(args.exporter), "slurm_remediator"),
                            "--policy.file=" + policy, "--audit.log=" + d + "/audit2.jsonl",
                            "--web.listen-address=0.0.0.0:%d" % free_port()],
                           env=cluster.env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "refusing to listen" in r.stderr, (r.returncode, r.stderr)
        log("remediator without auth on 0.0.0.0: refused to start: %s"
            % r.stderr.strip().splitlines()[-1][-90:])

        for name in ("exporter-auth", "exporter-tls", "remediator-auth"):
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
