#!/usr/bin/env python3
"""The chart's pods, run for real: the chart rendered by the real helm (the remediator on, with
its PVC), its Deployments, ConfigMaps, Secrets and PVC run by `podman kube play` with the image
of scripts/image.sh, on the host network against a real local cluster, plus the munge key
Secret the chart expects the site to have.

Checks: both pods start with their init container and munged sidecar; the exporter serves right
values (slurm_up 1, node counts equal sinfo's, munge up) and its liveness probe passes; a
webhook sent to the remediator pod with the chart's token drains a node and its resolution
resumes it, with the audit log on the PVC's volume; each container's user, capabilities,
no-new-privileges and read-only root are what the kernel says of its processes.

podman 4.3 does not apply what only Kubernetes can: Services, NetworkPolicy, readiness probes,
the pod-level securityContext (runAsUser, runAsNonRoot, fsGroup, seccompProfile) and the
Deployment's strategy. The test says which of those it met (README, "Container image").

Environment: IMAGE, IMAGE_PODMAN (as test_image.py).
"""
import base64
import os
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "chart"))
import test_chart  # noqa: E402  (helm from the npm registry, as the chart tests get it)
from test_image import (IMAGE, PODMAN, Setup, admin_user, check_serves_cluster,  # noqa: E402
                        get, node_state, podman, webhook)
from harness import Cluster, free_port, log, wait_until  # noqa: E402
import json  # noqa: E402

TOKEN = "kube-play-token-for-tests"
KINDS = ("Deployment", "ConfigMap", "Secret", "PersistentVolumeClaim")


def render(setup, exporter_port, remediator_port, release, admin_uid):
    repo, tag = IMAGE.rsplit(":", 1)
    values = {
        "image": {"repository": "localhost/" + repo.split("/")[-1], "tag": tag,
                  "pullPolicy": "Never"},
        # munged as the pod's fsGroup: the kubelet gives every container the fsGroup as a
        # supplementary group (how munge.uid 999 reads the key Secret, root:fsGroup 0440);
        # podman 4.3 does not, so the test runs munged as 65534, a value sites may set too.
        "munge": {"uid": 65534},
        "slurm": {"existingConfigMap": "",
                  "slurmConf": open(os.path.join(setup.etc, "slurm.conf")).read()},
        # Loopback only: the pods share the host's network here.
        "exporter": {"port": exporter_port, "pollInterval": "2s",
                     "extraArgs": ["--web.listen-address=127.0.0.1:%d" % exporter_port]},
        "remediator": {"enabled": True, "port": remediator_port, "dryRun": False,
                       "runAsUser": admin_uid, "runAsGroup": admin_uid,
                       "extraArgs": ["--web.listen-address=127.0.0.1:%d" % remediator_port],
                       "persistence": {"enabled": True}, "authToken": {"value": TOKEN},
                       "policy": {"rules": [{"alertname": "SLURMNodeNotResponding",
                                             "matchers": {"remediation": "drain"}}],
                                  "max_drained_nodes": 2, "max_drained_fraction": 0.5,
                                  "max_partition_fraction": 1.0}},
    }
    vfile = os.path.join(setup.dir, "values.yaml")
    with open(vfile, "w") as f:
        yaml.safe_dump(values, f)
    out = test_chart.helm("template", release, test_chart.CHART, "-n", "slurm", "-f",
                          vfile).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    skipped = sorted({d["kind"] for d in docs if d["kind"] not in KINDS})
    docs = [d for d in docs if d["kind"] in KINDS]
    # The munge key Secret is the site's (munge.keySecret), not the chart's.
    key = open(os.path.join(setup.key, "munge.key"), "rb").read()
    docs.append({"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": "slurm-cluster-munge"},
                 "data": {"munge.key": base64.b64encode(key).decode()}})
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for d in docs:
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            pod["hostNetwork"] = True
            # podman 4.3 restarts init containers under the pod's Always policy, and then
            # cannot remove the "once" init container it restarted (containers/podman#16343).
            pod["restartPolicy"] = "OnFailure"
            for c in pod["containers"]:
                # podman 4.3 refuses port declarations on the host network ("PortMappings can
                # only be used with Bridge"); the probes' named ports become numbers.
                ports = {p["name"]: p["containerPort"] for p in c.pop("ports", [])}
                for probe in ("livenessProbe", "readinessProbe"):
                    action = c.get(probe, {}).get("httpGet") or c.get(probe, {}).get("tcpSocket")
                    if action and action["port"] in ports:
                        action["port"] = ports[action["port"]]
            fs_group = pod.get("securityContext", {}).get("fsGroup", 0)
            for v in pod["volumes"]:
                as_host_path(v, objects, setup.mkdir("vol-" + d["metadata"]["name"], 0o755),
                             reader_group(pod, v["name"], fs_group))
    path = os.path.join(setup.dir, "pods.yaml")
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f)
    log("rendered %s; podman kube play runs %s; not run here: %s" % (
        ", ".join("%s/%s" % (d["kind"], d["metadata"]["name"]) for d in docs),
        "/".join(KINDS), ", ".join(skipped)))
    return path, docs


