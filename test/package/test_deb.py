#!/usr/bin/env python3
"""The Debian package on this machine (as root): lintian passes but for the tags explained
below; `dpkg -i` installs both binaries, the units, their /etc files, rules and dashboards;
`systemd-analyze verify` accepts the units. Nothing here boots systemd, so each unit's ExecStart
line runs as the unit's user with its EnvironmentFile, as systemd would start it (flags that
point it at the test cluster and a free loopback port appended): the exporter as
slurm-exporter scrapes the real cluster (slurm_up 1, node counts equal sinfo's, munge up); the
remediator as slurm serves and audits a webhook in its state directory. `dpkg --purge` then
leaves none of the package's files, nor its state directory.

usage: test/package/test_deb.py PATH.deb
"""
import json
import os
import pwd
import re
import shlex
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from harness import Cluster, free_port, log, parse_exposition, value, wait_until  # noqa: E402

PACKAGE = "slurm-exporter"
# lintian tags that remain, each with its reason (everything else lintian says fails the test).
EXPLAINED = {
    # Debian's libslurmfull.so is private to slurm-wlm-basic-plugins, in
    # /usr/lib/x86_64-linux-gnu/slurm-wlm, outside ld.so's path: the binaries find it through
    # RUNPATH, as Slurm's own commands do.
    "custom-library-search-path": "RUNPATH to Debian's private libslurmfull.so",
    # A package built here has no maintainer address unless $DEBEMAIL names one.
    "bogus-mail-host": "set DEBFULLNAME and DEBEMAIL when building",
    "bogus-mail-host-in-debian-changelog": "the same, in the changelog",
    "initial-upload-closes-no-bugs": "not an upload to Debian",
    # --help is the reference, with the documentation in /usr/share/doc/slurm-exporter.
    "no-manual-page": "no man pages: --help and /usr/share/doc/slurm-exporter",
}


def sh(*cmd, check=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                       r.stderr))
    return r.stdout


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True,
                       text=True)
    return r.returncode == 0 and "installed" in r.stdout


def check_lintian(deb):
    out = sh("lintian", "--no-tag-display-limit", deb, check=False)
    tags = []
    for line in out.splitlines():
        m = re.match(r"^([EWIPX]): \S+: (\S+)(.*)$", line)
        if m:
            tags.append((m.group(1), m.group(2), m.group(3).strip()))
    bad = [t for t in tags if t[0] in "EW" and t[1] not in EXPLAINED]
    for level, tag, extra in tags:
        log("lintian %s %s %s%s" % (level, tag, extra[:80],
                                    " (explained)" if tag in EXPLAINED else ""))
    assert not bad, "lintian errors/warnings not explained: %s" % bad
    log("lintian: %d tags, none unexplained" % len(tags))


def files_of_package():
    return [p for p in sh("dpkg", "-L", PACKAGE).splitlines() if p and p != "/."]


def unit_start(unit, extra):
    """The unit's ExecStart as argv, with $VARS from its EnvironmentFile, then `extra`; and
    its User."""
    text = open("/lib/systemd/system/" + unit).read()
    env = {}
    m = re.search(r"^EnvironmentFile=-?(\S+)$", text, re.M)
    if m and os.path.exists(m.group(1)):
        for line in open(m.group(1)):
            kv = re.match(r'^(\w+)="?(.*?)"?$', line.strip())
            if kv and not line.startswith("#"):
                env[kv.group(1)] = kv.group(2)
    argv = []
    for word in shlex.split(re.search(r"^ExecStart=(.*)$", text, re.M).group(1)):
        v = re.fullmatch(r"\$(\w+)", word)
        argv += shlex.split(env.get(v.group(1), "")) if v else [word]
    user = re.search(r"^User=(\S+)$", text, re.M).group(1)
    return argv + extra, user


def run_as(user, argv, logf, cluster):
    """argv as `user` (its groups, no new privileges), as the unit's User= would run it."""
    return subprocess.Popen(["setpriv", "--reuid", user, "--regid", user, "--init-groups",
                             "--no-new-privs", "--"] + argv, stdout=logf,
                            stderr=subprocess.STDOUT, env=cluster.env, cwd="/",
                            start_new_session=True)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


def check_exporter(cluster, procs):
    port = free_port()
    argv, user = unit_start("slurm_exporter.service", [
        "--web.listen-address=127.0.0.1:%d" % port,
        "--slurm.conf=" + os.path.join(cluster.dir, "etc", "slurm.conf")])
    assert argv[0] == "/usr/bin/slurm_exporter" and user == "slurm-exporter", (argv, user)
    logf = open(os.path.join(cluster.dir, "log", "deb-exporter.log"), "w")
    p = run_as(user, argv, logf, cluster)
    procs.append(p)
    url = "http://127.0.0.1:%d" % port
    wait_until("installed exporter ready", lambda: get(url + "/-/ready")[0] == 200, timeout=60)
    m = parse_exposition(get(url + "/metrics")[1])
    assert value(m, "slurm_up") == 1 and value(m, "slurm_munge_up") == 1, "up/munge"
    nodes = dict(line.split() for line in
                 cluster.run("sinfo", "-h", "-N", "-o", "%N %T").splitlines())  # once per node
    states = {}
    for s in nodes.values():
        s = s.rstrip("*~#!%$@^-")
        states[s] = states.get(s, 0) + 1
    for s, n in states.items():
        assert value(m, "slurm_nodes_" + s) == n, "slurm_nodes_%s vs sinfo %d" % (s, n)
    uid = int(re.search(r"^Uid:\s+(\d+)", open("/proc/%d/status" % p.pid).read(), re.M).group(1))
    assert uid == pwd.getpwnam(user).pw_uid, "exporter uid %d" % uid
    log("installed exporter as %s (uid %d): slurm_up 1, munge up, nodes %s as sinfo"
        % (user, uid, states))


