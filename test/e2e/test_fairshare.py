#!/usr/bin/env python3
"""Fairshare e2e on a real cluster with priority/multifactor (Fair Tree) and accounts and users
of different shares made with sacctmgr: while a job runs, the GrpTRES and GrpJobs usage equal
`scontrol show assoc_mgr`; after jobs of several accounts ran, every account's and user's
RawShares, NormShares, RawUsage, NormUsage, EffectvUsage, FairShare, LevelFS and GrpTRESRaw
equal `sshare -a -P`. On a cluster without priority/multifactor the collector exposes nothing,
does not count as failing, and says why once in the log."""
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Cluster, Exporter, log, main, wait_checks, wait_until  # noqa: E402

SSHARE_FIELDS = ["Account", "User", "RawShares", "NormShares", "RawUsage", "NormUsage",
                 "EffectvUsage", "FairShare", "LevelFS", "GrpTRESRaw"]


def sacctmgr(cluster, *args):
    cluster.run("sacctmgr", "-i", *args)


def make_accounts(cluster):
    """physics (60 shares, GrpTRES=cpu=8, GrpJobs=4) with theory under it taking its parent's
    shares, chem (30 shares); root in each, and two more users of different shares."""
    sacctmgr(cluster, "add", "account", "physics", "parent=root", "fairshare=60",
             "GrpTRES=cpu=8", "GrpJobs=4")
    sacctmgr(cluster, "add", "account", "chem", "parent=root", "fairshare=30")
    sacctmgr(cluster, "add", "account", "theory", "parent=physics", "fairshare=parent")
    sacctmgr(cluster, "add", "user", "root", "account=physics", "fairshare=2")
    sacctmgr(cluster, "add", "user", "root", "account=chem", "fairshare=1")
    sacctmgr(cluster, "add", "user", "root", "account=theory", "fairshare=1")
    sacctmgr(cluster, "add", "user", "daemon", "account=physics", "fairshare=5")
    sacctmgr(cluster, "add", "user", "bin", "account=chem", "fairshare=3")
    wait_until("slurmctld knows the new associations",
               lambda: "Account=theory UserName=root" in cluster.run(
                   "scontrol", "show", "assoc_mgr", "flags=assoc"), timeout=60)


def sshare_rows(cluster):
    """{(account, user): {field: text}} of `sshare -a -P -n`."""
    out = cluster.run("sshare", "-a", "-P", "-n", "-o", ",".join(SSHARE_FIELDS))
    rows = {}
    for line in out.splitlines():
        f = dict(zip(SSHARE_FIELDS, line.split("|")))
        rows[(f["Account"].strip(), f["User"].strip())] = f
    return rows


def close(a, b):
    """sshare prints doubles with %f: equal to 6 decimals."""
    if a is None or b is None:
        return a is b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def exported(m, name, account, user):
    if user:
        return m.get((name, frozenset({("account", account), ("user", user),
                                       ("partition", "")})))
    return m.get((name, frozenset({("account", account)})))


def number(text):
    return None if text.strip() == "" else float(text)


def compare_sshare(cluster, exporter):
    rows = sshare_rows(cluster)
    m = exporter.metrics()
    c = Checks()
    for (acct, user), f in rows.items():
        p = "slurm_user_" if user else "slurm_account_"
        what = "%s/%s" % (acct, user or "-")
        for field, metric in [("NormShares", "fairshare_shares_normalized"),
                              ("NormUsage", "usage_normalized"),
                              ("EffectvUsage", "usage_effective"),
                              ("LevelFS", "fairshare_level")]:
            got, want = exported(m, p + metric, acct, user), number(f[field])
            c.true("%s %s: exporter %r, sshare %r" % (what, field, got, want), close(got, want))
        if user:
            got, want = exported(m, "slurm_user_fairshare_factor", acct, user), number(
                f["FairShare"])
            c.true("%s FairShare: exporter %r, sshare %r" % (what, got, want), close(got, want))
        else:
            # sshare prints "parent" for Fairshare=parent and nothing for root; the exporter
            # has no series for either.
            want = number(f["RawShares"]) if f["RawShares"] not in ("", "parent") else None
            got = exported(m, "slurm_account_fairshare_shares", acct, "")
            c.eq("%s RawShares" % what, got, want)
            raw = {k: float(v) for k, v in re.findall(r"([\w/]+)=(\d+)", f["GrpTRESRaw"])}
            for tres, minutes in raw.items():
                got = m.get(("slurm_account_usage_tres_seconds",
                             frozenset({("account", acct), ("tres", tres)})), 0.0)
                c.eq("%s GrpTRESRaw %s (minutes)" % (what, tres), math.floor(got / 60), minutes)
        got = exported(m, p + "usage_raw_seconds", acct, user)
        c.eq("%s RawUsage" % what, None if got is None else math.floor(got), number(f["RawUsage"]))
    return c


