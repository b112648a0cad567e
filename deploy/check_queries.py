#!/usr/bin/env python3
"""Check that every PromQL query of the dashboard and the alert rules names only metrics a
live senti exports (or that Prometheus itself makes, like `up`).

  check_queries.py LIVE_METRICS_FILE grafana-dashboard.json alerts.yml

LIVE_METRICS_FILE is a scrape of /metrics. Prints each metric a query uses and where; exits 1
if any is missing from the scrape. Standard library only (the YAML is read just for its
`expr:` entries, single-line or block scalars).
"""
import json
import re
import sys

PROMETHEUS_MADE = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
FUNCTIONS_AND_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "rate", "irate", "increase", "delta", "idelta", "deriv",
    "histogram_quantile", "label_values", "label_replace", "label_join", "abs", "ceil", "floor",
    "round", "clamp_min", "clamp_max", "absent", "vector", "scalar", "time", "sort", "sort_desc",
    "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time",
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}


def exported(path):
    names = set()
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def dashboard_exprs(path):
    out = []

    def walk(node, where):
        if isinstance(node, dict):
            title = node.get("title", where)
            for k, v in node.items():
                if k in ("expr", "query") and isinstance(v, str) and k == "expr":
                    out.append((title, v))
                elif k == "query" and isinstance(v, str) and "(" in v:
                    out.append((title + " (variable)", v))
                else:
                    walk(v, title)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    walk(json.load(open(path, encoding="utf-8")), path)
    return out


def alert_exprs(path):
    out, lines = [], open(path, encoding="utf-8").read().splitlines()
    alert = path
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*-?\s*alert:\s*(\S+)", line)
        if m:
            alert = m.group(1)
        m = re.match(r"(\s*)expr:\s*(.*)$", line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", ">", "|-", ">-"):
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                    body.append(lines[i])
                    i += 1
                out.append((alert, "\n".join(body)))
                continue
            out.append((alert, rest.strip("'\"")))
        i += 1
    return out


def metrics_in(expr):
    e = re.sub(r"label_values\((.*),\s*\w+\s*\)", r"\1", expr)  # label_values(m, LABEL)
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', e)              # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                           # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                          # ranges [5m], [$__rate_interval]
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\w+", "", e)                               # dashboard variables
    names = set()
    for m in re.finditer(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in FUNCTIONS_AND_WORDS:
            continue
        names.add(name)
    return names


def main():
    live = exported(sys.argv[1])
    queries = []
    for path in sys.argv[2:]:
        queries += dashboard_exprs(path) if path.endswith(".json") else alert_exprs(path)
    missing = 0
    used = set()
    for where, expr in queries:
        for name in sorted(metrics_in(expr)):
            used.add(name)
            if name not in live and name not in PROMETHEUS_MADE:
                print("MISSING %s (in %s): %s" % (name, where, " ".join(expr.split())))
                missing += 1
    print("%d queries, %d metrics used, %d missing: %s" % (len(queries), len(used), missing, " ".join(sorted(used))))
    sys.exit(1 if missing or not queries else 0)


if __name__ == "__main__":
    main()
