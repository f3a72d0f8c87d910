#!/usr/bin/env python3
"""Jobs, partitions and per-node detail e2e: job counts by state, partition and pending reason
equal squeue (array tasks one by one), per-user counts, per-node CPUs/GPUs allocated, GPUs by
type (n4's are gpu:a100, n3's untyped), CPU load, free memory, effective CPUs, boot/slurmd
start/last-busy times and features equal scontrol, and a held job that is released shows
exactly one wait-time observation within a poll."""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Cluster, Exporter, log, main, value, wait_checks, wait_until  # noqa: E402


def squeue_truth(cluster):
    """(state, partition, reason, user) per task, from squeue with arrays expanded."""
    out = cluster.run("squeue", "-h", "-a", "-r", "-o", "%i|%T|%P|%r|%u")
    rows = []
    for line in out.splitlines():
        _, state, part, reason, user = line.split("|")
        rows.append((state.lower(), part.split(",")[0], reason, user))
    return rows


def compare_jobs(cluster, exporter):
    rows = squeue_truth(cluster)
    m = exporter.metrics()
    c = Checks()
    by_state = collections.Counter(r[0] for r in rows)
    for s in ["pending", "running"]:
        c.eq("slurm_jobs{state=%s}" % s, value(m, "slurm_jobs", state=s), float(by_state[s]))
    by_part = collections.Counter((r[1], r[0]) for r in rows)
    for (p, s), n in by_part.items():
        c.eq("slurm_partition_jobs{%s,%s}" % (p, s),
             value(m, "slurm_partition_jobs", partition=p, state=s), float(n))
    by_reason = collections.Counter((r[1], r[2]) for r in rows if r[0] == "pending")
    exported = {(dict(k[1])["partition"], dict(k[1])["reason"]): v
                for k, v in m.items() if k[0] == "slurm_jobs_pending"}
    c.eq("slurm_jobs_pending by (partition, reason)", exported,
         {k: float(v) for k, v in by_reason.items()})
    by_user = collections.Counter((r[3], r[0]) for r in rows)
    for (u, s), n in by_user.items():
        c.eq("slurm_user_jobs{%s,%s}" % (u, s), value(m, "slurm_user_jobs", user=u, state=s),
             float(n))
    return c


def compare_nodes(cluster, exporter):
    m = exporter.metrics()
    c = Checks()
    for line in cluster.run("scontrol", "show", "node", "-o").splitlines():
        f = dict(re.findall(r"(\w+)=(\S*)", line))
        node = f["NodeName"]
        if node.startswith("ghost"):
            continue
        c.eq("cpus %s" % node, value(m, "slurm_node_cpus", node=node), float(f["CPUTot"]))
        c.eq("cpus_allocated %s" % node, value(m, "slurm_node_cpus_allocated", node=node),
             float(f["CPUAlloc"]))
        gpus_alloc = re.search(r"gres/gpu=(\d+)", f.get("AllocTRES", ""))
        c.eq("gpus_allocated %s" % node, value(m, "slurm_node_gpus_allocated", node=node),
             float(gpus_alloc.group(1)) if gpus_alloc else 0.0)
        # Gres=gpu:2 or gpu:a100:2, maybe followed by (S:0-1)
        gres = re.search(r"gpu:(?:([^:,(]+):)?(\d+)", f.get("Gres", ""))
        c.eq("gpus %s" % node, value(m, "slurm_node_gpus", node=node),
             float(gres.group(2)) if gres else 0.0)
        typed = {gres.group(1): float(gres.group(2))} if gres and gres.group(1) else {}
        by_type = {dict(labels)["type"]: v for (name, labels), v in m.items()
                   if name == "slurm_node_gpus_by_type" and ("node", node) in labels}
        c.eq("gpus_by_type %s" % node, by_type, typed)
        c.eq("memory %s" % node, value(m, "slurm_node_memory_bytes", node=node),
             float(f["RealMemory"]) * 1024 * 1024)
        compare_node_health(c, m, node, f)
    return c


