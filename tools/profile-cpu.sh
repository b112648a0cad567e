#!/usr/bin/env bash
# tools/profile-cpu.sh - where senti spends its CPU time (make profile-cpu).
#
#   1. sampling: linux-perf `perf record` with DWARF call graphs over batch scoring (the SST-2
#      dev sentences repeated to LINES lines, all cores, RUNS times), turned into a flame graph
#      (OUT/cpu-flame.svg, self-contained: open it in a browser, click to zoom) and top-functions
#      reports (OUT/cpu-top.txt from the stacks, OUT/cpu-perf-report.txt from perf report);
#      the same for the HTTP service under load when `senti serve` exists (OUT/cpu-serve-*).
#   2. deterministic: valgrind callgrind over a smaller batch (1 thread): OUT/callgrind.out,
#      OUT/callgrind-top.txt (callgrind_annotate) and OUT/callgrind-hot.txt (the hottest
#      function of senti's own code, annotated line by line). Open callgrind.out in kcachegrind
#      for the full call graph.
# MODEL (default: the embedded model) is any model SPEC, e.g. a transformer file written by
# `senti model import`; it is passed as --model to every senti command here (and to the
# server). Line counts follow the model's speed, measured first on one thread (texts_per_s in
# bench/lib.sh): LINES = at most 500,000 or 2 s of scoring a run, CG_LINES = at most 20,000
# or 0.1 s (callgrind runs the transformer's kernels several hundred times slower), so the
# linear model keeps the fixed counts and a transformer finishes in a minute or two.
# LINES=N / CG_LINES=N override.
# Where perf cannot sample (containers without perf_event access) the sampling part is
# skipped with a note and the callgrind part still runs. Hardware counters (cycles,
# instructions) are often unavailable in VMs and containers: perf then samples the cpu-clock
# software event, which is what this script asks for anyway.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/profile}
MODEL=${MODEL:-default}
RUNS=${RUNS:-3}
W=$OUT/work
. bench/lib.sh
mkdir -p "$OUT"
[ -x "$SENTI" ] || make -s all
KIND=$(model_kind "$MODEL")
[ -n "$KIND" ] || { "$SENTI" model info "$MODEL" > /dev/null; exit 1; }
RATE=$(texts_per_s "$MODEL")
LINES=${LINES:-$(lines_for "$RATE" 2 500000)}
CG_LINES=${CG_LINES:-$(lines_for "$RATE" 0.1 20000)}
BIG=$(bench_lines "$LINES")
SMALL=$(bench_lines "$CG_LINES")
echo "model: $MODEL ($KIND), about $RATE texts/s on 1 thread: LINES=$LINES, CG_LINES=$CG_LINES"

echo "== CPU profile of senti batch ($LINES lines x $RUNS runs, all cores)"
perf_ok=0
if command -v perf > /dev/null && perf record -q -e cpu-clock -o "$W/probe.data" -- true > /dev/null 2>&1; then
    perf_ok=1
fi
if ! perf stat -e instructions -x, true 2>&1 | grep -q '^[0-9]'; then
    echo "note: hardware performance counters are not available here (VM or container);" \
         "sampling uses the cpu-clock software event"
fi
if [ $perf_ok = 1 ]; then
    perf record -q -F 1999 -e cpu-clock --call-graph dwarf,16384 -o "$OUT/perf-batch.data" -- \
        sh -c 'for i in $(seq "$1"); do "$2" batch "$3" -o /dev/null -q --model "$4"; done' \
        sh "$RUNS" "$SENTI" "$BIG" "$MODEL" 2> "$W/perf.err" \
        || { echo "perf record failed:"; tail -n 5 "$W/perf.err"; perf_ok=0; }
fi
if [ $perf_ok = 1 ]; then
    perf script -i "$OUT/perf-batch.data" 2> /dev/null > "$W/perf-batch.txt"
    python3 tools/flamegraph.py "$W/perf-batch.txt" -o "$OUT/cpu-flame.svg" \
        --folded "$OUT/cpu-batch.folded" --top "$OUT/cpu-top.txt" \
        --title "senti batch --model $MODEL ($KIND): $LINES SST-2 sentences x $RUNS, $(nproc) cores (perf, cpu-clock)"
    perf report -i "$OUT/perf-batch.data" --stdio --no-children --sort symbol --percent-limit 0.5 \
        2> /dev/null | grep -v '^$' > "$OUT/cpu-perf-report.txt"
    echo "top functions (self samples, from the stacks; inlined code under its own name):"
    sed -n '/^self/,/^$/p' "$OUT/cpu-top.txt" | sed -n '3,14p'
    echo "top symbols (perf report: inlined code counted in the function it is inlined into):"
    grep -E '^ +[0-9.]+%  \[' "$OUT/cpu-perf-report.txt" | head -n 8 | awk '{ printf "  %8s  %s\n", $1, $3 }'
    echo "flame graph: $OUT/cpu-flame.svg   reports: $OUT/cpu-top.txt, $OUT/cpu-perf-report.txt"
else
    echo "perf cannot sample here (no perf_event access: container or perf_event_paranoid);" \
         "falling back to callgrind only (below)"
fi

# ---- the HTTP service under load ------------------------------------------------------------
if "$SENTI" serve --help > /dev/null 2>&1; then
    MODEL=$MODEL tools/profile-serve.sh "$OUT" "$perf_ok" || echo "(the server profile did not complete)"
else
    echo
    echo "== server profile: pending (this senti has no 'serve' command yet)"
fi

echo
echo "== deterministic profile: callgrind over senti batch ($CG_LINES lines, 1 thread)"
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
    "$SENTI" batch "$SMALL" -o /dev/null --threads 1 -q --model "$MODEL" 2> "$W/callgrind.err" \
    || { echo "callgrind failed:"; tail -n 5 "$W/callgrind.err"; exit 1; }
callgrind_annotate "$OUT/callgrind.out" > "$OUT/callgrind-top.txt"
python3 tools/annotate-hot.py "$OUT/callgrind.out" > "$OUT/callgrind-hot.txt"
grep -m1 'PROGRAM TOTALS' "$OUT/callgrind-top.txt" | sed 's/^/instructions: /'
awk -v n="$CG_LINES" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "per text: %.0f instructions (whole process)\n", $1 / n; exit }' "$OUT/callgrind-top.txt"
sed -n '/file:function/,/^$/p' "$OUT/callgrind-top.txt" | sed -n '3,12p'
head -n 1 "$OUT/callgrind-hot.txt"
echo "callgrind: $OUT/callgrind.out (kcachegrind), $OUT/callgrind-top.txt, $OUT/callgrind-hot.txt (line-level)"
