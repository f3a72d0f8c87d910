#!/usr/bin/env python3
"""Finished-job reads at scale on a real local cluster with slurmdbd: N jobs (100,000 by
default) submitted held and cancelled, so that slurmdbd records N finished jobs. Then, through
the adapter (build/bench/bench_efficiency_read), the first read of their window and an
incremental read after it are timed, with peak RSS and the slurmdbd RPCs each cost; `sacct`
over the same window is timed for comparison. Prints figures, never pass/fail.

usage: test/bench/efficiency_bench.py [--jobs 100000] [--build DIR] [--slurm PREFIX]
                                     [--cancellers 8]
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
from harness import Cluster, wait_until  # noqa: E402

MARGIN = 120  # kLateRecordSeconds in collectors/job_efficiency.h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--slurm", help="Slurm prefix (default: Debian's, /usr)")
    ap.add_argument("--cancellers", type=int, default=8, help="scancel processes in parallel")
    args = ap.parse_args()
    configure = ["cmake", "-S", ROOT, "-B", args.build, "-DCMAKE_BUILD_TYPE=Release",
                 "-DSLURM_EXPORTER_BENCHMARKS=ON", "-DSLURM_EXPORTER_TESTS=OFF"]
    if args.slurm:
        configure.append("-DCMAKE_PREFIX_PATH=" + os.path.abspath(args.slurm))
        os.environ["SLURM_PREFIX"] = os.path.abspath(args.slurm)
    subprocess.run(configure, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", args.build, "-j", str(os.cpu_count() or 2), "--target",
                    "bench_submit_held", "bench_efficiency_read"], check=True,
                   stdout=subprocess.DEVNULL)
    cluster = Cluster(extra=["--max-jobs", str(args.jobs + 10000)])
    try:
        print("cluster up in %.1fs, Slurm %s" % (cluster.start_seconds,
                                                 cluster.env.get("SLURM_VERSION", "?")))
        t_from = int(time.time()) - 1
        t0 = time.monotonic()
        out = subprocess.run([os.path.join(args.build, "bench_submit_held"), str(args.jobs),
                              "normal,debug,gpu"], env=cluster.env, capture_output=True,
                             text=True, check=True).stdout.strip()
        print("%s held jobs submitted in %.1fs" % (out, time.monotonic() - t0), flush=True)
        # Cancelled by id, in parallel chunks: one scancel of all pending jobs slows to a few
        # jobs per second past ~80,000 on this machine.
        t0 = time.monotonic()
        ids = cluster.run("squeue", "-h", "-t", "PD", "-o", "%i").split()
        chunks = [ids[i::args.cancellers] for i in range(args.cancellers)]
        procs = [subprocess.Popen(["scancel"] + c, env=cluster.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for c in chunks if c]
        for p in procs:
            p.wait()
        print("%d jobs cancelled in %.1fs by %d scancel" % (len(ids), time.monotonic() - t0,
                                                            len(procs)), flush=True)
        window = ["-S", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t_from)), "-E", "now"]

        def recorded():
            out = cluster.run("sacct", "-X", "-n", "-P", "-a", "-s", "CA", "-o", "JobID",
                              *window)
            return len(out.splitlines())
        t0 = time.monotonic()
        n = wait_until("slurmdbd records every cancelled job",
                       lambda: (lambda k: k if k >= args.jobs else None)(recorded()),
                       timeout=1800, interval=10)
        print("slurmdbd holds %d finished jobs, %.0fs after the cancel" %
              (n, time.monotonic() - t0), flush=True)
        t0 = time.monotonic()
        recorded()
        print("sacct -X over the same window: %.2fs" % (time.monotonic() - t0), flush=True)
        # sacct with the fields the read needs, steps included, as the adapter reads them.
        t0 = time.monotonic()
        p = subprocess.Popen(["sacct", "-a", "-n", "-P", "-s", "CA,CD,F,TO,NF,OOM,PR,BF,DL",
                              "-o", "JobID,State,ElapsedRaw,TotalCPU,AllocCPUS,ReqMem,MaxRSS,"
                              "Partition"] + window, env=cluster.env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        lines = sum(1 for _ in p.stdout)
        _, _, usage = os.wait4(p.pid, 0)
        print("sacct with steps and the read's fields over the same window: %d lines in %.2fs, "
              "peak RSS %d KiB" % (lines, time.monotonic() - t0, usage.ru_maxrss), flush=True)
        # Past the margin for late records, the incremental read asks for a window where no
        # job ended.
        time.sleep(MARGIN + 2)
        out = subprocess.run([os.path.join(args.build, "bench_efficiency_read"), str(t_from)],
                             env=cluster.env, capture_output=True, text=True)
        print(out.stdout + out.stderr, flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
