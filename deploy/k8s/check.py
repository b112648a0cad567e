#!/usr/bin/python3
"""check.py - the Kubernetes manifests of deploy/k8s against `senti serve --help`.

    senti serve --help > help.txt
    deploy/k8s/check.py help.txt deploy/k8s/*.yaml

They cannot run here (no cluster), so this checks what can drift: every file parses as YAML
(python3-yaml) with apiVersion/kind/metadata.name in each document; every --option in the
senti container's command and args, and every SENTI_* variable in the ConfigMap it reads,
is one `senti serve --help` prints; the readiness and liveness probes use /readyz and
/healthz, paths the help lists, on the port senti listens on; the Service and the
HorizontalPodAutoscaler point at that Deployment and port; the grace period covers the
preStop wait, --shutdown-delay and --drain-timeout; --redis names a Service defined here.
Prints "ok - ..." / "not ok - ..." lines and "N passed, N failed"; exit 1 on a failure.
"""
import re
import sys

import yaml

PASS = FAIL = 0


def check(name, cond, detail=""):
    global PASS, FAIL
    if cond:
        PASS += 1
        print("ok - " + name)
    else:
        FAIL += 1
        print("not ok - " + name + ("\n    " + detail if detail else ""))


def seconds(v):
    """A serve DUR (250ms, 2s, 1.5, 10m, 1h) in seconds."""
    m = re.fullmatch(r"([0-9.]+)(ms|us|s|m|h)?", str(v))
    if not m:
        raise ValueError("not a duration: %r" % v)
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, None: 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def options(argv):
    """{name: value} of the --name=value / --name value arguments after 'serve'."""
    out, i = {}, 0
    while i < len(argv):
        a = str(argv[i])
        if a.startswith("--"):
            if "=" in a:
                k, v = a[2:].split("=", 1)
            elif i + 1 < len(argv) and not str(argv[i + 1]).startswith("-"):
                k, v = a[2:], str(argv[i + 1])
                i += 1
            else:
                k, v = a[2:], None
            out[k] = v
        i += 1
    return out


def main(help_path, paths):
    help_text = open(help_path, encoding="utf-8").read()
    known_opts = set(re.findall(r"--([a-z][a-z0-9-]*)", help_text))
    known_env = set(re.findall(r"\[(SENTI_[A-Z0-9_]+)", help_text))
    known_paths = set(re.findall(r"^\s+(?:GET|POST)\s+(/\S*)", help_text, re.M))
    check("the help lists options, variables and paths", len(known_opts) > 20 and known_env and
          {"/readyz", "/healthz"} <= known_paths, "%d options, paths %s" % (len(known_opts), known_paths))
    docs = []
    for p in paths:
        try:
            with open(p, encoding="utf-8") as f:
                got = [d for d in yaml.safe_load_all(f) if d is not None]
            ok = all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind") and
                     d.get("metadata", {}).get("name") for d in got)
            check("%s parses: %d objects with apiVersion, kind, name" % (p, len(got)), ok and got)
            docs += got
        except (OSError, yaml.YAMLError) as e:
            check("%s parses" % p, False, str(e))
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs if isinstance(d, dict) and "metadata" in d}
    dep = by.get(("Deployment", "senti"))
    check("a Deployment named senti", dep is not None)
    if dep is None:
        return
    pod = dep["spec"]["template"]["spec"]
    c = next((c for c in pod["containers"] if c.get("name") == "senti"), None)
    check("its container senti runs `senti serve`", c and c.get("command", [])[:2] == ["senti", "serve"])
    argv = list(c.get("command", [])[2:]) + list(c.get("args", []))
    opts = options(argv)
    unknown = sorted(set(opts) - known_opts)
    check("every --option of the container is one `senti serve --help` prints (%d used)" % len(opts),
          opts and not unknown, "unknown: %s" % unknown)
    env = {}
    for ref in c.get("envFrom", []):
        cm = by.get(("ConfigMap", ref.get("configMapRef", {}).get("name")))
        check("envFrom ConfigMap %s is defined" % ref.get("configMapRef", {}).get("name"), cm is not None)
        env.update((cm or {}).get("data", {}))
    env.update({e["name"]: e.get("value") for e in c.get("env", [])})
    unknown = sorted(k for k in env if k.startswith("SENTI_") and k not in known_env)
    check("every SENTI_* variable is one the help lists (%d used)" % len(env), not unknown, "unknown: %s" % unknown)
    port = int(opts.get("port") or env.get("SENTI_PORT") or 8080)
    named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    check("the container port is --port (%d)" % port, port in named.values(), str(named))
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        g = c.get(probe, {}).get("httpGet", {})
        pp = named.get(g.get("port"), g.get("port"))
        check("%s: GET %s (a path serve answers) on port %s" % (probe, path, port),
              g.get("path") == path and path in known_paths and pp == port, str(g))
    stop = c.get("lifecycle", {}).get("preStop", {})
    cmd = stop.get("exec", {}).get("command", [])
    wait = float(cmd[1]) if len(cmd) == 2 and cmd[0].endswith("sleep") else \
        float(stop.get("sleep", {}).get("seconds", 0))
    check("a preStop wait", wait > 0, str(stop))
    need = wait + seconds(opts.get("shutdown-delay") or env.get("SENTI_SHUTDOWN_DELAY") or 0) + \
        seconds(opts.get("drain-timeout") or env.get("SENTI_DRAIN_TIMEOUT") or "20s")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    check("terminationGracePeriodSeconds (%s) > preStop + --shutdown-delay + --drain-timeout (%g)" % (grace, need),
          grace > need)
    res = c.get("resources", {})
    check("resources: requests and limits of cpu and memory",
          all(k in res.get(w, {}) for w in ("requests", "limits") for k in ("cpu", "memory")))
    svc = by.get(("Service", "senti"))
    check("a Service senti selects the pods and targets their port",
          svc and svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items() and
          all(named.get(p["targetPort"], p["targetPort"]) == port for p in svc["spec"]["ports"]))
    hpa = next((d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"), None)
    check("a HorizontalPodAutoscaler scales the Deployment senti",
          hpa and hpa["spec"]["scaleTargetRef"].get("kind") == "Deployment" and
          hpa["spec"]["scaleTargetRef"].get("name") == "senti" and hpa["spec"]["minReplicas"] >= 2)
    redis = opts.get("redis") or env.get("SENTI_REDIS") or ""
    m = re.fullmatch(r"redis://([^:/]+)(?::(\d+))?(?:/\d+)?", redis)
    rsvc = m and by.get(("Service", m.group(1)))
    check("--redis names a Service defined here, on its port (%s)" % redis,
          rsvc and any(p["port"] == int(m.group(2) or 6379) for p in rsvc["spec"]["ports"]))
    check("and a Deployment behind it", rsvc and any(
        d.get("kind") == "Deployment" and rsvc["spec"]["selector"].items() <=
        d["spec"]["template"]["metadata"]["labels"].items() for d in docs))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
    print("%d passed, %d failed" % (PASS, FAIL))
    sys.exit(1 if FAIL else 0)
