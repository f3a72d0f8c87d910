#!/usr/bin/env python3
"""Checks of the bundled rules beyond promtool:
  - every alert has severity, summary, description and a runbook_url whose anchor exists in
    docs/runbook.md;
  - every alert has a promtool test case where it fires and one where it must not;
  - every metric a rule reads exists in the exporter's golden exposition (kubelet_* and `up`
    come from elsewhere; recording rules are resolved).
usage: alerts/check_rules.py  (exit 1 listing every problem)
"""
import glob
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from golden_names import golden_names  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTERNAL = re.compile(r"^(up|kubelet_volume_stats_\w+)$")
FUNCS = {"avg_over_time", "max_over_time", "min_over_time", "rate", "irate", "increase",
         "deriv", "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring",
         "and", "or", "unless", "absent", "clamp_min", "clamp_max", "histogram_quantile",
         "le", "bool", "offset", "group_left", "group_right", "time", "vector", "scalar"}




def anchors(path):
    out = set()
    for line in open(path):
        m = re.match(r"^#+\s+(.*)$", line)
        if m:
            out.add(re.sub(r"[^a-z0-9 -]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return out


def main():
    problems = []
    rules = []
    for path in sorted(glob.glob(os.path.join(ROOT, "alerts", "rules", "*.yaml"))):
        for g in yaml.safe_load(open(path))["groups"]:
            rules.extend(g["rules"])
    records = {r["record"] for r in rules if "record" in r}
    alerts = [r for r in rules if "alert" in r]
    fams = golden_names()
    runbook = os.path.join(ROOT, "docs", "runbook.md")
    runbook_anchors = anchors(runbook) if os.path.exists(runbook) else set()

    for r in rules:
        expr = re.sub(r'"[^"]*"', '""', r["expr"])       # drop label values
        expr = re.sub(r"\{[^}]*\}", "", expr)             # drop matchers
        expr = re.sub(r"\[[^\]]*\]", "", expr)            # drop ranges
        expr = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", expr)
        for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
            if name in FUNCS or name in records or EXTERNAL.match(name) or \
                    re.match(r"^\d", name):
                continue
            if name not in fams:
                problems.append("%s uses %s, which the golden exposition does not have"
                                % (r.get("alert") or r.get("record"), name))

    fired, quiet = set(), set()
    for path in glob.glob(os.path.join(ROOT, "alerts", "tests", "*.yaml")):
        for t in yaml.safe_load(open(path))["tests"]:
            for a in t.get("alert_rule_test", []):
                (fired if a.get("exp_alerts") else quiet).add(a["alertname"])

    for a in alerts:
        name = a["alert"]
        labels, ann = a.get("labels", {}), a.get("annotations", {})
        if labels.get("severity") not in ("critical", "warning", "info"):
            problems.append("%s: severity must be critical, warning or info" % name)
        for key in ("summary", "description", "runbook_url"):
            if not ann.get(key):
                problems.append("%s: annotation %s missing" % (name, key))
        url = ann.get("runbook_url", "")
        anchor = url.split("#", 1)[1] if "#" in url else ""
        if not url.startswith("docs/runbook.md#") or anchor not in runbook_anchors:
            problems.append("%s: runbook_url %r has no section in docs/runbook.md" % (name, url))
        if name not in fired:
            problems.append("%s: no promtool test where it fires" % name)
        if name not in quiet:
            problems.append("%s: no promtool test where it stays quiet" % name)

    for p in problems:
        print("problem:", p)
    print("%d alerts, %d recording rules, %d problems" % (len(alerts), len(records),
                                                          len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