def assoc_mgr_line(cluster, account):
    out = cluster.run("scontrol", "show", "assoc_mgr", "flags=assoc", "accounts=" + account)
    for rec in out.split("ClusterName=")[1:]:
        if "UserName= " in rec:
            return rec
    raise AssertionError("no account record of %s in:\n%s" % (account, out))


def compare_limits(cluster, exporter):
    rec = assoc_mgr_line(cluster, "physics")
    m = exporter.metrics()
    c = Checks()
    limit, used = re.search(r"GrpTRES=cpu=(\d+)\((\d+)\)", rec).groups()
    jobs_limit, jobs_used = re.search(r"GrpJobs=(\d+)\((\d+)\)", rec).groups()
    acct = frozenset({("account", "physics"), ("tres", "cpu")})
    c.eq("GrpTRES cpu limit", m.get(("slurm_account_grp_tres_limit", acct)), float(limit))
    c.eq("GrpTRES cpu used", m.get(("slurm_account_grp_tres_used", acct)), float(used))
    c.eq("GrpJobs limit", exported(m, "slurm_account_grp_jobs_limit", "physics", ""),
         float(jobs_limit))
    c.eq("GrpJobs used", exported(m, "slurm_account_jobs_running", "physics", ""),
         float(jobs_used))
    c.true("a job of physics runs (GrpJobs=%s(%s), GrpTRES cpu=%s(%s))"
           % (jobs_limit, jobs_used, limit, used), jobs_used == "1" and int(used) >= 2)
    return c


def stable_usage(cluster):
    """Usage is recomputed every minute and, with no decay and no running job, then holds."""
    rows = sshare_rows(cluster)
    return rows.get(("physics", ""), {}).get("RawUsage", "0") not in ("", "0") and \
        rows.get(("chem", ""), {}).get("NormUsage", "") not in ("", "0.000000")


def test_multifactor(args):
    cluster = Cluster(extra=["--priority", "multifactor"])
    exporter = None
    try:
        make_accounts(cluster)
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--fairshare.interval=1s", "--collector.fairshare.users")
        job = cluster.sbatch("--account=physics", "-n", "2", "--wrap", "sleep 300")
        wait_until("the physics job runs", lambda: cluster.run(
            "squeue", "-h", "-j", job, "-o", "%T").strip() == "RUNNING", timeout=60)
        c = wait_checks("GrpTRES/GrpJobs usage equal scontrol show assoc_mgr",
                        lambda: compare_limits(cluster, exporter), timeout=30)
        log("assoc_mgr limits: %d checks equal" % c.count)
        cluster.run("scancel", job)
        for acct, n, secs in [("physics", 2, 20), ("chem", 1, 15), ("theory", 1, 10)]:
            cluster.sbatch("--account=" + acct, "-n", str(n), "--wrap", "sleep %d" % secs)
        wait_until("the jobs end", lambda: cluster.run("squeue", "-h").strip() == "",
                   timeout=120)
        wait_until("usage recomputed after the jobs", lambda: stable_usage(cluster),
                   timeout=150, interval=2)
        c = wait_checks("fairshare equals sshare -a", lambda: compare_sshare(cluster, exporter),
                        timeout=30)
        log("sshare: %d checks equal over %d associations" % (c.count, len(sshare_rows(cluster))))
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


def test_basic(args):
    """Without priority/multifactor: no fairshare series, no collector failure, one log line
    that says why."""
    cluster = Cluster(extra=["--priority", "basic"])
    exporter = None
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--fairshare.interval=1s")
        wait_until("three polls", lambda: (exporter.metrics().get(
            ("slurm_exporter_polls_total", frozenset({("result", "success")}))) or 0) >= 3)
        m = exporter.metrics()
        names = {k[0] for k in m}
        assert not any(n.startswith("slurm_account_fairshare") or
                       n.startswith("slurm_account_usage") for n in names), names
        # Not a failure (SLURMExporterCollectorFailing must not fire on such a cluster).
        assert m[("slurm_exporter_collector_success",
                  frozenset({("collector", "fairshare")}))] == 1
        lines = [ln for ln in exporter.read_log().splitlines() if "not priority/multifactor" in ln]
        assert len(lines) == 1, lines
        log("priority/basic: no fairshare series; said once: " + lines[0])
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


def test(args):
    test_basic(args)
    test_multifactor(args)


if __name__ == "__main__":
    main(test)