def reader_group(pod, volume, fs_group):
    """The group that reads a volume's files. The kubelet gives every container the pod's
    fsGroup as a supplementary group; podman 4.3 does not, so the files get the group of the
    containers that mount the volume (runAsGroup) when they agree on one, else the fsGroup."""
    groups = {c.get("securityContext", {}).get("runAsGroup", fs_group)
              for c in pod.get("initContainers", []) + pod["containers"]
              if any(m["name"] == volume for m in c.get("volumeMounts", []))}
    return groups.pop() if len(groups) == 1 else fs_group


def as_host_path(volume, objects, root, fs_group):
    """The kubelet's volumes where podman 4.3 differs. It cannot mount Secret volumes (it
    crashes without `optional`, and skips the volume with it: containers/podman#16636): such a
    volume becomes a hostPath folder holding the same files, with the volume's mode and the
    pod's fsGroup as their group, as the kubelet writes them. emptyDir: see below."""
    if "emptyDir" in volume:
        # The kubelet's emptyDir is a new empty folder, mode 0777; podman 4.3's is a volume that
        # copies the image's folder at that path with its owner and mode (munge's /etc/munge,
        # 0700, which the chart's init container, uid 999, cannot enter).
        folder = os.path.join(root, volume["name"])
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o777)
        del volume["emptyDir"]
        volume["hostPath"] = {"path": folder, "type": "Directory"}
        log("volume %s: emptyDir as a 0777 hostPath folder (podman 4.3)" % volume["name"])
        return
    src = volume.get("secret")
    if not src:
        return
    obj = objects[("Secret", src["secretName"])]
    folder = os.path.join(root, volume["name"])
    os.makedirs(folder, exist_ok=True)
    data = {k: base64.b64decode(v) for k, v in obj.get("data", {}).items()}
    data.update({k: v.encode() for k, v in obj.get("stringData", {}).items()})
    items = src.get("items") or [{"key": k, "path": k} for k in data]
    for item in items:
        path = os.path.join(folder, item["path"])
        with open(path, "wb") as f:
            f.write(data[item["key"]])
        os.chown(path, 0, fs_group)
        os.chmod(path, src.get("defaultMode", 0o644))
    del volume["secret"]
    volume["hostPath"] = {"path": folder, "type": "Directory"}
    log("volume %s: Secret %s as hostPath %s (podman 4.3)" % (
        volume["name"], src["secretName"], folder))


def containers_of(pod_prefix):
    """{container name: (id, running)} of a pod's containers (infra and init ones included)."""
    out = podman("ps", "-a", "--format", "{{.ID}} {{.Names}}")
    found = {}
    for line in out.splitlines():
        cid, name = line.split()[:2]
        if name.startswith(pod_prefix):
            running = podman("inspect", "--format", "{{.State.Running}}", cid) == "true"
            found[name[len(pod_prefix):].lstrip("-")] = (cid, running)
    return found


def kernel_view(cid):
    status = podman("exec", cid, "cat", "/proc/1/status")
    f = dict(re.findall(r"^(\w+):\s+(.*)$", status, re.M))
    ro = subprocess.run(PODMAN + ["exec", cid, "touch", "/opt/x"], capture_output=True,
                        text=True)
    return {"uid": int(f["Uid"].split()[0]), "cap_eff": int(f["CapEff"], 16),
            "cap_bnd": int(f["CapBnd"], 16), "no_new_privs": f["NoNewPrivs"] == "1",
            "read_only": "Read-only file system" in ro.stderr}


def check_security(pods):
    checked = 0
    for pod, d in pods.items():
        spec = d["spec"]["template"]["spec"]
        for c in spec["containers"]:
            cid, running = containers_of(pod)[c["name"]]
            assert running, "%s/%s is not running" % (pod, c["name"])
            k = kernel_view(cid)
            name = c["name"]
            user = c.get("securityContext", {}).get("runAsUser")
            assert k["uid"] == (user or 65534), "%s/%s runs as uid %d" % (pod, name, k["uid"])
            assert k["cap_eff"] == 0 and k["cap_bnd"] == 0, "%s/%s capabilities %s" % (
                pod, name, k)
            assert k["no_new_privs"], "%s/%s may gain privileges" % (pod, name)
            assert k["read_only"], "%s/%s root file system is writable" % (pod, name)
            log("%s/%s: uid %d (%s), no capabilities, NoNewPrivs, read-only root" % (
                pod, name, k["uid"], "container runAsUser" if user else
                "the image's USER: podman 4.3 ignores the pod's runAsUser"))
            checked += 1
    assert checked == 4, "checked %d containers" % checked


