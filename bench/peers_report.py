#!/usr/bin/python3
"""peers_report.py - the tables of `make benchmark-peers` from bench/peers.sh's results.

    bench/peers_report.py RESULTS.tsv [--json OUT.json] [--md OUT.md]

RESULTS.tsv holds "name<TAB>metric<TAB>value" lines (a later line wins). Prints the measured
numbers and the ratios senti / peer for each pair (senti vs fastText, senti vs scikit-learn,
senti vader vs NLTK VADER).
"""
import argparse
import json
import sys

PAIRS = [("senti", "fasttext"), ("senti", "sklearn"), ("senti-vader", "nltk-vader")]
LABELS = {
    "senti": "senti default (linear, C)",
    "fasttext": "fastText bigram (CLI; latency via python3-fasttext)",
    "sklearn": "scikit-learn TF-IDF + LR (Python)",
    "senti-vader": "senti vader (C)",
    "nltk-vader": "NLTK VADER (Python)",
}
# metric, heading, format, better when senti/peer is ("higher" or "lower")
METRICS = [
    ("accuracy", "accuracy (SST-2 dev)", "%.4f", "higher"),
    ("throughput", "texts/s in process, 1 thread", "%.0f", "higher"),
    ("throughput_process", "texts/s whole process (CLI)", "%.0f", "higher"),
    ("latency_p50", "latency p50", "us", "lower"),
    ("latency_p99", "latency p99", "us", "lower"),
    ("startup_ms", "start-up to first result", "%.2f ms", "lower"),
    ("rss_kb", "peak RSS (100k lines)", "kb", "lower"),
]


def fmt(v, how):
    if v is None:
        return "-"
    if how == "us":
        return "%.2f us" % (v * 1e6) if v < 1e-3 else "%.3f ms" % (v * 1e3)
    if how == "kb":
        return "%.1f MB" % (v / 1024)
    return how % v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--json")
    ap.add_argument("--md")
    a = ap.parse_args()
    res = {}
    with open(a.results) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 3 and p[2]:
                res.setdefault(p[0], {})[p[1]] = float(p[2])
    names = [n for n in ("senti", "fasttext", "sklearn", "senti-vader", "nltk-vader") if n in res]
    out = []
    out.append("| | " + " | ".join(LABELS[n] for n in names) + " |")
    out.append("|---" * (len(names) + 1) + "|")
    for key, head, how, _ in METRICS:
        out.append("| %s | " % head + " | ".join(fmt(res[n].get(key), how) for n in names) + " |")
    out.append("")
    ratios = {}
    pairs = [(s, p) for s, p in PAIRS if s in res and p in res]
    out.append("Ratios senti / peer (throughput and accuracy: above 1 is better for senti; latency, "
               "start-up, memory: below 1 is better for senti):")
    out.append("")
    out.append("| | " + " | ".join("%s / %s" % (s, p) for s, p in pairs) + " |")
    out.append("|---" * (len(pairs) + 1) + "|")
    for key, head, how, better in METRICS:
        cells = []
        for s, p in pairs:
            x, y = res[s].get(key), res[p].get(key)
            if x is None or y is None or y == 0:
                cells.append("-")
                continue
            r = x / y
            ratios.setdefault("%s/%s" % (s, p), {})[key] = r
            if better == "higher":
                note = "%.0fx faster" % r if key.startswith("throughput") and r >= 2 else ""
            else:
                note = "%.0fx less" % (1 / r) if r > 0 and 1 / r >= 2 else ""
            cells.append("%.3g%s" % (r, " (%s)" % note if note else ""))
        out.append("| %s | " % head + " | ".join(cells) + " |")
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": res, "ratios_senti_over_peer": ratios, "labels": LABELS},
                      f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
