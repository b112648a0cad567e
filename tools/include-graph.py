#!/usr/bin/python3
"""include-graph.py - the #include "..." edges among senti's source files, and their circles.

    tools/include-graph.py [--check] [--edges] [DIR ...]      (default: src)

An include is resolved as the compiler resolves it with -Isrc -Iinclude: against src/,
include/, then the including file's folder. --edges prints "FILE -> HEADER" lines. --check
exits 1 (after printing it) if some file reaches itself through its includes; `make test`
and `make check` run it, so the layers of docs/DESIGN.md (base <- text, io, kernels <- core
<- models <- tools <- programs) cannot quietly grow a circle. Prints "N passed, N failed"
for tests/run.sh.
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
        cycle = find_cycle(edges)
        if cycle:
            print("include circle: " + " -> ".join(cycle))
            print("0 passed, 1 failed")
            return 1
        print("no include circle among %d files" % len(edges))
        print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
