#!/usr/bin/env python3
"""Finished-job efficiency e2e on a real cluster: jobs that burn CPU, sleep, fail, and exceed
their memory request end; the exporter's counts by final state, CPU and memory efficiency
histograms (sum and count) and allocated CPU-seconds per partition equal what sacct reports
for the same jobs. A restarted exporter starts its counters from zero and counts only jobs that
end from one interval before it started, each once."""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Cluster, Exporter, log, main, value, wait_checks, wait_until  # noqa: E402

BURN = "python3 -c 'import time\nt=time.time()\nwhile time.time()-t<6: pass'"
HOG = "python3 -c 'import time\nx=bytearray(300*1024*1024)\ntime.sleep(6)'"
SACCT_FIELDS = ["JobID", "State", "ElapsedRaw", "TotalCPU", "AllocCPUS", "ReqMem", "MaxRSS",
                "Partition"]
STATES = {"COMPLETED": "completed", "FAILED": "failed", "TIMEOUT": "timeout",
          "OUT_OF_MEMORY": "out_of_memory", "CANCELLED": "cancelled", "NODE_FAIL": "node_fail",
          "PREEMPTED": "preempted", "BOOT_FAIL": "boot_fail", "DEADLINE": "deadline"}
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def seconds(text):
    """sacct's [D-][HH:]MM:SS[.mmm]"""
    days = 0
    if "-" in text:
        d, text = text.split("-", 1)
        days = int(d)
    parts = [float(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def size(text, cpus):
    """MaxRSS / ReqMem with --noconvert: a number, a unit, and (22.05's ReqMem) c or n."""
    m = re.match(r"^([\d.]+)([KMGT]?)([cn]?)$", text)
    if not m:
        return None
    v = float(m.group(1)) * UNITS[m.group(2)]
    return v * cpus if m.group(3) == "c" else v


def sacct_truth(cluster, ids):
    """Per job id: state, elapsed, TotalCPU seconds, CPUs, ReqMem and largest step MaxRSS in
    bytes, partition."""
    out = cluster.run("sacct", "-P", "-n", "--noconvert", "-j", ",".join(ids), "-o",
                      ",".join(SACCT_FIELDS))
    jobs = {}
    for line in out.splitlines():
        f = dict(zip(SACCT_FIELDS, line.split("|")))
        jid, _, step = f["JobID"].partition(".")
        if not step:
            cpus = int(f["AllocCPUS"])
            jobs[jid] = {"state": f["State"].split()[0], "elapsed": float(f["ElapsedRaw"]),
                         "cpu": seconds(f["TotalCPU"]), "cpus": cpus,
                         "req": size(f["ReqMem"], cpus), "rss": None,
                         "partition": f["Partition"]}
        elif f["MaxRSS"]:
            rss = size(f["MaxRSS"], 1)
            job = jobs[jid]
            if rss and (job["rss"] is None or rss > job["rss"]):
                job["rss"] = rss
    return jobs


def expected(jobs):
    """What the exporter must show per partition, from sacct's figures."""
    exp = collections.defaultdict(lambda: {"ended": collections.Counter(), "cpu_sum": 0.0,
                                           "cpu_n": 0, "mem_sum": 0.0, "mem_n": 0,
                                           "cpu_alloc": 0.0, "cpu_tolerance": 0.0,
                                           "mem_tolerance": 0.0})
    for j in jobs.values():
        e = exp[j["partition"]]
        e["ended"][STATES[j["state"]]] += 1
        if j["elapsed"] > 0 and j["cpus"] > 0:
            e["cpu_sum"] += j["cpu"] / (j["elapsed"] * j["cpus"])
            # sacct prints TotalCPU to the millisecond; the exporter has microseconds.
            e["cpu_tolerance"] += 0.001 / (j["elapsed"] * j["cpus"])
            e["cpu_n"] += 1
        if j["req"] and j["rss"] is not None:
            e["mem_sum"] += j["rss"] / j["req"]
            e["mem_n"] += 1
        e["cpu_alloc"] += j["elapsed"] * j["cpus"]
    return exp


def close(a, b, tolerance=0.0):
    return a is not None and abs(a - b) <= 1e-6 * max(1.0, abs(b)) + tolerance


def compare(cluster, exporter, ids):
    jobs = sacct_truth(cluster, ids)
    m = exporter.metrics()
    c = Checks()
    c.true("sacct knows every job as ended (%s)" % {k: v["state"] for k, v in jobs.items()},
           len(jobs) == len(ids) and all(j["state"] in STATES for j in jobs.values()))
    for part, e in expected(jobs).items():
        for state in STATES.values():
            c.eq("%s ended %s" % (part, state),
                 value(m, "slurm_partition_jobs_ended_total", partition=part, state=state),
                 float(e["ended"][state]))
        for fam, key in [("cpu", "cpu"), ("memory", "mem")]:
            name = "slurm_partition_job_%s_efficiency" % fam
            c.eq("%s %s efficiency count" % (part, fam),
                 value(m, name + "_count", partition=part), float(e[key + "_n"]))
            got = value(m, name + "_sum", partition=part)
            c.true("%s %s efficiency sum: exporter %r, sacct %r" % (part, fam, got, e[key + "_sum"]),
                   close(got, e[key + "_sum"], e[key + "_tolerance"]))
        got = value(m, "slurm_partition_job_cpu_allocated_seconds_total", partition=part)
        c.true("%s CPU-seconds: exporter %r, sacct %r" % (part, got, e["cpu_alloc"]),
               close(got, e["cpu_alloc"]))
    return c, jobs


def total_ended(m):
    return sum(v for k, v in m.items() if k[0] == "slurm_partition_jobs_ended_total")


def test(args):
    cluster = Cluster()
    exporter = None
    try:
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--collector.job_efficiency")
        submit = [
            ("burns CPU", ["-p", "normal", "-n1", "--mem=200", "--wrap", BURN]),
            ("sleeps", ["-p", "normal", "-n2", "--mem=400", "--wrap", "sleep 6"]),
            ("fails", ["-p", "debug", "-n1", "--mem=100", "--wrap", "sleep 1; exit 3"]),
            ("exceeds its memory", ["-p", "debug", "-n1", "--mem=100", "--acctg-freq=1",
                                    "--wrap", HOG]),
        ]
        ids = [cluster.sbatch("--acctg-freq=1", *a) for _, a in submit]
        wait_until("the jobs end", lambda: cluster.run("squeue", "-h").strip() == "",
                   timeout=120)
        c = wait_checks("efficiency equals sacct", lambda: compare(cluster, exporter, ids)[0],
                        timeout=60)
        jobs = sacct_truth(cluster, ids)
        for (what, _), jid in zip(submit, ids):
            j = jobs[jid]
            log("job %s (%s): %s, TotalCPU %.2fs over %ss x %d CPUs, MaxRSS %s of ReqMem %s" %
                (jid, what, j["state"], j["cpu"], j["elapsed"], j["cpus"], j["rss"], j["req"]))
        log("sacct: %d checks equal" % c.count)
        hog = jobs[ids[3]]
        if hog["state"] != "OUT_OF_MEMORY":
            log("the job over its memory request ended %s: this lab's task plugin "
                "(proctrack/linuxproc, no cgroup) does not enforce memory" % hog["state"])

        # Restart: counters from zero, jobs of the earlier process not counted again.
        exporter.stop()
        exporter = Exporter(args.exporter, cluster, "--slurm.poll-interval=1s",
                            "--collector.job_efficiency")
        time.sleep(3)
        assert total_ended(exporter.metrics()) == 0, "jobs of before the restart counted again"
        jid = cluster.sbatch("-p", "normal", "-n1", "--wrap", "true")
        wait_until("the new job is counted", lambda: total_ended(exporter.metrics()) == 1,
                   timeout=60)
        time.sleep(3)  # more reads overlap its end: still once
        m = exporter.metrics()
        assert total_ended(m) == 1, total_ended(m)
        log("after a restart: counters from 0, job %s counted once over several reads" % jid)
    except AssertionError:
        if exporter:
            log("exporter log:\n" + exporter.read_log()[-3000:])
            log("exporter's finished-job series:\n" + "\n".join(
                "%s %s %s" % (k[0], dict(k[1]), v) for k, v in exporter.metrics().items()
                if "ended" in k[0] or "finished_jobs" in str(k[1])))
        raise
    finally:
        if exporter:
            exporter.stop()
        cluster.stop()


if __name__ == "__main__":
    main(test)
