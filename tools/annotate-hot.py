#!/usr/bin/python3
"""annotate-hot.py - the hottest function of a callgrind profile, annotated line by line.

    tools/annotate-hot.py callgrind.out [--prefix src/] [--function NAME]

Finds the function with the most instructions of its own (Ir, self) whose source file starts
with PREFIX (senti's own code: the lesson is in what we can change), runs callgrind_annotate
on its source file and prints just that function's lines with their instruction counts.
"""
import argparse
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("--prefix", default="src/")
    ap.add_argument("--function")
    a = ap.parse_args()
    summary = subprocess.run(["callgrind_annotate", a.profile], stdout=subprocess.PIPE,
                             text=True, check=True).stdout
    hot = None
    for line in summary.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S+):(\S+) \[", line)
        if not m:
            continue
        path, fn = m.group(3), m.group(4)
        if a.function and fn != a.function:
            continue
        if not a.function and not path.startswith(a.prefix):
            continue
        hot = (path, fn, m.group(1), m.group(2))
        break
    if not hot:
        print("annotate-hot: no function of %s in the profile" % (a.function or a.prefix + "*"))
        return 1
    path, fn, ir, pct = hot
    print("hottest function of senti's own code: %s (%s), %s Ir self (%s%% of the program)"
          % (fn, path, ir, pct))
    print("(counts are Ir per source line, inlined code included; '.' = no instructions)")
    print()
    ann = subprocess.run(["callgrind_annotate", "--auto=no", "--context=100000", a.profile, path],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    lines = ann.splitlines()
    # the source text starts at a fixed column: just after the "(12.34%)  " of counted lines
    col = None
    for line in lines:
        m = re.match(r"^\s*[\d,]+ \(\s*[\d.]+%\)  ", line)
        if m:
            col = m.end()
            break
    if col is None:
        print("annotate-hot: cannot read callgrind_annotate's output")
        return 1
    start = None
    for i, line in enumerate(lines):
        src = line[col:]
        if src[:1] not in ("", " ", "\t", "}", "{", "/", "*", "#") \
                and re.search(r"\b%s\s*\(" % re.escape(fn), src) and not src.rstrip().endswith(";"):
            start = i
            break
    if start is None:
        print("annotate-hot: the definition of %s was not found in %s" % (fn, path))
        return 1
    for j in range(start, len(lines)):
        print(lines[j])
        if j > start and lines[j][col:].rstrip() == "}":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
