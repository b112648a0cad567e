#!/usr/bin/python3
"""flamegraph.py - stack samples -> a self-contained flame graph SVG, and a top-functions report.

    perf script -i perf.data | tools/flamegraph.py --title T -o flame.svg [--folded out.folded]
                                                   [--top top.txt]
    tools/flamegraph.py --input-folded stacks.folded -o flame.svg

Input: the text of `perf script` (one sample = a header line, then one frame per line, leaf
first, then a blank line), or folded stacks ("root;caller;leaf COUNT" per line). Output: an
SVG that any browser opens (no scripts fetched from anywhere: a few lines of inline JavaScript
zoom into a frame on click and reset on a click at the bottom), frames as wide as their share
of samples, the root at the bottom, tooltips with sample counts and percentages. With --top,
the functions by self samples (the leaf) and by total samples (anywhere on the stack).

Written for senti (`make profile-cpu`) because Debian 12 packages no flame graph tool; the
layout follows Brendan Gregg's flame graphs.
"""
import argparse
import collections
import html
import re
import sys
import zlib


def parse_perf_script(lines):
    """Yield (stack root->leaf, weight) from `perf script` output."""
    stack, comm = [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield [comm] + stack[::-1], 1
            stack, comm = [], None
            continue
        if not line[0].isspace():
            # header: "senti 1234/1235 [001] 123.456: 1001001 cpu-clock:ppp:"
            comm = line.split()[0]
            stack = []
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        sym = parts[1]
        m = re.match(r"(.*?)\s+\((.*)\)$", sym)
        dso = ""
        if m:
            sym, dso = m.group(1), m.group(2)
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        if sym == "[unknown]":
            base = dso.rsplit("/", 1)[-1]
            sym = "[%s]" % base if base and base != "[unknown]" else "[unknown]"
        stack.append(sym)
    if comm is not None:
        yield [comm] + stack[::-1], 1


def parse_folded(lines):
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        st, _, n = line.rpartition(" ")
        yield st.split(";"), int(n)


class Node:
    __slots__ = ("name", "value", "children")

    def __init__(self, name):
        self.name, self.value, self.children = name, 0, {}


def build_tree(samples):
    root = Node("all")
    for stack, w in samples:
        root.value += w
        node = root
        for fr in stack:
            node = node.children.setdefault(fr, Node(fr))
            node.value += w
    return root


def color(name):
    h = zlib.crc32(name.encode())
    if name.startswith("senti") or name.startswith("[senti"):
        r, g, b = 230, 120 + h % 70, 40 + (h >> 8) % 40  # senti's own code: orange
    elif name.startswith("[k]") or name.startswith("__x64") or "kernel" in name:
        r, g, b = 180 + h % 50, 180 + (h >> 8) % 50, 80  # kernel: yellow-ish
    else:
        r, g, b = 200 + h % 55, 60 + (h >> 8) % 90, 50 + (h >> 16) % 40  # everything else: red
    return "rgb(%d,%d,%d)" % (r, g, b)


def render_svg(root, title, width=1200, frame_h=17, min_px=0.3):
    rows = []

    def depth(n):
        return 1 + max((depth(c) for c in n.children.values()), default=0)

    d = depth(root)
    height = (d + 3) * frame_h + 40
    total = root.value or 1
    out = []
    out.append('<?xml version="1.0" standalone="no"?>')
    out.append('<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" '
               'xmlns="http://www.w3.org/2000/svg" onload="init(evt)">' % (width, height, width, height))
    out.append("""<style>
text { font-family: monospace; font-size: 11px; fill: #000; pointer-events: none; }
rect:hover { stroke: #000; stroke-width: 0.5; cursor: pointer; }
#title { font-size: 15px; font-family: sans-serif; }
#info { font-size: 12px; font-family: sans-serif; }
</style>
<script><![CDATA[
var svg, frames, info;
function init(evt) { svg = document.documentElement; frames = svg.querySelectorAll("g.f");
  info = document.getElementById("info"); }
function zoom(g) {
  var x0 = +g.getAttribute("data-x"), w0 = +g.getAttribute("data-w"), y0 = +g.getAttribute("data-y");
  var W = %d - 20;
  frames.forEach(function (f) {
    var x = +f.getAttribute("data-x"), w = +f.getAttribute("data-w"), y = +f.getAttribute("data-y");
    var r = f.querySelector("rect"), t = f.querySelector("text");
    var below = y >= y0 && x >= x0 - 1e-9 && x + w <= x0 + w0 + 1e-9;  /* the frame and its callees */
    var caller = y < y0 && x <= x0 + 1e-9 && x + w >= x0 + w0 - 1e-9;  /* its callers */
    if (!(below || caller)) { f.style.display = "none"; return; }
    f.style.display = "";
    var nx = 10 + (x - x0) / w0 * W, nw = w / w0 * W;
    if (nx < 10) { nw -= 10 - nx; nx = 10; }
    if (nx + nw > 10 + W) nw = 10 + W - nx;
    r.setAttribute("x", nx); r.setAttribute("width", Math.max(nw, 0));
    t.setAttribute("x", nx + 3);
    var name = f.getAttribute("data-n"), chars = Math.floor((nw - 6) / 6.6);
    t.textContent = chars < 3 ? "" : (name.length > chars ? name.slice(0, chars - 2) + ".." : name);
  });
  info.textContent = w0 < 1 ? "zoomed: " + g.getAttribute("data-n") + " (click 'all' to reset)" : "";
}
]]></script>""" % width)
    out.append('<rect x="0" y="0" width="%d" height="%d" fill="#f8f8f0"/>' % (width, height))
    out.append('<text id="title" x="%d" y="22" text-anchor="middle">%s</text>'
               % (width // 2, html.escape(title)))
    out.append('<text id="info" x="10" y="%d"> </text>' % (height - 8))
    W = width - 20

    def emit(node, x, level):
        w = node.value / total
        px = w * W
        if px < min_px:
            return
        y = height - 30 - (level + 1) * frame_h
        name = node.name
        pct = 100.0 * node.value / total
        label = name
        chars = int((px - 6) / 6.6)
        if chars < 3:
            label = ""
        elif len(label) > chars:
            label = label[:chars - 2] + ".."
        out.append('<g class="f" data-x="%.9f" data-w="%.9f" data-y="%d" data-n="%s" '
                   'onclick="zoom(this)"><title>%s (%d samples, %.2f%%)</title>'
                   '<rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s" rx="1"/>'
                   '<text x="%.2f" y="%d">%s</text></g>'
                   % (x, w, level, html.escape(name, quote=True), html.escape(name), node.value, pct,
                      10 + x * W, y, px, frame_h - 1, color(name), 10 + x * W + 3, y + frame_h - 5,
                      html.escape(label)))
        cx = x
        for c in sorted(node.children.values(), key=lambda n: n.name):
            emit(c, cx, level + 1)
            cx += c.value / total

    emit(root, 0.0, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def top_report(samples_list, n=25):
    self_c, total_c = collections.Counter(), collections.Counter()
    total = 0
    for stack, w in samples_list:
        total += w
        if len(stack) > 1:
            self_c[stack[-1]] += w
        for fr in set(stack[1:]):
            total_c[fr] += w
    lines = ["%d samples" % total, "", "self (the function itself, by leaf samples):",
             "  %8s %7s  %s" % ("samples", "share", "function")]
    for f, c in self_c.most_common(n):
        lines.append("  %8d %6.2f%%  %s" % (c, 100.0 * c / max(total, 1), f))
    lines += ["", "total (the function and what it calls):",
              "  %8s %7s  %s" % ("samples", "share", "function")]
    for f, c in total_c.most_common(n):
        lines.append("  %8d %6.2f%%  %s" % (c, 100.0 * c / max(total, 1), f))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="?", help="perf script output (default: stdin)")
    ap.add_argument("--input-folded", action="store_true", help="input is folded stacks")
    ap.add_argument("-o", "--output", required=True, help="SVG to write")
    ap.add_argument("--title", default="CPU flame graph")
    ap.add_argument("--folded", help="also write the folded stacks here")
    ap.add_argument("--top", help="also write the top-functions report here")
    args = ap.parse_args()
    src = open(args.input, encoding="utf-8", errors="replace") if args.input else sys.stdin
    samples = list((parse_folded if args.input_folded else parse_perf_script)(src))
    if not samples:
        print("flamegraph.py: no samples in the input", file=sys.stderr)
        return 1
    if args.folded:
        agg = collections.Counter()
        for st, w in samples:
            agg[";".join(st)] += w
        with open(args.folded, "w") as f:
            for st, w in sorted(agg.items()):
                f.write("%s %d\n" % (st, w))
    root = build_tree(samples)
    with open(args.output, "w") as f:
        f.write(render_svg(root, "%s (%d samples)" % (args.title, root.value)))
    if args.top:
        with open(args.top, "w") as f:
            f.write(top_report(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