def timestamp(text):
    """scontrol's local time (2026-12-05T09:00:00), None for None/Unknown."""
    try:
        return float(time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def compare_node_health(c, m, node, f):
    """CPULoad, FreeMem, CPUEfctv, BootTime, SlurmdStartTime, LastBusyTime and features as
    `scontrol show node` prints them."""
    load = None if f["CPULoad"] == "N/A" else float(f["CPULoad"])
    got = value(m, "slurm_node_cpu_load", node=node)
    c.eq("cpu_load %s" % node, None if got is None else round(got, 2), load)
    free = None if f["FreeMem"] == "N/A" else float(f["FreeMem"]) * 1024 * 1024
    c.eq("memory_free %s" % node, value(m, "slurm_node_memory_free_bytes", node=node), free)
    c.eq("cpus_effective %s" % node, value(m, "slurm_node_cpus_effective", node=node),
         float(f.get("CPUEfctv", f["CPUTot"])))
    for field, metric in [("BootTime", "slurm_node_boot_timestamp_seconds"),
                          ("SlurmdStartTime", "slurm_node_slurmd_start_timestamp_seconds"),
                          ("LastBusyTime", "slurm_node_last_busy_timestamp_seconds")]:
        if field in f:
            c.eq("%s %s" % (field, node), value(m, metric, node=node), timestamp(f[field]))
    avail = "" if f["AvailableFeatures"] == "(null)" else f["AvailableFeatures"]
    active = "" if f["ActiveFeatures"] == "(null)" else f["ActiveFeatures"]
    want = 1.0 if avail or active else None
    c.eq("features %s" % node, value(m, "slurm_node_features_info", node=node, available=avail,
                                     active=active), want)


def histogram(m, partition):
    return (value(m, "slurm_job_wait_time_seconds_count", partition=partition) or 0.0,
            value(m, "slurm_job_wait_time_seconds_sum", partition=partition) or 0.0)


def test(args):
    cluster = Cluster(ghosts=1)
    exporter = None
    try:
        cluster.sbatch("-p", "normal", "--exclusive", "-w", "n1", "--wrap", "sleep 600")
        cluster.sbatch("-p", "normal", "-n1", "-w", "n2", "--wrap", "sleep 600")
        cluster.sbatch("-p", "gpu", "-n1", "--gres=gpu:1", "--wrap", "sleep 600")
        cluster.sbatch("-p", "normal", "-H", "--array=1-20", "--wrap", "sleep 1")
        cluster.sbatch("-p", "debug,normal", "-n1", "-H", "--wrap", "sleep 1")
        cluster.sbatch("-p", "debug", "-w", "n1", "-n1", "--wrap", "sleep 1")  # n1 is busy
        wait_until("three jobs running",
                   lambda: sum(r[0] == "running" for r in squeue_truth(cluster)) == 3,
                   timeout=60)
        cluster.run("scontrol", "update", "nodename=n2", "AvailableFeatures=intel,ib",
                    "ActiveFeatures=intel")
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--collector.jobs_users", "--collector.jobs_accounts",
                            "--collector.node_detail.features", "--node-load.interval=1s")
        c = wait_checks("job counts equal squeue", lambda: compare_jobs(cluster, exporter),
                        timeout=20)
        log("job counts equal squeue: %d checks" % c.count)
        m = exporter.metrics()
        assert value(m, "slurm_partition_jobs", partition="normal", state="pending") >= 20, \
            "a held array counts its 20 tasks"
        assert value(m, "slurm_jobs_pending", partition="debug", reason="JobHeldUser") == 1, \
            "a job submitted to debug,normal counts once, under debug"
        assert value(m, "slurm_partition_job_gpus", partition="gpu", state="running") == 1, \
            value(m, "slurm_partition_job_gpus", partition="gpu", state="running")
        accounts = {dict(k[1])["account"]: v for k, v in m.items()
                    if k[0] == "slurm_account_jobs" and dict(k[1])["state"] == "running"}
        assert sum(accounts.values()) == 3, accounts
        c = wait_checks("per-node CPUs/GPUs/health equal scontrol",
                        lambda: compare_nodes(cluster, exporter), timeout=20)
        log("per-node detail equals scontrol: %d checks" % c.count)

        # Held, then released: one wait-time observation within a poll, and only one.
        job = cluster.sbatch("-p", "debug", "-n1", "-H", "--wrap", "sleep 600")
        time.sleep(3)
        before = histogram(exporter.metrics(), "debug")
        cluster.run("scontrol", "release", job)
        wait_until("released job running", lambda: cluster.run(
            "squeue", "-h", "-j", job, "-o", "%T").strip() == "RUNNING", timeout=30)
        t_running = time.monotonic()
        after = wait_until("a wait-time observation",
                           lambda: (lambda h: h if h[0] > before[0] else None)(
                               histogram(exporter.metrics(), "debug")), timeout=10)
        log("wait observation %.1fs after the job ran (poll 1s); count %d -> %d, sum +%.0fs" %
            (time.monotonic() - t_running, before[0], after[0], after[1] - before[1]))
        assert after[0] == before[0] + 1, (before, after)
        time.sleep(3.5)  # several more polls must not count it again
        assert histogram(exporter.metrics(), "debug")[0] == after[0]
        # The oldest-eligible-wait gauge is exposed per partition.
        assert value(exporter.metrics(), "slurm_partition_pending_job_max_wait_seconds",
                     partition="debug") is not None
        assert exporter.stop() == 0
        exporter = None
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
        raise
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
