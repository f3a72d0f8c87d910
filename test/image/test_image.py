#!/usr/bin/env python3
"""The container image (scripts/image.sh builds it) against a real local cluster, run with
podman on the host network, as the chart runs it: non-root (65534), read-only root file system,
every capability dropped, no new privileges.

- munged in its own container of the same image (the chart's sidecar command line), sharing
  only the socket directory with the exporter: slurm_up 1, node counts equal sinfo's,
  slurm_munge_up 1, and the security settings are what the processes actually run with;
- munged and the exporter in one container;
- the remediator drains a node on an Alertmanager webhook and resumes it on the resolution;
- a munge key that slurmctld does not share, or no munge socket: the exporter keeps serving
  (no crash loop), with the right gauges and a log line saying what is wrong; no slurm.conf: it
  exits at once with one line naming the file.

Environment: IMAGE (the tag), IMAGE_PODMAN (the podman command line, scripts/image.sh podman).
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from harness import Cluster, free_port, log, parse_exposition, value, wait_until  # noqa: E402

IMAGE = os.environ.get("IMAGE", "")
PODMAN = shlex.split(os.environ.get("IMAGE_PODMAN", "podman"))
UID = 65534
SOCKET_DIR = "/run/munge"
# The chart's munged sidecar (chart/templates/_helpers.tpl, slurm-exporter.mungeSidecar).
MUNGED = ["munged", "--foreground", "--force", "--key-file=/etc/munge/munge.key",
          "--socket=/run/munge/munge.socket.2", "--seed-file=/var/lib/munge/munged.seed",
          "--pid-file=/run/munge/munged.pid", "--log-file=/dev/stderr"]


def podman(*args, check=True):
    r = subprocess.run(PODMAN + list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("podman %s failed (%d): %s" % (args[0], r.returncode, r.stderr))
    return r.stdout.strip()


class Container:
    """One detached container of IMAGE, as the chart's securityContext runs it, on the host
    network. stop() removes it by id."""

    def __init__(self, name, command, mounts=(), entrypoint=None, env=None, user=UID):
        args = ["run", "-d", "--name", "slurm-exporter-test-%d-%s" % (os.getpid(), name),
                "--network", "host", "--read-only",
                "--user", "%d:%d" % (user, user), "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges",
                "--tmpfs", "/tmp:rw,size=16m"]
        for m in mounts:
            args += ["-v", m]
        for k, v in (env or {}).items():
            args += ["-e", "%s=%s" % (k, v)]
        if entrypoint:
            args += ["--entrypoint", entrypoint]
        self.name = name
        self.id = podman(*(args + [IMAGE] + list(command)))
        log("container %s %s" % (name, self.id[:12]))

    def running(self):
        return podman("inspect", "--format", "{{.State.Running}}", self.id) == "true"

    def logs(self):
        r = subprocess.run(PODMAN + ["logs", self.id], capture_output=True, text=True)
        return r.stdout + r.stderr

    def exec(self, *cmd):
        return podman("exec", self.id, *cmd)

    def stop(self):
        subprocess.run(PODMAN + ["rm", "-f", "-t", "5", self.id], capture_output=True)


def get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


class Setup:
    """Host folders the containers mount: etc/ (slurm.conf naming the container's munge socket),
    munge/ and badmunge/ (the cluster's key and another key, owned by the containers' user),
    one socket folder per munged, and the remediator's audit folder."""

    def __init__(self, cluster):
        self.dir = os.path.join(cluster.dir, "image")
        self.etc = self.mkdir("etc", 0o755)
        conf = open(os.path.join(cluster.dir, "etc", "slurm.conf")).read()
        sock = cluster.env.get("MUNGE_SOCKET") or re.search(
            r"AuthInfo=socket=(\S+)", conf).group(1)
        conf = conf.replace(sock, SOCKET_DIR + "/munge.socket.2")
        with open(os.path.join(self.etc, "slurm.conf"), "w") as f:
            f.write(conf)
        for extra in ("gres.conf",):
            src = os.path.join(cluster.dir, "etc", extra)
            if os.path.exists(src):
                shutil.copy(src, self.etc)
        for name in os.listdir(self.etc):
            os.chmod(os.path.join(self.etc, name), 0o644)
        self.key = self.key_dir("munge", open(os.path.join(
            cluster.dir, "munge", "munge.key"), "rb").read())
        self.bad_key = self.key_dir("badmunge", os.urandom(1024))
        self.audit = self.mkdir("audit", 0o755, owner=True)

    def mkdir(self, name, mode, owner=False):
        path = os.path.join(self.dir, name)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
        if owner:
            os.chown(path, UID, UID)
        return path

    def key_dir(self, name, key):
        path = self.mkdir(name, 0o755, owner=True)
        keyfile = os.path.join(path, "munge.key")
        with open(keyfile, "wb") as f:
            f.write(key)
        os.chown(keyfile, UID, UID)
        os.chmod(keyfile, 0o400)
        return path

    def socket_dir(self, name):
        return self.mkdir("run-" + name, 0o755, owner=True)

    def munged(self, name, key_dir=None):
        """munged in its own container, as the chart's sidecar; returns (container, socket
        folder)."""
        run = self.socket_dir(name)
        c = Container(name, MUNGED[1:], entrypoint=MUNGED[0], mounts=[
            "%s:/etc/munge:ro" % (key_dir or self.key), "%s:%s" % (run, SOCKET_DIR),
            "%s:/var/lib/munge" % self.mkdir("lib-" + name, 0o755, owner=True)])
        wait_until("munged socket in " + name,
                   lambda: os.path.exists(os.path.join(run, "munge.socket.2")), timeout=20)
        return c, run


def exporter_args(port):
    return ["--web.listen-address=127.0.0.1:%d" % port, "--slurm.conf=/etc/slurm/slurm.conf",
            "--slurm.poll-interval=2s"]


def sinfo_counts(cluster):
    """({state: nodes}, node count) as sinfo prints them, each node once (sinfo -N lists a
    node once per partition)."""
    nodes = {}
    for line in cluster.run("sinfo", "-h", "-N", "-o", "%N %T").splitlines():
        name, state = line.split()
        nodes[name] = state.rstrip("*~#!%$@^-")
    counts = {}
    for state in nodes.values():
        counts[state] = counts.get(state, 0) + 1
    return counts, len(nodes)


def check_serves_cluster(cluster, port, what):
    url = "http://127.0.0.1:%d" % port
    wait_until(what + " ready", lambda: get(url + "/-/ready")[0] == 200, timeout=60)
    metrics = parse_exposition(get(url + "/metrics")[1])
    assert value(metrics, "slurm_up") == 1, "%s: slurm_up %s" % (what, value(metrics, "slurm_up"))
    assert value(metrics, "slurm_munge_up") == 1, what + ": slurm_munge_up not 1"
    counts, total = sinfo_counts(cluster)
    for state, n in counts.items():
        got = value(metrics, "slurm_nodes_" + state)
        assert got == n, "%s: slurm_nodes_%s %s, sinfo says %d" % (what, state, got, n)
    assert value(metrics, "slurm_nodes") == total, what + ": node total"
    log("%s: slurm_up 1, munge_up 1, nodes %s as sinfo" % (what, counts))


def check_security(container):
    """What the kernel says of the container's first process: uid, capabilities, NoNewPrivs;
    and that its root file system is read-only."""
    status = container.exec("cat", "/proc/1/status")
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", status, re.M))
    assert fields["Uid"].split()[0] == str(UID), "uid " + fields["Uid"]
    for cap in ("CapEff", "CapPrm", "CapBnd"):
        assert int(fields[cap], 16) == 0, "%s %s" % (cap, fields[cap])
    assert fields["NoNewPrivs"] == "1", "NoNewPrivs " + fields["NoNewPrivs"]
    r = subprocess.run(PODMAN + ["exec", container.id, "touch", "/opt/x"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r.stderr
    log("%s: uid %d, no capabilities, NoNewPrivs, read-only root" % (container.name, UID))


def test_sidecar(cluster, setup, started):
    munged, run = setup.munged("munged")
    started.append(munged)
    port = free_port()
    exporter = Container("exporter", exporter_args(port), mounts=[
        "%s:/etc/slurm:ro" % setup.etc, "%s:%s:ro" % (run, SOCKET_DIR)])
    started.append(exporter)
    check_serves_cluster(cluster, port, "exporter beside a munged container")
    check_security(exporter)
    check_security(munged)
    return run


def test_one_container(cluster, setup, started):
    port = free_port()
    # munged in the background of the container's shell, logging to the container's stderr,
    # as the sidecar does; the exporter, exec'd, is the container's main process.
    script = "%s & exec slurm_exporter %s" % (" ".join(MUNGED), " ".join(exporter_args(port)))
    c = Container("exporter-munged", ["-c", script], entrypoint="/bin/sh", mounts=[
        "%s:/etc/slurm:ro" % setup.etc, "%s:/etc/munge:ro" % setup.key,
        "%s:%s" % (setup.socket_dir("one"), SOCKET_DIR),
        "%s:/var/lib/munge" % setup.mkdir("lib-one", 0o755, owner=True)])
    started.append(c)
    check_serves_cluster(cluster, port, "exporter and munged in one container")


def node_state(cluster, node):
    line = cluster.run("scontrol", "show", "node", node, "-o")
    reason = re.search(r"\bReason=(.*?)( \[|$)", line)
    return re.search(r"\bState=(\S+)", line).group(1), reason.group(1) if reason else ""


def webhook(port, status, node, token=None, prefix="img-"):
    """Sends Alertmanager's webhook for one SLURMNodeNotResponding alert on `node`; returns the
    HTTP status."""
    body = json.dumps({"version": "4", "status": status, "alerts": [{
        "status": status, "fingerprint": prefix + node, "startsAt": "2026-12-05T06:00:00Z",
        "labels": {"alertname": "SLURMNodeNotResponding", "node": node,
                   "remediation": "drain"}}]}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/alerts" % port, data=body,
                                 method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def admin_user(cluster):
    """(name, uid) of the user the remediator acts as: the host's "slurm" (the SlurmUser of
    Debian's packages), given AdminLevel=Admin. Not nobody: Slurm 25.11 and later never resolve
    nobody's name, so nobody can hold no AdminLevel (src/common/uid.c)."""
    import pwd
    cluster.run("sacctmgr", "-i", "add", "user", "slurm", "account=root", "adminlevel=admin")
    return "slurm", pwd.getpwnam("slurm").pw_uid


def test_remediator(cluster, setup, run, started):
    # Draining needs root, the SlurmUser or AdminLevel=Admin.
    name, uid = admin_user(cluster)
    os.chown(setup.audit, uid, uid)
    policy = {"dry_run": False, "rules": [{"alertname": "SLURMNodeNotResponding",
                                           "matchers": {"remediation": "drain"}}],
              "max_drained_nodes": 2, "max_drained_fraction": 0.5,
              "max_partition_fraction": 1.0}
    with open(os.path.join(setup.etc, "policy.json"), "w") as f:
        json.dump(policy, f)
    os.chmod(os.path.join(setup.etc, "policy.json"), 0o644)
    port = free_port()
    c = Container("remediator", [
        "--policy.file=/etc/slurm/policy.json", "--audit.log=/var/lib/slurm-remediator/audit.jsonl",
        "--web.listen-address=127.0.0.1:%d" % port, "--slurm.conf=/etc/slurm/slurm.conf",
        "--reconcile-interval=1s"], entrypoint="slurm_remediator", mounts=[
        "%s:/etc/slurm:ro" % setup.etc, "%s:%s:ro" % (run, SOCKET_DIR),
        "%s:/var/lib/slurm-remediator" % setup.audit], user=uid)
    started.append(c)
    wait_until("remediator ready",
               lambda: get("http://127.0.0.1:%d/-/ready" % port)[0] == 200, timeout=30)
    assert webhook(port, "firing", "n2") == 200
    wait_until("n2 drained by the remediator container",
               lambda: "DRAIN" in node_state(cluster, "n2")[0], timeout=30)
    state, reason = node_state(cluster, "n2")
    assert "slurm_remediator" in reason or "SLURMNodeNotResponding" in reason, reason
    assert webhook(port, "resolved", "n2") == 200
    wait_until("n2 resumed", lambda: "DRAIN" not in node_state(cluster, "n2")[0], timeout=30)
    audit = open(os.path.join(setup.audit, "audit.jsonl")).read()
    assert '"drain"' in audit and '"resume"' in audit, audit
    log("remediator container as %s (uid %d, AdminLevel=Admin): drained n2 (%s) and resumed "
        "it; audit log on the volume" % (name, uid, reason))


def wait_log(container, pattern, what):
    wait_until(what, lambda: re.search(pattern, container.logs(), re.I), timeout=40)
    line = re.search(r"^.*(?:%s).*$" % pattern, container.logs(), re.M | re.I).group(0)
    log("%s: %s" % (what, line.strip()[:200]))


def test_faults(cluster, setup, run, started):
    # No slurm.conf: a configuration error, not a state of the cluster. The exporter exits at
    # once with status 1 and one line naming the file and the fix (Kubernetes shows it in the
    # pod's CrashLoopBackOff reason), rather than serving gauges of a cluster it cannot name.
    c = Container("no-conf", exporter_args(free_port()), mounts=["%s:%s:ro" % (run, SOCKET_DIR)])
    started.append(c)
    wait_until("no slurm.conf: exited", lambda: not c.running(), timeout=30)
    code = podman("inspect", "--format", "{{.State.ExitCode}}", c.id)
    assert code == "1", "no slurm.conf: exit code " + code
    lines = [l for l in c.logs().splitlines() if l.strip()]
    assert len(lines) == 1 and "/etc/slurm/slurm.conf" in lines[0] and \
        "set --slurm.conf" in lines[0], "no slurm.conf: log %r" % lines
    log("no slurm.conf: exit 1, %s" % lines[0][:200])

    # A munge key slurmctld does not share: slurm_up 0, slurm_munge_up 0 (its credential is
    # refused), and the log line names the credential.
    bad, bad_run = setup.munged("munged-badkey", key_dir=setup.bad_key)
    started.append(bad)
    port = free_port()
    c = Container("bad-key", exporter_args(port), mounts=[
        "%s:/etc/slurm:ro" % setup.etc, "%s:%s:ro" % (bad_run, SOCKET_DIR)])
    started.append(c)
    wait_log(c, r"rejected our munge credential", "munge key mismatch")
    wait_until("bad key: slurm_up 0", lambda: value(parse_exposition(
        get("http://127.0.0.1:%d/metrics" % port)[1]), "slurm_up") == 0, timeout=30)
    metrics = parse_exposition(get("http://127.0.0.1:%d/metrics" % port)[1])
    assert value(metrics, "slurm_munge_up") == 0, "bad key: slurm_munge_up not 0 (wrong key)"
    assert c.running(), "bad key: the container exited"

    # No munge socket: slurm_munge_up 0 and a line naming the socket.
    port = free_port()
    c = Container("no-socket", exporter_args(port), mounts=["%s:/etc/slurm:ro" % setup.etc])
    started.append(c)
    wait_log(c, r"munge=/run/munge/munge\.socket\.2 err=.*munge failed", "no munge socket")
    wait_log(c, r"our munged gave no credential", "no munge socket, slurmctld not blamed")
    wait_until("no socket: slurm_munge_up 0", lambda: value(parse_exposition(
        get("http://127.0.0.1:%d/metrics" % port)[1]), "slurm_munge_up") == 0, timeout=30)
    assert c.running(), "no socket: the container exited"


def remove_leftovers():
    """Containers of an earlier run of this test that ended without its clean-up (killed)."""
    for name in podman("ps", "-a", "--format", "{{.Names}}").split():
        m = re.match(r"slurm-exporter-test-(\d+)-", name)
        if m and not os.path.exists("/proc/" + m.group(1)):
            podman("rm", "-f", "-t", "0", name, check=False)
            log("removed leftover container " + name)


def main():
    assert IMAGE, "set IMAGE (scripts/image.sh test builds it and sets it)"
    remove_leftovers()
    t0 = time.monotonic()
    cluster = Cluster(nodes=4)
    started = []
    try:
        setup = Setup(cluster)
        run = test_sidecar(cluster, setup, started)
        test_one_container(cluster, setup, started)
        test_remediator(cluster, setup, run, started)
        test_faults(cluster, setup, run, started)
    except AssertionError as e:
        import traceback
        traceback.print_exc()
        for c in started:
            print("--- log of %s:\n%s" % (c.name, c.logs()[-3000:]))
        log("FAIL:", e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        for c in reversed(started):
            c.stop()
        cluster.stop()
    log("PASS in %.1fs" % (time.monotonic() - t0))
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
