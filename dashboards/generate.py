#!/usr/bin/env python3
"""Generates the Grafana dashboards (dashboards/*.json) from one description, so that every
panel follows the conventions: stable uid, $datasource, $cluster and $partition variables, a
unit and a description on every panel, $__rate_interval in every rate. With --check it fails
when a checked-in file differs from what it would generate.

usage: dashboards/generate.py [--check]
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
C = 'cluster=~"$cluster"'
P = 'partition=~"$partition"'
CP = C + "," + P


def panel(title, desc, targets, unit, kind="timeseries", thresholds=None, width=12):
    """targets: list of (expr, legend) or (expr, legend, format)."""
    p = {
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"h": 8, "w": width, "x": 0, "y": 0},
        "targets": [],
        "options": {},
    }
    if thresholds:
        p["fieldConfig"]["defaults"]["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}] + [
                {"color": c, "value": v} for v, c in thresholds]}
    for i, t in enumerate(targets):
        expr, legend = t[0], t[1]
        tgt = {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend,
               "datasource": {"type": "prometheus", "uid": "${datasource}"}}
        if kind in ("table",):
            tgt["instant"] = True
            tgt["format"] = "table"
        if kind == "heatmap":
            tgt["format"] = "heatmap"
        p["targets"].append(tgt)
    return p


def dashboard(uid, title, panels, tags):
    x, y = 0, 0
    for i, p in enumerate(panels):
        p["id"] = i + 1
        w = p["gridPos"]["w"]
        if x + w > 24:
            x, y = 0, y + 8
        p["gridPos"].update({"x": x, "y": y})
        x += w
    return {
        "uid": uid,
        "title": title,
        "tags": ["slurm"] + tags,
        "timezone": "browser",
        "schemaVersion": 38,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus",
             "label": "Data source", "hide": 0, "current": {}},
            {"name": "cluster", "type": "query", "label": "Cluster",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(slurm_up, cluster)", "refId": "cluster"},
             "definition": "label_values(slurm_up, cluster)",
             # Hidden: one cluster per Prometheus is the common case (the Helm chart shows it
             # with dashboards.showClusterVariable=true for a multi-cluster Prometheus).
             "includeAll": True, "allValue": ".*", "multi": False, "refresh": 2, "hide": 2,
             "current": {"text": "All", "value": "$__all"}},
            {"name": "partition", "type": "query", "label": "Partition",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": 'label_values(slurm_partition_nodes_configured{%s}, partition)'
                       % C, "refId": "partition"},
             "definition": 'label_values(slurm_partition_nodes_configured{%s}, partition)' % C,
             "includeAll": True, "allValue": ".*", "multi": True, "refresh": 2, "hide": 0,
             "current": {"text": "All", "value": "$__all"}},
        ]},
        "annotations": {"list": []},
        "panels": panels,
    }


def dashboards():
    overview = dashboard("slurm-overview", "Slurm / Overview", [
        panel("Controller up", "1 when the exporter reaches slurmctld (slurm_up).",
              [("min(slurm_up{%s})" % C, "up")], "none", "stat", [(1, "green")], 4),
        panel("Controller availability (30d)",
              "Share of the last 30 days in which slurmctld answered; objective 99.9%.",
              [("avg(avg_over_time(slurm_up{%s}[30d]))" % C, "availability")], "percentunit",
              "stat", [(0.999, "green")], 4),
        panel("Node availability", "Usable nodes / all non-FUTURE nodes; alert below 90%.",
              [("sum(slurm_nodes_usable{%s}) / clamp_min(sum(slurm_nodes{%s}) - "
                "sum(slurm_nodes_future{%s}), 1)" % (C, C, C), "availability")],
              "percentunit", "stat", [(0.9, "green")], 4),
        panel("munge", "1 when munge credentials work for the exporter and slurmctld.",
              [("min(slurm_munge_up{%s})" % C, "munge")], "none", "stat", [(1, "green")], 4),
        panel("slurmdbd up", "1 when slurmdbd answers.",
              [("min(slurm_dbd_up{%s})" % C, "slurmdbd")], "none", "stat", [(1, "green")], 4),
        panel("Firing Slurm alerts", "Alerts of the bundled rules firing now.",
              [('count(ALERTS{alertstate="firing",alertname=~"SLURM.*"}) or vector(0)',
                "firing")], "none", "stat", [(1, "red")], 4),
        panel("Nodes by state", "Nodes per primary state (slurm_nodes_<state>).",
              [('sum by (__name__) ({__name__=~"slurm_nodes_(idle|mixed|allocated|completing|'
                'down|drained|draining|fail|failing|maint|reserved|unknown|reboot|inval|'
                'planned)",%s})' % C, "{{__name__}}")], "none"),
        panel("Node availability vs 90%", "Usable nodes over all non-FUTURE nodes, per "
              "partition; the line to watch is 90%.",
              [("sum by (partition) (slurm_partition_nodes_usable{%s}) / clamp_min(sum by "
                "(partition) (slurm_partition_nodes_configured{%s}), 1)" % (CP, CP),
                "{{partition}}")], "percentunit", thresholds=[(0.9, "green")]),
        panel("Jobs running and pending", "Jobs (array tasks one by one) by state.",
              [('sum by (state) (slurm_partition_jobs{state=~"running|pending",%s})' % CP,
                "{{state}}")], "none"),
        panel("Oldest eligible pending job vs 1h", "How long the longest-waiting eligible job"
              " of each partition has waited; alert over 1 hour.",
              [("max by (partition) (slurm_partition_pending_job_max_wait_seconds{%s})" % CP,
                "{{partition}}")], "s", thresholds=[(3600, "red")]),
        panel("Accounting DB connections vs max", "Connections on the accounting database "
              "server and its max_connections; alert at 80%.",
              [("sum(slurm_dbd_connections{%s})" % C, "connections"),
               ("sum(slurm_dbd_max_connections{%s})" % C, "max_connections")], "none"),
    ], ["overview"])

    nodes = dashboard("slurm-nodes", "Slurm / Nodes", [
        panel("Node states", "Each node's primary state and conditions (as sinfo shows).",
              [('max by (node, state, flags) (slurm_node_state_info{%s}) * on (node) group_left '
                "() max by (node) (slurm_node_partition_info{%s})" % (C, CP), "")],
              "none", "table", width=12),
        panel("Node reasons", "Reason set on drained, down or failing nodes, and since when.",
              [("max by (node, reason) (slurm_node_reason_info{%s})" % C, ""),
               ("max by (node) (time() - slurm_node_reason_since_timestamp_seconds{%s})" % C,
                "")], "s", "table", width=12),
        panel("CPU allocation per node", "Allocated CPUs over the node's CPUs.",
              [("max by (node) (slurm_node_cpus_allocated{%s}) / clamp_min(max by (node) "
                "(slurm_node_cpus{%s}), 1)" % (C, C), "{{node}}")], "percentunit"),
        panel("GPU allocation per node", "Allocated GPUs of nodes that have GPUs.",
              [("max by (node) (slurm_node_gpus_allocated{%s}) and max by (node) "
                "(slurm_node_gpus{%s}) > 0" % (C, C), "{{node}} allocated"),
               ("max by (node) (slurm_node_gpus{%s}) > 0" % C, "{{node}} total")], "none"),
        panel("Cluster CPUs", "CPUs allocated, idle on usable nodes, and other.",
              [("sum by (state) (slurm_cpus{%s})" % C, "{{state}}")], "none"),
        panel("Cluster GPUs", "GPUs allocated, idle on usable nodes, and other.",
              [("sum by (state) (slurm_gpus{%s})" % C, "{{state}}")], "none"),
        panel("Partition nodes by state", "Nodes of the selected partitions per state.",
              [("sum by (partition, state) (slurm_partition_nodes{%s}) > 0" % CP,
                "{{partition}} {{state}}")], "none"),
        panel("Nodes not responding", "Nodes slurmctld does not hear from, per partition.",
              [("sum by (partition) (slurm_partition_nodes_not_responding{%s})" % CP,
                "{{partition}}")], "none"),
        panel("Load per usable CPU", "Each node's load average (slurmd's CPULoad) over the CPUs "
              "jobs can use (CPUEfctv); SLURMNodeLoadHigh fires above 2 on a node with jobs.",
              [("max by (node) (slurm_node_cpu_load{%s}) / clamp_min(max by (node) "
                "(slurm_node_cpus_effective{%s}), 1)" % (C, C), "{{node}}")], "none",
              thresholds=[(2, "red")]),
        panel("Free memory per node", "Free memory (slurmd's FreeMem) over RealMemory; "
              "SLURMNodeMemoryLow fires below 5% on a node with jobs.",
              [("max by (node) (slurm_node_memory_free_bytes{%s}) / clamp_min(max by (node) "
                "(slurm_node_memory_bytes{%s}), 1)" % (C, C), "{{node}}")], "percentunit"),
    ], ["nodes"])

    jobs = dashboard("slurm-jobs", "Slurm / Jobs and queue", [
        panel("Jobs by partition and state", "Jobs (array tasks one by one).",
              [("sum by (partition, state) (slurm_partition_jobs{%s}) > 0" % CP,
                "{{partition}} {{state}}")], "none"),
        panel("Pending jobs by reason", "Why jobs wait (Slurm's reason names).",
              [("sum by (reason) (slurm_jobs_pending{%s})" % CP, "{{reason}}")], "none"),
        panel("Wait time distribution", "Jobs started per wait-time bucket (eligible to "
              "start).",
              [("sum by (le) (increase(slurm_job_wait_time_seconds_bucket{%s}"
                "[$__rate_interval]))" % CP, "{{le}}")], "s", "heatmap"),
        panel("Wait time quantiles", "Median and 90th percentile of the wait of jobs started "
              "in the interval.",
              [("histogram_quantile(0.5, sum by (le) (rate(slurm_job_wait_time_seconds_bucket"
                "{%s}[$__rate_interval])))" % CP, "p50"),
               ("histogram_quantile(0.9, sum by (le) (rate(slurm_job_wait_time_seconds_bucket"
                "{%s}[$__rate_interval])))" % CP, "p90")], "s"),
        panel("Oldest eligible pending job", "Longest wait of an eligible pending job.",
              [("max by (partition) (slurm_partition_pending_job_max_wait_seconds{%s})" % CP,
                "{{partition}}")], "s", thresholds=[(3600, "red")]),
        panel("CPUs of pending and running jobs", "Requested by pending, used by running jobs.",
              [("sum by (state) (slurm_partition_job_cpus{%s})" % CP, "{{state}}")], "none"),
        panel("GPUs of pending and running jobs", "Requested by pending, used by running jobs.",
              [("sum by (state) (slurm_partition_job_gpus{%s})" % CP, "{{state}}")], "none"),
        panel("Jobs ended by state", "Jobs that ended in the interval by final state, as "
              "slurmdbd recorded them (collector job_efficiency).",
              [("sum by (state) (increase(slurm_partition_jobs_ended_total{%s}"
                "[$__rate_interval]))" % CP, "{{state}}")], "none"),
        panel("Failing jobs", "Share of the jobs that ended in the interval that failed, ran "
              "out of memory or lost their node, per partition; SLURMPartitionJobsFailing "
              "fires above 50%.",
              [('sum by (partition) (increase(slurm_partition_jobs_ended_total{%s,state=~'
                '"failed|out_of_memory|node_fail"}[$__rate_interval])) / clamp_min(sum '
                'by (partition) (increase(slurm_partition_jobs_ended_total{%s}'
                '[$__rate_interval])), 1)' % (CP, CP), "{{partition}}")], "percentunit",
              thresholds=[(0.5, "red")]),
        panel("CPU efficiency of ended jobs", "Median and 10th percentile of TotalCPU / "
              "(Elapsed x AllocCPUS) of the jobs that ended in the interval (seff's figure).",
              [("histogram_quantile(0.5, sum by (le) (rate(slurm_partition_job_cpu_efficiency_"
                "bucket{%s}[$__rate_interval])))" % CP, "p50"),
               ("histogram_quantile(0.1, sum by (le) (rate(slurm_partition_job_cpu_efficiency_"
                "bucket{%s}[$__rate_interval])))" % CP, "p10")], "percentunit"),
        panel("Memory efficiency of ended jobs", "Median and 90th percentile of the largest "
              "MaxRSS of a job's steps over its ReqMem, for jobs that ended in the interval.",
              [("histogram_quantile(0.5, sum by (le) (rate(slurm_partition_job_memory_"
                "efficiency_bucket{%s}[$__rate_interval])))" % CP, "p50"),
               ("histogram_quantile(0.9, sum by (le) (rate(slurm_partition_job_memory_"
                "efficiency_bucket{%s}[$__rate_interval])))" % CP, "p90")], "percentunit"),
        panel("CPU-hours and GPU-hours of ended jobs", "Allocated (Elapsed x CPUs or GPUs) to "
              "the jobs that ended in the interval.",
              [("sum(increase(slurm_partition_job_cpu_allocated_seconds_total{%s}"
                "[$__rate_interval])) / 3600" % CP, "CPU-hours"),
               ("sum(increase(slurm_partition_job_gpu_allocated_seconds_total{%s}"
                "[$__rate_interval])) / 3600" % CP, "GPU-hours")], "none"),
    ], ["jobs"])

    A = C + ',account!="root"'
    fairshare = dashboard("slurm-fairshare", "Slurm / Fairshare and usage", [
        panel("Shares and effective usage", "Per account: NormShares (what it is owed) and "
              "EffectvUsage (what it used), as sshare prints them.",
              [("max by (account) (slurm_account_fairshare_shares_normalized{%s})" % A,
                "{{account}} shares"),
               ("max by (account) (slurm_account_usage_effective{%s})" % A,
                "{{account}} usage")], "percentunit"),
        panel("LevelFS per account", "NormShares over EffectvUsage among siblings (Fair Tree): "
              "below 1 an account used more than its share.",
              [("max by (account) (slurm_account_fairshare_level{%s})" % A, "{{account}}")],
              "none", thresholds=[(1, "green")]),
        panel("Usage per account", "RawUsage: decayed billing-weighted seconds.",
              [("max by (account) (slurm_account_usage_raw_seconds{%s})" % A, "{{account}}")],
              "s"),
        panel("Usage per account and TRES", "Decayed TRES-seconds per account (mem in "
              "megabyte-seconds).",
              [("max by (account, tres) (slurm_account_usage_tres_seconds{%s})" % A,
                "{{account}} {{tres}}")], "none"),
        panel("Fairshare factor per user", "The FairShare factor of each user association "
              "(collector fairshare.users); low values sink in the queue.",
              [("max by (account, user) (slurm_user_fairshare_factor{%s})" % C, "")], "none",
              "table"),
        panel("GrpTRES use", "TRES allocated now over the account's GrpTRES limit, where one "
              "is set.",
              [("max by (account, tres) (slurm_account_grp_tres_used{%s}) / max by (account, "
                "tres) (slurm_account_grp_tres_limit{%s})" % (C, C), "{{account}} {{tres}}")],
              "percentunit", thresholds=[(0.9, "red")]),
        panel("Running jobs and GrpJobs", "Running jobs of the account tree, and its GrpJobs "
              "limit where one is set.",
              [("max by (account) (slurm_account_jobs_running{%s})" % A, "{{account}} running"),
               ("max by (account) (slurm_account_grp_jobs_limit{%s})" % A,
                "{{account}} limit")], "none"),
    ], ["fairshare"])

    scheduler = dashboard("slurm-scheduler", "Slurm / Scheduler and RPC", [
        panel("Scheduler cycles", "Last and mean main cycle, last backfill cycle.",
              [("max(slurm_scheduler_cycle_last_seconds{%s})" % C, "main last"),
               ("max(slurm_scheduler_cycle_mean_seconds{%s})" % C, "main mean"),
               ("max(slurm_backfill_cycle_last_seconds{%s})" % C, "backfill last")], "s"),
        panel("Cycles per second", "Main and backfill scheduler cycles.",
              [("sum(rate(slurm_scheduler_cycles_total{%s}[$__rate_interval]))" % C, "main"),
               ("sum(rate(slurm_backfill_cycles_total{%s}[$__rate_interval]))" % C,
                "backfill")], "ops"),
        panel("Server threads and agent queues", "slurmctld threads (limit 256) and queues.",
              [("max(slurm_scheduler_threads{%s})" % C, "server threads"),
               ("max(slurm_scheduler_agent_queue_size{%s})" % C, "agent queue"),
               ("max(slurm_scheduler_dbd_agent_queue_size{%s})" % C, "DBD agent queue")],
              "none"),
        panel("RPCs by type", "Top RPC types processed by slurmctld.",
              [("topk(10, sum by (type) (rate(slurm_rpc_requests_total{%s}[$__rate_interval])))"
                % C, "{{type}}")], "reqps"),
        panel("RPCs by user", "Top users by RPCs (collector rpc_users).",
              [("topk(10, sum by (user) (rate(slurm_rpc_user_requests_total{%s}"
                "[$__rate_interval])))" % C, "{{user}}")], "reqps"),
        panel("Scheduler exit reasons", "Why main scheduler cycles ended (Slurm 23.11+).",
              [("sum by (reason) (rate(slurm_scheduler_cycle_exits_total{%s}"
                "[$__rate_interval]))" % C, "{{reason}}")], "ops"),
        panel("Job events", "Jobs submitted, started, completed, canceled, failed.",
              [("sum by (event) (rate(slurm_scheduler_jobs_total{%s}[$__rate_interval]))" % C,
                "{{event}}")], "ops"),
    ], ["scheduler"])

    accounting = dashboard("slurm-accounting", "Slurm / Accounting", [
        panel("slurmdbd up", "1 when slurmdbd answers the exporter.",
              [("min(slurm_dbd_up{%s})" % C, "up")], "none", "stat", [(1, "green")], 6),
        panel("slurmdbd latency", "Duration of the statistics request to slurmdbd.",
              [("max(slurm_dbd_latency_seconds{%s})" % C, "latency")], "s", width=6),
        panel("slurmdbd RPCs by type", "RPCs processed by slurmdbd.",
              [("topk(10, sum by (type) (rate(slurm_dbd_rpc_requests_total{%s}"
                "[$__rate_interval])))" % C, "{{type}}")], "reqps"),
        panel("Rollup lag", "Seconds since the last usage rollup, per period.",
              [("max by (period) (slurm_dbd_rollup_lag_seconds{%s})" % C, "{{period}}")], "s"),
        panel("Accounting DB connections", "Connections on the accounting database vs max.",
              [("sum(slurm_dbd_connections{%s})" % C, "connections"),
               ("sum(slurm_dbd_max_connections{%s})" % C, "max_connections")], "none"),
    ], ["accounting"])

    remediation = dashboard("slurm-remediation", "Slurm / Remediation", [
        panel("Decisions", "slurm_remediator decisions by action and outcome.",
              [("sum by (action, outcome) (increase(slurm_remediator_decisions_total"
                "[$__rate_interval]))", "{{action}} {{outcome}}")], "none"),
        panel("Refusals by reason", "Why the remediator refused or did nothing.",
              [('sum by (reason) (increase(slurm_remediator_decisions_total{outcome=~'
                '"refused|noop"}[$__rate_interval]))', "{{reason}}")], "none"),
        panel("Circuit breaker", "1 while the breaker refuses drains (reset by an operator).",
              [("max(slurm_remediator_breaker_open)", "open")], "none", "stat",
              [(1, "red")], 6),
        panel("Nodes held drained", "Nodes drained by the remediator and not resumed yet.",
              [("max(slurm_remediator_nodes_held)", "held")], "none", "stat", width=6),
        panel("Queue and dry-run", "Alerts waiting for a decision; 1 in dry-run mode.",
              [("max(slurm_remediator_queue_depth)", "queue"),
               ("max(slurm_remediator_dry_run)", "dry-run")], "none"),
    ], ["remediation"])
    return {"overview": overview, "nodes": nodes, "jobs": jobs, "scheduler": scheduler,
            "accounting": accounting, "remediation": remediation, "fairshare": fairshare}


def main():
    bad = []
    for name, d in dashboards().items():
        path = os.path.join(HERE, "slurm-%s.json" % name)
        text = json.dumps(d, indent=2, sort_keys=True) + "\n"
        if "--check" in sys.argv:
            if not os.path.exists(path) or open(path).read() != text:
                bad.append(path)
        else:
            open(path, "w").write(text)
    if bad:
        print("out of date (run dashboards/generate.py): " + ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
