"""Helpers for end-to-end tests against a real local Slurm cluster.

Cluster wraps test/cluster/{start,stop,daemon}.sh; Exporter runs a binary on a free loopback
port and stops it by pid; parse_exposition turns the text format into {(name, labels): value}.
Only the Python standard library is used.
"""
import os
import re
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLUSTER_SCRIPTS = os.path.join(ROOT, "test", "cluster")


def log(*args):
    print("[e2e %s]" % time.strftime("%H:%M:%S"), *args, flush=True)


def wait_until(what, fn, timeout=30.0, interval=0.2):
    """Calls fn until it returns a truthy value; fails with the last value after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the condition may raise while the system settles
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s (last: %r)" % (timeout, what, last))


def wait_checks(what, fn, timeout=30.0, interval=0.3):
    """Calls fn (returning Checks) until all its checks pass; fails listing the mismatches."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last.ok():
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.0fs waiting for %s; mismatches:\n  %s"
                         % (timeout, what, "\n  ".join(last.failures[:30])))


def version_at_least(cluster, major, minor):
    """Whether the cluster runs Slurm major.minor or later."""
    got = tuple(int(x) for x in cluster.env["SLURM_VERSION"].split(".")[:2])
    return got >= (major, minor)


def rss_kib(pid):
    """Resident memory of a process, in KiB (VmRSS)."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, ghosts=0, nodes=4, with_db=True, extra=()):
        self.dir = tempfile.mkdtemp(prefix="slurm-e2e.")
        args = [os.path.join(CLUSTER_SCRIPTS, "start.sh"), "--dir", self.dir,
                "--nodes", str(nodes), "--ghost-nodes", str(ghosts)] + list(extra)
        if not with_db:
            args.append("--no-db")
        t0 = time.monotonic()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
        self.start_seconds = time.monotonic() - t0
        self.env = dict(os.environ)
        with open(os.path.join(self.dir, "env")) as f:
            for line in f:
                m = re.match(r"export (\w+)=(.*)", line.strip())
                if m:
                    self.env[m.group(1)] = m.group(2)
        log("cluster up in %.1fs at %s" % (self.start_seconds, self.dir))

    def run(self, *cmd, check=True):
        r = subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, cwd=self.dir)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr))
        return r.stdout

    def daemon(self, action, name, *extra):
        subprocess.run([os.path.join(CLUSTER_SCRIPTS, "daemon.sh"), self.dir, action, name]
                       + list(extra), check=True)

    def sbatch(self, *args):
        out = self.run("sbatch", "--parsable", "-o", "/dev/null", *args)
        return out.strip().split(";")[0]

    def spawn(self, name, argv):
        """Starts a helper daemon in its own session with the cluster's environment, logging to
        log/NAME.log; its pid goes to pids/NAME.pid, so stop() stops it if the test does not."""
        logf = open(os.path.join(self.dir, "log", name + ".log"), "w")
        p = subprocess.Popen(argv, env=self.env, stdout=logf, stderr=subprocess.STDOUT,
                             start_new_session=True)
        with open(os.path.join(self.dir, "pids", name + ".pid"), "w") as f:
            f.write(str(p.pid))
        return p

    def stop(self):
        """Stops the daemons and removes the directory (kept, for a look, with E2E_KEEP=1)."""
        keep = os.environ.get("E2E_KEEP") == "1"
        subprocess.run([os.path.join(CLUSTER_SCRIPTS, "stop.sh"), self.dir]
                       + ([] if keep else ["--purge"]))
        if keep:
            log("kept " + self.dir)


class Exporter:
    """The exporter on a free loopback port. wait="ready" (the default) returns once a poll
    reached slurmctld; wait="healthy" once it serves (for exporters that never get ready)."""

    def __init__(self, binary, cluster, *extra_args, port=None, wait="ready"):
        self.port = port or free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(cluster.dir, "log", "exporter-%d.log" % self.port)
        self.logf = open(self.log_path, "w")
        args = [binary, "--web.listen-address=127.0.0.1:%d" % self.port] + list(extra_args)
        self.proc = subprocess.Popen(args, env=cluster.env, stdout=self.logf,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        path = "/-/ready" if wait == "ready" else "/-/healthy"
        wait_until("exporter " + wait, lambda: self.get(path)[0] == 200, timeout=30)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            if self.proc.poll() is not None:
                raise AssertionError("exporter exited with %s; log:\n%s"
                                     % (self.proc.returncode, self.read_log()))
            return 0, "", {}

    def metrics(self):
        status, body, _ = self.get("/metrics")
        assert status == 200, "GET /metrics -> %s" % status
        return parse_exposition(body)

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        return self.proc.returncode


class Remediator:
    """slurm_remediator (next to the exporter's binary) on a free loopback port, with `policy`
    (a dict) written to the cluster's etc/ and the audit log in the cluster's directory."""

    def __init__(self, exporter_binary, cluster, policy, *extra_args):
        self.cluster = cluster
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        path = os.path.join(cluster.dir, "etc", "policy.json")
        json.dump(policy, open(path, "w"))
        self.proc = cluster.spawn("remediator", [
            os.path.join(os.path.dirname(exporter_binary), "slurm_remediator"),
            "--policy.file=" + path, "--audit.log=" + os.path.join(cluster.dir, "audit.jsonl"),
            "--web.listen-address=127.0.0.1:%d" % self.port] + list(extra_args))
        wait_until("remediator up", lambda: self.get("/-/ready") == 200, timeout=30)

    def get(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                return r.status
        except OSError:
            return 0

    def post(self, alertname, node, fingerprint, status="firing"):
        """Sends an Alertmanager webhook with one alert; asserts it was accepted."""
        body = json.dumps({"version": "4", "status": status, "alerts": [{
            "status": status, "fingerprint": fingerprint, "startsAt": "2026-11-26T10:00:00Z",
            "labels": {"alertname": alertname, "node": node}}]}).encode()
        req = urllib.request.Request(self.url + "/api/v1/alerts", data=body, method="POST")
        assert urllib.request.urlopen(req, timeout=5).status == 200

    def metric(self, name):
        """The value of an unlabelled sample of the remediator's /metrics, or None."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        return None

    def read_log(self):
        return open(os.path.join(self.cluster.dir, "log", "remediator.log")).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


def stop_all(*things):
    """Stops what a test started (Prometheus, remediator, exporter; None for what did not
    start), in that order."""
    for t in things:
        if t:
            t.stop()


class Prometheus:
    """A real Prometheus scraping the exporter every second with the bundled rules, each
    rule's `for:` shortened to 2s (a test cannot wait minutes)."""

    def __init__(self, cluster, exporter_port, extra_jobs=None, slurm_job=None):
        """slurm_job: more settings of the exporter's scrape job (scheme, tls_config, ...)."""
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
            "scrape_configs": [dict({"job_name": "slurm", "static_configs": [
                {"targets": ["127.0.0.1:%d" % exporter_port]}]}, **(slurm_job or {}))] + [
                {"job_name": job, "static_configs": [{"targets": ["127.0.0.1:%d" % port]}]}
                for job, port in (extra_jobs or {}).items()],
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




_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{(name, frozenset(labels.items())): float}"""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError("unparsable exposition line: %r" % line)
        labels = frozenset(_LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())))


class Checks:
    """Collects assertion outcomes so one run reports every mismatch."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def eq(self, what, got, want):
        self.count += 1
        if got != want:
            self.failures.append("%s: got %r, want %r" % (what, got, want))

    def true(self, what, cond):
        self.count += 1
        if not cond:
            self.failures.append(what)

    def ok(self):
        return not self.failures


def main(test_fn):
    import argparse
    p = argparse.ArgumentParser()
    p.add_argument("--exporter", required=True)
    args = p.parse_args()
    t0 = time.monotonic()
    try:
        test_fn(args)
    except AssertionError as e:
        traceback.print_exc()
        log("FAIL:", e)
        print("0 passed, 1 failed")
        sys.exit(1)
    log("PASS in %.1fs" % (time.monotonic() - t0))
    print("1 passed, 0 failed")
