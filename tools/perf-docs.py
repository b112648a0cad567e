#!/usr/bin/python3
"""perf-docs.py - write the measured section of docs/PERFORMANCE.md from benchmark results.

    tools/perf-docs.py --bench build/bench/bench.json [--vader V.json] [--peers peers.md]
                       [--baseline bench/baseline.json] docs/PERFORMANCE.md

Replaces the lines between "<!-- BEGIN GENERATED" and "<!-- END GENERATED -->" (run by
`make docs` through tools/perf-docs.sh; do not edit that part by hand).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def us(t):
    return "%.0f ns" % (t * 1e9) if t < 1e-6 else "%.2f µs" % (t * 1e6) if t < 1e-3 else "%.2f ms" % (t * 1e3)


def table(d):
    rows = ["| Component | Target (seed) | Target (senti) | Current | Status (seed / senti) |",
            "|---|---|---|---|---|"]
    for r in d["table"]:
        rows.append("| %s | %s | %s | %s | %s / %s |" % (
            r["component"], r["target_seed"], r["target_senti"], r["current"].replace(" us", " µs"),
            r["status_seed"], r["status_senti"]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("doc")
    ap.add_argument("--bench", required=True)
    ap.add_argument("--vader")
    ap.add_argument("--peers")
    ap.add_argument("--baseline")
    a = ap.parse_args()
    d = load(a.bench)
    if not d:
        print("perf-docs: no benchmark results in %s (make benchmark)" % a.bench, file=sys.stderr)
        return 1
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True).stdout.strip() or "?"
    except OSError:
        commit = "?"
    g = []
    g.append("Measured %s UTC on %s (%d cores, %s), senti %s at commit %s (plus local changes), "
             "`make docs`. The machine was shared with other builds: the numbers are best or "
             "median of %d runs after %d warm-up pass, and the spread is shown where it is "
             "large. Wall-clock numbers vary from run to run; compare runs on one machine."
             % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), cpu, d["cores"],
                platform.machine(), d["senti_version"], commit, d["runs"], d["warmup"]))
    g.append("")
    g.append("**Default model** (%s, `%s`), %d SST-2 dev sentences (mean %.0f bytes):"
             % (d["kind"], d["model_name"], d["texts"], d["text_bytes"] / d["texts"]))
    g.append("")
    g += table(d)
    v = load(a.vader) if a.vader else None
    if v:
        g.append("")
        g.append("**VADER** (`--model vader:DIR`), same sentences:")
        g.append("")
        g += table(v)
    s = d.get("single")
    if s:
        g.append("")
        g.append("Single-prediction latency (default model, %d timed calls): p50 %s, p90 %s, "
                 "p99 %s, p99.9 %s, max %s (a max far above p99.9 is the scheduler preempting the thread, not the model)."
                 % (s["calls"], us(s["p50"]), us(s["p90"]), us(s["p99"]), us(s["p999"]), us(s["max"])))
    t = d.get("threads")
    if t:
        g.append("")
        g.append("Throughput, `senti_predict_batch` (best / median of %d runs):" % d["runs"])
        g.append("")
        g.append("| threads | texts/s | MB/s |")
        g.append("|---|---|---|")
        for r in t["rows"]:
            g.append("| %d | %.0f / %.0f | %.1f / %.1f |" % (
                r["threads"], r["texts_per_s"]["max"], r["texts_per_s"]["median"],
                r["mb_per_s"]["max"], r["mb_per_s"]["median"]))
    ln = d.get("length")
    if ln:
        g.append("")
        g.append("Throughput against text length (1 thread, best run): " + ", ".join(
            "%s B: %.1f MB/s" % (r["bytes"], r["mb_per_s"]["max"]) for r in ln) + ".")
    g.append("")
    g.append("Plots (`make benchmark` draws them into build/bench/): latency.svg (latency "
             "distribution), threads.svg (throughput against threads), length.svg (throughput "
             "against text length).")
    if a.peers and os.path.exists(a.peers):
        age = datetime.datetime.utcfromtimestamp(os.path.getmtime(a.peers)).strftime("%Y-%m-%d %H:%M")
        g.append("")
        g.append("**Peers** (`make benchmark-peers`, run %s UTC; see bench/peers.sh for how each "
                 "number is measured):" % age)
        g.append("")
        with open(a.peers) as f:
            g += [l.rstrip("\n").replace(" us", " µs") for l in f]
        while g and not g[-1]:
            g.pop()
    b = load(a.baseline) if a.baseline else None
    if b:
        g.append("")
        g.append("**CI baseline** (bench/baseline.json, build `%s`, tolerance +%g%%): "
                 % (b.get("build"), b.get("tolerance_pct", 5)) + "; ".join(
                     "%s %s instructions" % (k, format(w["ir"], ",")) for k, w in b["workloads"].items())
                 + ".")
    with open(a.doc) as f:
        text = f.read()
    begin = text.index("<!-- BEGIN GENERATED")
    begin = text.index("\n", begin) + 1
    end = text.index("<!-- END GENERATED -->")
    text = text[:begin] + "\n" + "\n".join(g) + "\n\n" + text[end:]
    with open(a.doc, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