def check_probes(docs):
    """Each probe of the rendered containers answers 200 on its path and port, as the kubelet
    would ask it (podman 4.3 runs probes as commands inside the container, and the image has
    no curl: its health checks say nothing of ours)."""
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        for c in d["spec"]["template"]["spec"]["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                action = c.get(probe, {}).get("httpGet")
                if not action:
                    continue
                url = "http://127.0.0.1:%d%s" % (action["port"], action["path"])
                wait_until("%s %s %s" % (c["name"], probe, url), lambda: get(url)[0] == 200,
                           timeout=60)
                log("%s/%s: %s %s answers 200" % (d["metadata"]["name"], c["name"], probe, url))


def main():
    assert IMAGE, "set IMAGE (scripts/image.sh test builds it and sets it)"
    t0 = time.monotonic()
    test_chart.tools()
    cluster = Cluster(nodes=4)
    path = None
    release = "kp%d" % os.getpid()
    try:
        setup = Setup(cluster)
        _, admin_uid = admin_user(cluster)
        eport, rport = free_port(), free_port()
        path, docs = render(setup, eport, rport, release, admin_uid)
        out = subprocess.run(PODMAN + ["kube", "play", path], capture_output=True, text=True)
        log("podman kube play: rc %d %s" % (out.returncode, (out.stderr or "").strip()[-500:]))
        assert out.returncode == 0, "podman kube play failed: " + out.stderr
        pods = {d["metadata"]["name"] + "-pod-0": d for d in docs if d["kind"] == "Deployment"}
        for pod in pods:
            log("pod %s: %s" % (pod, containers_of(pod)))
        exporter_pod = [p for p in pods if "remediator" not in p][0]
        remediator_pod = [p for p in pods if "remediator" in p][0]
        check_serves_cluster(cluster, eport, "exporter pod")
        check_probes(docs)
        wait_until("remediator pod ready",
                   lambda: get("http://127.0.0.1:%d/-/ready" % rport)[0] == 200, timeout=60)
        assert webhook(rport, "firing", "n3", TOKEN, "kube-") == 200
        wait_until("n3 drained by the remediator pod",
                   lambda: "DRAIN" in node_state(cluster, "n3")[0], timeout=30)
        assert webhook(rport, "resolved", "n3", TOKEN, "kube-") == 200
        wait_until("n3 resumed", lambda: "DRAIN" not in node_state(cluster, "n3")[0],
                   timeout=30)
        rcid = containers_of(remediator_pod)["remediator"][0]
        claim = [d["metadata"]["name"] for d in docs if d["kind"] == "PersistentVolumeClaim"][0]
        mounts = json.loads(podman("inspect", "--format", "{{json .Mounts}}", rcid))
        audit_mount = [m for m in mounts if m["Destination"] == "/var/lib/slurm-remediator"]
        assert audit_mount and audit_mount[0].get("Name") == claim, mounts
        audit = podman("exec", rcid, "cat", "/var/lib/slurm-remediator/audit.jsonl")
        assert '"drain"' in audit and '"resume"' in audit, audit
        log("remediator pod: webhook with the chart's token drained n3 and resumed it; audit "
            "log on the PVC's volume")
        check_security(pods)
    except AssertionError as e:
        import traceback
        traceback.print_exc()
        for line in podman("ps", "-a", "--format", "{{.ID}} {{.Names}}").splitlines():
            cid, name = line.split()
            if release in name:
                r = subprocess.run(PODMAN + ["logs", cid], capture_output=True, text=True)
                print("--- %s:\n%s" % (name, (r.stdout + r.stderr)[-2000:]))
        log("FAIL:", e)
        print("0 passed, 1 failed")
        sys.exit(1)
    finally:
        if path:
            subprocess.run(PODMAN + ["kube", "play", "--down", path], capture_output=True)
            for p in podman("pod", "ls", "--format", "{{.Name}}").split():
                if p.startswith(release):  # what a failed play left
                    podman("pod", "rm", "-f", p, check=False)
            for v in podman("volume", "ls", "--format", "{{.Name}}").split():
                if v.startswith(release):
                    podman("volume", "rm", "-f", v, check=False)
        cluster.stop()
    log("PASS in %.1fs" % (time.monotonic() - t0))
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
