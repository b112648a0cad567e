#!/usr/bin/python3
"""include-graph.py - the #include "..." edges among senti's source files, and their circles.

    tools/include-graph.py [--check] [--edges] [DIR ...]      (default: src)

An include is resolved as the compiler resolves it with -Isrc -Iinclude: against src/,
include/, then the including file's folder. --edges prints "FILE -> HEADER" lines. --check
exits 1 (after printing why) if some file reaches itself through its includes, or if a file
includes one of a higher layer of docs/DESIGN.md (base <- text, io, kernels <- core <- models
<- tools <- programs; the programs, cli, serve and mpi, include none of each other); `make
test` and `make check` run it. Prints "N passed, N failed" for tests/run.sh (two checks).
"""
import os
import re
import sys

INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def resolve(name, src):
    for base in ("src", "include", os.path.dirname(src)):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(p):
            return p
    return None


def graph(dirs):
    files = []
    for d in dirs:
        for root, _, names in os.walk(d):
            files += [os.path.join(root, n) for n in names if n.endswith((".c", ".h"))]
    edges = {}
    for f in sorted(files):
        with open(f, errors="replace") as fh:
            text = fh.read()
        edges[f] = sorted({r for r in (resolve(n, f) for n in INC.findall(text)) if r})
    return edges


# the layer of a file under src/ (docs/DESIGN.md); the programs share a rank but are apart
RANKS = [("src/base/", 0), ("src/text/", 1), ("src/io/safetensors_write.c", 4), ("src/io/", 1),
         ("src/kernels/", 1), ("src/core/", 2), ("src/models/", 3), ("src/tools/", 4),
         ("src/cli/", 5), ("src/serve/", 5), ("src/mpi/", 5)]


def rank(path):
    if "/train" in path and path.startswith("src/models/"):
        return 4  # a kind's trainer is in the tools library
    for prefix, r in RANKS:
        if path.startswith(prefix):
            return r
    return None


def layer_violations(edges):
    bad = []
    for f, gs in edges.items():
        rf = rank(f)
        for g in gs:
            rg = rank(g)
            if rf is None or rg is None:
                continue
            if rg > rf or (rf == rg == 5 and f.split("/")[1] != g.split("/")[1]):
                bad.append("%s -> %s" % (f, g))
    return bad


def find_cycle(edges):
    """A list of files forming a circle, or None (depth-first search, colours)."""
    colour, stack = {}, []

    def visit(f):
        colour[f] = 1
        stack.append(f)
        for g in edges.get(f, []):
            if colour.get(g) == 1:
                return stack[stack.index(g):] + [g]
            if not colour.get(g):
                c = visit(g)
                if c:
                    return c
        stack.pop()
        colour[f] = 2
        return None

    for f in edges:
        if not colour.get(f):
            c = visit(f)
            if c:
                return c
    return None


def main(argv):
    check = "--check" in argv
    show = "--edges" in argv
    dirs = [a for a in argv if not a.startswith("--")] or ["src"]
    edges = graph(dirs)
    if show:
        for f, gs in edges.items():
            for g in gs:
                print("%s -> %s" % (f, g))
    if check:
        failed = 0
        cycle = find_cycle(edges)
        if cycle:
            print("include circle: " + " -> ".join(cycle))
            failed += 1
        else:
            print("no include circle among %d files" % len(edges))
        bad = layer_violations(edges)
        for b in bad:
            print("includes a higher layer: " + b)
        if not bad:
            print("every include points to the same layer or one below")
        failed += 1 if bad else 0
        print("%d passed, %d failed" % (2 - failed, failed))
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
