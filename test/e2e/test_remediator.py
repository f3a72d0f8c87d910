#!/usr/bin/env python3
"""slurm_remediator behind a real Alertmanager on a real cluster: an alert for node X drains X
with the remediator's reason, its resolution resumes X; a node an admin drained is never
touched; a duplicate delivery makes one action; a storm drains no more than the cap and opens
the breaker; a bad token gets 401 and changes nothing."""
import datetime
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Cluster, free_port, log, main, wait_until  # noqa: E402

TOKEN = "s3cret-token-for-tests"


def now_iso(offset=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def node_state(cluster, node):
    """(State, Reason) as scontrol shows them (Reason without its " [user@time]" suffix)."""
    line = cluster.run("scontrol", "show", "node", node, "-o").strip()
    state = re.search(r"\bState=(\S+)", line).group(1)
    reason = re.search(r"\bReason=(.*)$", line)
    reason = re.sub(r" \[[^\]]*@[^\]]*\]\s*$", "", reason.group(1)) if reason else ""
    return state, reason


def test(args):
    cluster = Cluster(nodes=6)
    procs = []
    try:
        d = cluster.dir
        token_file = os.path.join(d, "etc", "remediator.token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        policy = {
            "dry_run": False,
            "rules": [{"alertname": "SLURMNodeNotResponding",
                       "matchers": {"remediation": "drain"}}],
            "max_drained_nodes": 2, "max_drained_fraction": 0.5, "max_partition_fraction": 1,
            "rate_limit": {"drains": 10, "window_seconds": 600},
        }
        policy_file = os.path.join(d, "etc", "policy.json")
        json.dump(policy, open(policy_file, "w"))
        audit = os.path.join(d, "audit.jsonl")
        rport = free_port()
        rurl = "http://127.0.0.1:%d" % rport
        remediator_bin = os.path.join(os.path.dirname(args.exporter), "slurm_remediator")
        procs.append(cluster.spawn("remediator", [
            remediator_bin, "--policy.file=" + policy_file, "--audit.log=" + audit,
            "--web.listen-address=127.0.0.1:%d" % rport, "--web.auth-token-file=" + token_file,
            "--reconcile-interval=1s"]))
        wait_until("remediator ready", lambda: http("GET", rurl + "/-/ready")[0] == 200)

        amport = free_port()
        amurl = "http://127.0.0.1:%d" % amport
        am_cfg = {
            "route": {"receiver": "remediator", "group_by": ["alertname", "node"],
                      "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "remediator", "webhook_configs": [{
                "url": rurl + "/api/v1/alerts", "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer",
                                                  "credentials_file": token_file}}}]}],
        }
        am_file = os.path.join(d, "etc", "alertmanager.yml")
        yaml.safe_dump(am_cfg, open(am_file, "w"))
        procs.append(cluster.spawn("alertmanager", [
            "prometheus-alertmanager", "--config.file=" + am_file,
            "--storage.path=" + os.path.join(d, "am-data"),
            "--web.listen-address=127.0.0.1:%d" % amport, "--cluster.listen-address="]))
        wait_until("Alertmanager ready", lambda: http("GET", amurl + "/-/ready")[0] == 200,
                   timeout=60)

        def fire(node, resolve=False):
            alert = {"labels": {"alertname": "SLURMNodeNotResponding", "node": node,
                                "remediation": "drain", "severity": "warning"},
                     "annotations": {"summary": "Node %s does not respond" % node},
                     "startsAt": now_iso(-60)}
            alert["endsAt"] = now_iso(-1) if resolve else now_iso(3600)
            code, body = http("POST", amurl + "/api/v2/alerts", [alert])
            assert code == 200, (code, body)

        # 1. Alert for n3 -> n3 drained with our reason.
        fire("n3")
        state = wait_until("n3 drained", lambda: (lambda s: s if "DRAIN" in s[0] else None)(
            node_state(cluster, "n3")), timeout=30)
        assert state[1].startswith("remediator: SLURMNodeNotResponding ["), state
        log("alert for n3 via Alertmanager: n3 %s, reason %r" % state)

        # 2. Resolved -> resumed.
        fire("n3", resolve=True)
        wait_until("n3 resumed", lambda: "DRAIN" not in node_state(cluster, "n3")[0], timeout=30)
        log("resolved: n3 %s" % node_state(cluster, "n3")[0])

        # 3. A node an admin drained is never touched, not drained again, never resumed.
        cluster.run("scontrol", "update", "NodeName=n4", "State=DRAIN", "Reason=admin: bad DIMM")
        fire("n4")
        wait_until("refusal recorded", lambda: '"reason":"drained_by_others"' in open(audit).read())
        fire("n4", resolve=True)
        wait_until("resolution seen", lambda: sum(
            1 for l in open(audit) if '"event":"decision"' in l and '"node":"n4"' in l) >= 2)
        state = node_state(cluster, "n4")
        assert "DRAIN" in state[0] and state[1] == "admin: bad DIMM", state
        log("admin-drained n4 left alone: %s %r" % state)

        # 4. A duplicate delivery (HA Alertmanager pair) makes one action.
        payload = {"version": "4", "status": "firing", "receiver": "remediator", "alerts": [{
            "status": "firing", "fingerprint": "dup0000000000001", "startsAt": now_iso(-30),
            "labels": {"alertname": "SLURMNodeNotResponding", "node": "n2",
                       "remediation": "drain"}, "annotations": {}}]}
        assert http("POST", rurl + "/api/v1/alerts", payload, TOKEN)[0] == 200
        assert http("POST", rurl + "/api/v1/alerts", payload, TOKEN)[0] == 200
        wait_until("n2 drained", lambda: "DRAIN" in node_state(cluster, "n2")[0], timeout=30)
        decisions = [json.loads(l) for l in open(audit) if '"fingerprint":"dup0000000000001"' in l
                     and '"event":"decision"' in l]
        assert len(decisions) == 1, decisions
        payload["status"] = payload["alerts"][0]["status"] = "resolved"
        assert http("POST", rurl + "/api/v1/alerts", payload, TOKEN)[0] == 200
        wait_until("n2 resumed", lambda: "DRAIN" not in node_state(cluster, "n2")[0], timeout=30)
        log("duplicate delivery: one drain decision; resolved -> resumed")

        # 5. A bad token gets 401 and changes nothing; a malformed body gets 400.
        size = os.path.getsize(audit)
        assert http("POST", rurl + "/api/v1/alerts", payload, "wrong")[0] == 401
        assert http("POST", rurl + "/api/v1/alerts", payload)[0] == 401
        code, _ = http("POST", rurl + "/api/v1/alerts", {"version": "4", "alerts": "x"}, TOKEN)
        assert code == 400, code
        assert os.path.getsize(audit) == size, "rejected requests must not touch the ledger"
        log("bad token: 401, malformed: 400, audit log unchanged")

        # 6. A storm for four nodes drains no more than the cap (2) and opens the breaker.
        for n in ("n1", "n2", "n5", "n6"):
            fire(n)
        try:
            wait_until("breaker open", lambda: re.search(
                r"^slurm_remediator_breaker_open 1$", http("GET", rurl + "/metrics")[1], re.M),
                timeout=30)
        except AssertionError as e:
            raise AssertionError("%s; audit: %s" % (e, [
                (j["event"], j.get("node") or j["alert"]["labels"].get("node"), j.get("outcome"),
                 j.get("reason")) for j in map(json.loads, open(audit))][-8:]))
        wait_until("every storm alert decided", lambda: sum(
            1 for l in open(audit) if '"event":"decision"' in l) >= 10, timeout=30)
        ours = [n for n in ("n1", "n2", "n3", "n4", "n5", "n6")
                if node_state(cluster, n)[1].startswith("remediator: ")]
        assert len(ours) == 2, (ours, [(j["event"], j.get("node"), j.get("outcome"),
                                        j.get("reason")) for j in map(json.loads, open(audit))])
        status = json.loads(http("GET", rurl + "/api/v1/status", token=TOKEN)[1])
        assert status["breaker_open"] and len(status["held"]) == 2, status
        assert http("GET", rurl + "/api/v1/status")[0] == 401
        log("storm of 4 alerts: %d drained (cap 2), breaker open: %s"
            % (len(ours), status["breaker_reason"]))
        code, body = http("POST", rurl + "/api/v1/breaker/reset", {}, TOKEN)
        assert code == 200 and "closed" in body
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        cluster.stop()


if __name__ == "__main__":
    main(test)
