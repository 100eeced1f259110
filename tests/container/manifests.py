#!/usr/bin/env python3
"""manifests.py -- structural checks of deploy/kubernetes/*.yaml.

    manifests.py DIR VERSION

Kubernetes is not at hand and podman kube play ignores Services and
PodDisruptionBudgets, so this checks what ties the manifests together and
to the server's configuration: kinds and API versions, selectors that
match the pod labels, the Service's and the probes' ports by name, the
probe paths against server.yaml in the ConfigMap, the Prometheus
annotations against its admin listener, terminationGracePeriodSeconds
against drain_delay + graceful, the rolling update, the non-root user,
the ConfigMap volume, and the image tag against VERSION.

Prints "ok - ..." or "not ok - ..." per check and a summary line; exit 1
when a check failed.
"""
import glob
import os
import re
import sys

import yaml

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - " + name + (": " + detail if detail else ""))


def duration_s(v):
    """A server.yaml duration ("500ms", "10s", "2m", "1h" or seconds)."""
    if isinstance(v, int):
        return float(v)
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", str(v))
    if not m:
        raise ValueError("not a duration: %r" % (v,))
    n, unit = int(m.group(1)), m.group(2) or "s"
    return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def port_of(address):
    """The port of a listen address ("0.0.0.0:8080", "[::]:8080", ":8080")."""
    if isinstance(address, dict):
        address = address.get("address", "")
    return int(str(address).rsplit(":", 1)[1])


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v
                                  for k, v in selector.items())