def check_remediator(cluster, procs):
    # systemd makes StateDirectory= (/var/lib/slurm-remediator, 0750, owned by User=).
    argv, user = unit_start("slurm_remediator.service", [])
    state = "/var/lib/slurm-remediator"
    os.makedirs(state, mode=0o750, exist_ok=True)
    pw = pwd.getpwnam(user)
    os.chown(state, pw.pw_uid, pw.pw_gid)
    port = free_port()
    argv += ["--web.listen-address=127.0.0.1:%d" % port,
             "--slurm.conf=" + os.path.join(cluster.dir, "etc", "slurm.conf")]
    logf = open(os.path.join(cluster.dir, "log", "deb-remediator.log"), "w")
    p = run_as(user, argv, logf, cluster)
    procs.append(p)
    url = "http://127.0.0.1:%d" % port
    wait_until("installed remediator ready", lambda: get(url + "/-/ready")[0] == 200,
               timeout=30)
    body = json.dumps({"version": "4", "status": "firing", "alerts": [{
        "status": "firing", "fingerprint": "deb-n1", "startsAt": "2026-12-05T06:00:00Z",
        "labels": {"alertname": "SLURMNodeNotResponding", "node": "n1",
                   "remediation": "drain"}}]}).encode()
    req = urllib.request.Request(url + "/api/v1/alerts", data=body, method="POST")
    assert urllib.request.urlopen(req, timeout=10).status == 200
    audit = os.path.join(state, "audit.jsonl")

    def decision():
        if not os.path.exists(audit):
            return None
        for line in open(audit):
            e = json.loads(line)
            if e.get("fingerprint", "").startswith("deb-n1") and e.get("outcome"):
                return e
        return None
    wait_until("decision audited in the state directory", decision, timeout=20)
    e = decision()
    # The default policy: a dry run, and at most 20% of the nodes (none of 4) drained.
    assert e["outcome"] in ("dry_run", "refused"), e
    assert "DRAIN" not in cluster.run("scontrol", "show", "node", "n1"), "n1 drained"
    assert os.stat(audit).st_uid == pw.pw_uid, "audit log not written as " + user
    log("installed remediator as %s: serves, decided %s (%s) by its default policy, audit in %s"
        % (user, e["outcome"], e.get("reason"), state))


def main():
    deb = sys.argv[1]
    t0 = time.monotonic()
    if installed():
        sh("dpkg", "--purge", PACKAGE)
    check_lintian(deb)
    sh("dpkg", "-i", deb)
    cluster = None
    procs = []
    try:
        files = files_of_package()
        for f in ("/usr/bin/slurm_exporter", "/usr/bin/slurm_remediator",
                  "/lib/systemd/system/slurm_exporter.service",
                  "/lib/systemd/system/slurm_remediator.service", "/etc/default/slurm_exporter",
                  "/etc/default/slurm_remediator", "/etc/slurm_exporter/remediator-policy.json",
                  "/usr/share/slurm-exporter/rules/slurm.rules.yaml",
                  "/usr/share/slurm-exporter/dashboards/slurm-overview.json"):
            assert f in files and os.path.exists(f), "%s not installed" % f
        log("installed %d paths; --version: %s" % (
            len(files), sh("/usr/bin/slurm_exporter", "--version").strip()))
        r = subprocess.run(["systemd-analyze", "verify",
                            "/lib/systemd/system/slurm_exporter.service",
                            "/lib/systemd/system/slurm_remediator.service"],
                           capture_output=True, text=True)
        assert r.returncode == 0, "systemd-analyze verify: %s%s" % (r.stdout, r.stderr)
        log("systemd-analyze verify: both units clean")
        cluster = Cluster(nodes=4)
        check_exporter(cluster, procs)
        check_remediator(cluster, procs)
    except AssertionError as e:
        import traceback
        traceback.print_exc()
        log("FAIL:", e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=15)
        if cluster:
            cluster.stop()
        if installed():
            files = files_of_package()
            sh("dpkg", "--purge", PACKAGE)
            left = [f for f in files if os.path.lexists(f) and not os.path.isdir(f)]
            left += [d for d in ("/etc/slurm_exporter", "/usr/share/slurm-exporter",
                                 "/usr/lib/slurm-exporter", "/var/lib/slurm-remediator",
                                 "/usr/share/doc/slurm-exporter") if os.path.exists(d)]
            if left:
                log("FAIL: purge left %s" % left)
                print("0 passed, 1 failed")
                sys.exit(1)
            log("dpkg --purge: no file of the package left")
    log("PASS in %.1fs" % (time.monotonic() - t0))
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
