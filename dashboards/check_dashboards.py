#!/usr/bin/env python3
"""Checks of the Grafana dashboards: conventions (stable unique uid, $datasource, $cluster and
$partition variables, unit and description on every panel, every query on ${datasource},
$__rate_interval in every rate/increase), and every metric a query reads exists in a golden
exposition (test/golden/*.txt).

With --prometheus URL it also runs every panel query, variables substituted, against that
Prometheus and fails for an empty result, except for the panels listed in EXPECTED_EMPTY.
usage: dashboards/check_dashboards.py [--prometheus URL]
"""
import glob
import json
import os
import re
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from golden_names import golden_names  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Panels that are empty on a test cluster of some Slurm releases, and why: (the first release
# where the panel has data, reason). On older releases the panel must be empty; from that
# release on it must have data like any other.
EXPECTED_EMPTY = {
    "Scheduler exit reasons": ((23, 11), "slurmctld reports exit reasons from Slurm 23.11 on"),
}
FUNCS = {"sum", "max", "min", "avg", "count", "topk", "by", "on", "and", "or", "unless", "rate",
         "increase", "irate", "avg_over_time", "histogram_quantile", "clamp_min", "time",
         "vector", "group_left", "le", "ALERTS", "bool"}




def metric_names(expr):
    out = set()
    for alts in re.findall(r'__name__=~"([^"]+)"', expr):
        m = re.match(r"^(\w+?)\((.*)\)$", alts)
        if m:
            out.update(m.group(1) + a for a in m.group(2).split("|"))
    e = re.sub(r'"[^"]*"', '""', expr)
    e = re.sub(r"\{[^}]*\}", "", e)
    e = re.sub(r"\[[^\]]*\]", "", e)
    e = re.sub(r"\b(by|on|without|ignoring|group_left)\s*\([^)]*\)", "", e)
    for name in re.findall(r"[a-zA-Z_][a-zA-Z0-9_:]*", e):
        if name not in FUNCS and not name.startswith("__"):
            out.add(name)
    return out


def substitute(expr):
    return (expr.replace("$__rate_interval", "1m").replace('"$cluster"', '".*"')
            .replace('"$partition"', '".*"'))


def main():
    problems = []
    prom = None
    if "--prometheus" in sys.argv:
        prom = sys.argv[sys.argv.index("--prometheus") + 1]
    # The Slurm release of the cluster behind Prometheus ("26.05.3").
    slurm = (0, 0)
    if "--slurm-version" in sys.argv:
        v = sys.argv[sys.argv.index("--slurm-version") + 1]
        slurm = tuple(int(x) for x in v.split(".")[:2])
    expected_empty = {t: why for t, (since, why) in EXPECTED_EMPTY.items() if slurm < since}
    absent = []
    names = golden_names()
    uids = set()
    queried = empty = 0
    for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        d = json.load(open(path))
        base = os.path.basename(path)
        if not d.get("uid") or d["uid"] in uids:
            problems.append("%s: missing or duplicate uid" % base)
        uids.add(d.get("uid"))
        var = {v["name"]: v for v in d["templating"]["list"]}
        for needed in ("datasource", "cluster", "partition"):
            if needed not in var:
                problems.append("%s: no $%s variable" % (base, needed))
        if var.get("cluster", {}).get("hide") != 2 or any(
                v.get("hide") == 2 for n, v in var.items() if n != "cluster"):
            problems.append("%s: only $cluster is hidden (the chart relies on it)" % base)
        for p in d["panels"]:
            where = "%s / %s" % (base, p.get("title"))
            if not p.get("description"):
                problems.append(where + ": no description")
            if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
                problems.append(where + ": no unit")
            if p.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(where + ": panel not on ${datasource}")
            for t in p.get("targets", []):
                expr = t["expr"]
                if t.get("datasource", {}).get("uid") != "${datasource}":
                    problems.append(where + ": query not on ${datasource}")
                for fn in re.findall(r"\b(rate|increase|irate)\(([^()]*)\)", expr):
                    if "[$__rate_interval]" not in fn[1]:
                        problems.append(where + ": %s without $__rate_interval" % fn[0])
                for n in metric_names(expr):
                    if n not in names:
                        problems.append(where + ": %s is not in the golden expositions" % n)
                if prom:
                    q = urllib.parse.urlencode({"query": substitute(expr)})
                    try:
                        with urllib.request.urlopen(prom + "/api/v1/query?" + q, timeout=10) as r:
                            res = json.load(r)["data"]["result"]
                    except Exception as e:  # a parse error is a 400 from Prometheus
                        problems.append(where + ": query failed: %s" % e)
                        continue
                    queried += 1
                    if not res:
                        empty += 1
                        if p["title"] not in expected_empty:
                            problems.append(where + ": empty result for %s" % substitute(expr))
                        else:
                            absent.append("%s (%s)" % (p["title"], expected_empty[p["title"]]))
                    elif p["title"] in expected_empty:
                        problems.append(where + ": data on Slurm %d.%02d, where it cannot "
                                        "exist: %s" % (slurm + (expected_empty[p["title"]],)))
    for p in problems:
        print("problem:", p)
    for a in sorted(set(absent)):
        print("ABSENT:", a)
    print("%d dashboards, %d queries run against Prometheus (%d empty, expected: %s), "
          "%d problems" % (len(uids), queried, empty, ", ".join(expected_empty) or "none",
                           len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