def main():
    d, version = sys.argv[1], sys.argv[2]
    docs = {}
    files = sorted(glob.glob(os.path.join(d, "*.yaml")))
    check("manifests found in %s" % d, len(files) > 0)
    for f in files:
        with open(f) as fh:
            for doc in yaml.safe_load_all(fh):
                if doc is None:
                    continue
                docs.setdefault(doc.get("kind"), []).append((f, doc))

    want = {"Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1",
            "PodDisruptionBudget": "policy/v1"}
    for kind, api in want.items():
        got = docs.get(kind, [])
        check("one %s" % kind, len(got) == 1, "found %d" % len(got))
        if len(got) != 1:
            print("%d passed, %d failed" % (passed, failed))
            return 1
        check("%s is %s" % (kind, api), got[0][1].get("apiVersion") == api,
              str(got[0][1].get("apiVersion")))
    dep = docs["Deployment"][0][1]
    svc = docs["Service"][0][1]
    cm = docs["ConfigMap"][0][1]
    pdb = docs["PodDisruptionBudget"][0][1]

    spec = dep["spec"]
    tmpl = spec["template"]
    pod = tmpl["spec"]
    labels = tmpl["metadata"].get("labels", {})
    check("the Deployment's selector matches its pod labels",
          matches(spec["selector"].get("matchLabels"), labels))
    check("the Service's selector matches the pod labels",
          matches(svc["spec"].get("selector"), labels))
    check("the PodDisruptionBudget's selector matches the pod labels",
          matches(pdb["spec"].get("selector", {}).get("matchLabels"), labels))
    check("the PodDisruptionBudget allows one pod down at a time",
          pdb["spec"].get("maxUnavailable") == 1
          or "minAvailable" in pdb["spec"])
    check("replicas > 1", spec.get("replicas", 1) > 1)

    strat = spec.get("strategy", {})
    check("rolling update with maxUnavailable: 0",
          strat.get("type") == "RollingUpdate"
          and strat.get("rollingUpdate", {}).get("maxUnavailable") == 0)
    check("rolling update with maxSurge >= 1",
          strat.get("rollingUpdate", {}).get("maxSurge", 0) not in (0, "0%"))

    ctrs = pod["containers"]
    check("one container", len(ctrs) == 1)
    c = ctrs[0]
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}

    # The configuration the pods run with.
    key = "server.yaml"
    check("the ConfigMap has %s" % key, key in cm.get("data", {}))
    conf = yaml.safe_load(cm["data"][key])
    http_port = port_of(conf["listen"][0])
    admin_port = port_of(conf["admin"]["listen"])
    health = conf.get("health", {}).get("path", "/healthz")
    check("container port 'http' is the listen port %d" % http_port,
          ports.get("http") == http_port, str(ports))
    check("container port 'admin' is the admin port %d" % admin_port,
          ports.get("admin") == admin_port, str(ports))
    check("workers: auto (from the CPU limit)", conf.get("workers") == "auto")
    check("logs to stdout and stderr",
          conf.get("access_log", {}).get("path") == "stdout"
          and conf.get("error_log", {}).get("path") == "stderr")

    check("the Service has ports", len(svc["spec"].get("ports", [])) > 0)
    for sp in svc["spec"].get("ports", []):
        tp = sp.get("targetPort")
        check("Service port %s targets a container port (%s)"
              % (sp.get("port"), tp),
              tp in ports or tp in ports.values())
    check("the Service does not expose the admin port",
          all(sp.get("targetPort") not in ("admin", admin_port)
              for sp in svc["spec"]["ports"]))

    rp = c.get("readinessProbe", {}).get("httpGet", {})
    lp = c.get("livenessProbe", {}).get("httpGet", {})
    check("readiness: GET %s on the worker port (503 while draining)" % health,
          rp.get("path") == health and rp.get("port") in ("http", http_port),
          str(rp))
    check("liveness: GET /healthz on the admin port",
          lp.get("path") == "/healthz"
          and lp.get("port") in ("admin", admin_port), str(lp))

    ann = tmpl["metadata"].get("annotations", {})
    check("Prometheus scrape annotations name the admin port",
          ann.get("prometheus.io/scrape") == "true"
          and ann.get("prometheus.io/port") == str(admin_port)
          and ann.get("prometheus.io/path", "/metrics") == "/metrics", str(ann))

    to = conf.get("timeouts", {})
    drain = duration_s(to.get("drain_delay", 0))
    graceful = duration_s(to.get("graceful", 30))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check("terminationGracePeriodSeconds %s > drain_delay %g + graceful %g"
          % (grace, drain, graceful), grace > drain + graceful)
    check("drain_delay > 0 (time for endpoints to drop the pod)", drain > 0)
    check("drain_delay longer than two readiness periods",
          drain > 2 * c.get("readinessProbe", {}).get("periodSeconds", 10))

    psc = pod.get("securityContext", {})
    csc = c.get("securityContext", {})
    check("runs as non-root with a numeric uid",
          psc.get("runAsNonRoot") is True
          and isinstance(psc.get("runAsUser"), int) and psc["runAsUser"] > 0)
    check("no privilege escalation, all capabilities dropped",
          csc.get("allowPrivilegeEscalation") is False
          and csc.get("capabilities", {}).get("drop") == ["ALL"])

    vols = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    args = c.get("args", [])
    cfg_path = args[args.index("-c") + 1] if "-c" in args else ""
    cfg_dir, cfg_file = os.path.split(cfg_path)
    vol = vols.get(mounts.get(cfg_dir, ""), {})
    check("-c %s is the ConfigMap's %s, mounted on %s"
          % (cfg_path, cfg_file, cfg_dir),
          cfg_file == key
          and vol.get("configMap", {}).get("name") == cm["metadata"]["name"])
    if csc.get("readOnlyRootFilesystem"):
        pid_dir = os.path.dirname(conf.get("pid_file", "/"))
        check("pid_file's directory %s is a writable volume" % pid_dir,
              "emptyDir" in vols.get(mounts.get(pid_dir, ""), {}))

    limit = c.get("resources", {}).get("limits", {}).get("cpu")
    check("a CPU limit (workers: auto follows it)", limit is not None)

    image = c.get("image", "")
    check("image tag %s is the version %s" % (image, version),
          image.rsplit(":", 1)[-1] == version)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
