#!/usr/bin/python3
"""perf-gate.py - the CI performance gate: instruction counts, not wall-clock time.

    tools/perf-gate.py [--senti build/senti] [--baseline bench/baseline.json] [--data FILE]
                       [--tolerance PCT] [--update] [--tap]

Each fixed workload of `senti bench --workload NAME` runs once under valgrind's callgrind with
collection switched on only inside the function bench_wl_NAME (src/cli/bench.c), so the count
is the instructions executed by that workload and nothing else (not process start-up, not
reading the data). Instruction counts do not depend on the machine's load, so they can be
compared with a committed baseline on a shared, noisy CI machine:

    load        senti_model_open("default") + senti_model_free
    single      senti_ctx_new + one senti_predict of a fixed 90-byte sentence + senti_ctx_free
    batch1000   senti_predict_batch over the first 1,000 SST-2 dev sentences (cycled), 1 thread

A workload fails when it costs more than the baseline by more than the tolerance (5%: the
baseline's tolerance_pct, overridden by $PERF_TOLERANCE or --tolerance). Getting cheaper by more than the tolerance passes with a note: run
`make bench-baseline` to lock the gain in. The counts belong to one compiler and optimization
level (recorded in the baseline); with another build the comparison is reported but not
enforced. --update rewrites the baseline (`make bench-baseline`): a deliberate, reviewed change.
Exit status: 0 within tolerance (or skipped), 1 a regression, 2 could not measure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WORKLOADS = [
    ("load", "senti_model_open(default) + senti_model_free", 1),
    ("single", "one senti_predict (fixed sentence, new context)", 1),
    ("batch1000", "senti_predict_batch, 1,000 SST-2 dev sentences, 1 thread", 1000),
]


def measure(senti, name, data, tmp):
    out = os.path.join(tmp, "callgrind.%s" % name)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
           "--collect-atstart=no", "--toggle-collect=bench_wl_%s*" % name,
           senti, "bench", "--workload", name, "--data", data]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(cmd), p.returncode,
                                                         p.stderr[-2000:]))
    m = re.search(r"compiler (.*)$", p.stdout.strip(), re.M)
    build = m.group(1).strip() if m else "unknown"
    ir = None
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                ir = int(line.split()[1])
                break
    if ir is None:
        raise RuntimeError("no instruction count in " + out)
    return ir, build


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--senti", default=os.environ.get("SENTI", "build/senti"))
    ap.add_argument("--baseline", default="bench/baseline.json")
    ap.add_argument("--data", default=os.path.join(os.environ.get("DATA", "../shared/data"),
                                                   "sst2", "dev.tsv"))
    ap.add_argument("--tolerance", type=float, default=None,
                    help="percent (default: $PERF_TOLERANCE, else the baseline's, else 5)")
    ap.add_argument("--update", action="store_true", help="rewrite the baseline")
    ap.add_argument("--tap", action="store_true", help="ok / not ok lines for tests/cli")
    args = ap.parse_args()

    if not shutil.which("valgrind"):
        print("perf-gate: valgrind is not installed (tools/apt-ensure valgrind)", file=sys.stderr)
        return 2
    base = None
    if not args.update:
        try:
            with open(args.baseline) as f:
                base = json.load(f)
        except (OSError, ValueError) as e:
            print("perf-gate: cannot read the baseline %s: %s (make bench-baseline)"
                  % (args.baseline, e), file=sys.stderr)
            return 2

    if args.tolerance is None:
        env = os.environ.get("PERF_TOLERANCE")
        args.tolerance = float(env) if env else float((base or {}).get("tolerance_pct", 5))

    results = {}
    build = None
    with tempfile.TemporaryDirectory() as tmp:
        for name, what, per in WORKLOADS:
            try:
                ir, b = measure(args.senti, name, args.data, tmp)
            except RuntimeError as e:
                print("perf-gate: %s" % e, file=sys.stderr)
                return 2
            results[name] = ir
            build = b

    if args.update:
        old = {}
        try:
            with open(args.baseline) as f:
                old = json.load(f).get("workloads", {})
        except (OSError, ValueError):
            pass
        doc = {
            "about": "Instruction counts (callgrind Ir) of senti's fixed workloads; compared by "
                     "tools/perf-gate.py (make bench-check, tests/cli/perf.sh); rewritten only by "
                     "make bench-baseline.",
            "build": build,
            "tolerance_pct": args.tolerance,
            "data": "sst2/dev.tsv",
            "workloads": {name: {"ir": results[name], "what": what,
                                 "ir_per_text": round(results[name] / per, 1)}
                          for name, what, per in WORKLOADS},
        }
        with open(args.baseline, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("perf-gate: wrote %s (build: %s)" % (args.baseline, build))
        for name, what, per in WORKLOADS:
            prev = old.get(name, {}).get("ir")
            change = "" if not prev else "  (was %s, %+.2f%%)" % (
                format(prev, ","), 100.0 * (results[name] - prev) / prev)
            print("  %-10s %14s Ir%s" % (name, format(results[name], ","), change))
        return 0

    enforce = base.get("build") == build
    tol = args.tolerance
    print("perf-gate: instruction counts (callgrind) against %s, tolerance +%g%%%s"
          % (args.baseline, tol, "" if enforce else
             " -- NOT ENFORCED: the baseline is from build '%s', this is '%s' "
             "(make bench-baseline with this build to enforce)" % (base.get("build"), build)))
    print("  %-10s %16s %16s %9s  %s" % ("workload", "baseline Ir", "current Ir", "change", "status"))
    failed = 0
    lines = []
    for name, what, per in WORKLOADS:
        b = base.get("workloads", {}).get(name, {}).get("ir")
        cur = results[name]
        if not b:
            status, change = "new (no baseline)", ""
        else:
            pct = 100.0 * (cur - b) / b
            change = "%+.2f%%" % pct
            if pct > tol:
                status = "REGRESSION (> +%g%%)" % tol
                if enforce:
                    failed += 1
            elif pct < -tol:
                status = "faster: make bench-baseline to lock it in"
            else:
                status = "ok"
        print("  %-10s %16s %16s %9s  %s" % (name, format(b, ",") if b else "-",
                                             format(cur, ","), change, status))
        tap_ok = not (status.startswith("REGRESSION") and enforce)
        lines.append("%s - perf gate %s: %s Ir (baseline %s, %s, limit +%g%%)%s" % (
            "ok" if tap_ok else "not ok", name, format(cur, ","), format(b, ",") if b else "none",
            change or "n/a", tol, "" if enforce else " # not enforced: other build"))
    if args.tap:
        print()
        print("\n".join(lines))
    if failed:
        print("perf-gate: %d workload(s) cost more than the baseline + %g%%. If the extra work "
              "is intended, run `make bench-baseline` and commit bench/baseline.json with the "
              "reason." % (failed, tol))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
