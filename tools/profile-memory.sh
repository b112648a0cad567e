#!/usr/bin/env bash
# tools/profile-memory.sh - where senti's memory goes (make profile-memory).
#
#   1. massif (valgrind) + ms_print: heap over time, its peak and the allocation tree at the
#      peak, for `senti batch` on LINES lines (default model: weights are mapped, not heap)
#      and for the VADER model (its lexicon tables are heap), OUT/massif-*.{out,txt}
#   2. heaptrack (Debian heaptrack): every allocation with its stack, peak heap, leaks and
#      temporary allocations, OUT/heaptrack-batch.{zst,txt} (heaptrack_gui opens the .zst)
#   3. senti's own accounting (senti_memory_stats_get: the bytes the library holds, its peak,
#      allocation counts), printed by `senti bench --only memory`; the service exports the same
#      in /metrics.
# MODEL (default: the embedded model) is any model SPEC, e.g. a transformer file written by
# `senti model import`, passed as --model to the batch, predict and bench runs (the VADER runs
# stay as they are). LINES defaults to 100,000 or 0.2 s of scoring at the model's measured
# speed (texts_per_s in bench/lib.sh), whichever is fewer, so a transformer's massif and
# heaptrack runs take seconds, not hours.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build/profile}
MODEL=${MODEL:-default}
W=$OUT/work
. bench/lib.sh
mkdir -p "$OUT"
[ -x "$SENTI" ] || make -s all
KIND=$(model_kind "$MODEL")
[ -n "$KIND" ] || { "$SENTI" model info "$MODEL" > /dev/null; exit 1; }
LINES=${LINES:-$(lines_for "$(texts_per_s "$MODEL")" 0.2 100000)}
IN=$(bench_lines "$LINES")
echo "model: $MODEL ($KIND), LINES=$LINES"
NAME=default
[ "$MODEL" = default ] || NAME=$KIND
VADER=$DATA/vader

massif() { # NAME ARGS...
    local name=$1; shift
    valgrind --tool=massif --massif-out-file="$OUT/massif-$name.out" "$SENTI" "$@" \
        > /dev/null 2> "$W/massif-$name.err" || { echo "massif $name failed"; tail -n 3 "$W/massif-$name.err"; return; }
    ms_print "$OUT/massif-$name.out" > "$OUT/massif-$name.txt"
    local peak
    peak=$(awk '/^ *[0-9]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+$/ { v = $3; gsub(",", "", v); v += 0; if (v > m) m = v } END { print m + 0 }' "$OUT/massif-$name.txt")
    printf '  %-34s heap peak %8.1f KiB   %s\n' "$name" "$(awk "BEGIN{print $peak / 1024}")" "$OUT/massif-$name.txt"
}
echo "== massif: heap over time (peak, allocation tree at the peak)"
massif "batch-$NAME" batch "$IN" -o /dev/null --threads 2 -q --model "$MODEL"
[ -f "$VADER/vader_lexicon.txt" ] && massif batch-vader batch "$IN" -o /dev/null --threads 2 -q --model "vader:$VADER"
massif "predict-$NAME" predict --model "$MODEL" "what a wonderful, moving film"
echo "  (ms_print: the graph of heap over time, then the allocation tree of the peak snapshot)"

echo
echo "== heaptrack: allocations with stacks"
if command -v heaptrack > /dev/null; then
    rm -f "$OUT"/heaptrack-batch.*
    heaptrack -o "$OUT/heaptrack-batch" "$SENTI" batch "$IN" -o /dev/null --threads 2 -q --model "$MODEL" \
        > "$W/heaptrack.log" 2>&1
    f=$(ls "$OUT"/heaptrack-batch.*zst "$OUT"/heaptrack-batch.*gz 2> /dev/null | head -n 1)
    if [ -n "$f" ]; then
        heaptrack_print -f "$f" > "$OUT/heaptrack-batch.txt" 2> /dev/null
        grep -E '^(total runtime|calls to allocation functions|temporary memory allocations|peak heap memory consumption|peak RSS|total memory leaked)' \
            "$OUT/heaptrack-batch.txt" | sed 's/^/  /'
        echo "  report: $OUT/heaptrack-batch.txt   data: $f (heaptrack_gui)"
    else
        echo "  heaptrack produced no data:"; tail -n 3 "$W/heaptrack.log"
    fi
else
    echo "  heaptrack is not installed (tools/apt-ensure heaptrack)"
fi

echo
echo "== senti's own accounting (senti_memory_stats_get), $MODEL then VADER"
"$SENTI" bench --only memory --quick --out - --model "$MODEL" --data "$DATA/sst2/dev.tsv" | grep -E '^(\| Memory|memory )'
[ -f "$VADER/vader_lexicon.txt" ] && "$SENTI" bench --only memory --quick --out - --model "vader:$VADER" \
    --data "$DATA/sst2/dev.tsv" | grep -E '^(\| Memory|memory )'
