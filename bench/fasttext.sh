#!/usr/bin/env bash
# bench/fasttext.sh - senti's default model against fastText (Debian `fasttext`) on the same
# SST-2 split, in one run: accuracy on dev, then speed on the dev sentences repeated to
# 100,000 lines (whole process: sentences/s, peak RSS, time to first result).
#
#   bench/fasttext.sh [--autotune SECONDS]
#
# fastText is trained on ../shared/data/sst2/train.tsv; its settings are the ones printed.
# With --autotune, fastText also tunes itself on dev for SECONDS (its best case: it sees dev).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
AUTOTUNE=0
[ "${1:-}" = "--autotune" ] && AUTOTUNE=${2:-60}
tools/apt-ensure fasttext time >/dev/null
[ -x "$SENTI" ] || make -s all
W=build/bench/fasttext
mkdir -p "$W"

# data in fastText's format
tail -n +2 "$DATA/sst2/train.tsv" | awk -F'\t' '{print "__label__" $1 " " $2}' > "$W/train.ft"
tail -n +2 "$DATA/sst2/dev.tsv" | awk -F'\t' '{print "__label__" $1 " " $2}' > "$W/dev.ft"
cut -f2 "$DATA/sst2/dev.tsv" | tail -n +2 > "$W/dev.txt"
: > "$W/100k.txt"
while [ "$(wc -l < "$W/100k.txt")" -lt 100000 ]; do cat "$W/dev.txt" >> "$W/100k.txt"; done
head -n 100000 "$W/100k.txt" > "$W/100k.tmp" && mv "$W/100k.tmp" "$W/100k.txt"

echo "== accuracy on SST-2 dev (872 sentences)"
printf '%-44s %8s %10s\n' "model" "accuracy" "size"
acc=$("$SENTI" eval default "$DATA/sst2/dev.tsv" --json | grep -oE '"accuracy":[0-9.]+' | cut -d: -f2)
printf '%-44s %8.4f %10s\n' "senti default (uni+bigram, int8)" "$acc" "$(stat -c %s models/default.safetensors)"
ft_train() { # name, args...
    local name=$1; shift
    fasttext supervised -input "$W/train.ft" -output "$W/$name" -thread 2 -seed 1 "$@" -verbose 0 >/dev/null
    local p
    p=$(fasttext test "$W/$name.bin" "$W/dev.ft" | awk '/^P@1/ {print $2}')
    printf '%-44s %8.4f %10s\n' "fasttext $name ($*)" "$p" "$(stat -c %s "$W/$name.bin")"
}
ft_train unigram -epoch 5 -lr 0.5 -wordNgrams 1 -dim 10
ft_train bigram -epoch 5 -lr 0.5 -wordNgrams 2 -dim 10 -bucket 2000000
if [ "$AUTOTUNE" != 0 ]; then
    fasttext supervised -input "$W/train.ft" -output "$W/autotune" -autotune-validation "$W/dev.ft" \
        -autotune-duration "$AUTOTUNE" -thread 2 -verbose 0 >/dev/null
    printf '%-44s %8.4f %10s\n' "fasttext autotune (${AUTOTUNE}s, tuned on dev)" \
        "$(fasttext test "$W/autotune.bin" "$W/dev.ft" | awk '/^P@1/ {print $2}')" "$(stat -c %s "$W/autotune.bin")"
fi

echo
echo "== speed: $(wc -l < "$W/100k.txt") lines, $(wc -c < "$W/100k.txt") bytes (best of 5, whole process)"
printf '%-44s %12s %10s\n' "command" "sentences/s" "peak RSS"
ns() { date +%s%N; }
best() { # label, command...: best wall time of 5 runs (ns clock) and the peak RSS of one run
    local label=$1; shift
    local bt=0
    for _ in 1 2 3 4 5; do
        local t0 t1
        t0=$(ns); "$@" > /dev/null 2>&1; t1=$(ns)
        if [ "$bt" = 0 ] || [ $((t1 - t0)) -lt "$bt" ]; then bt=$((t1 - t0)); fi
    done
    /usr/bin/time -f "%M" -o "$W/time.txt" "$@" > /dev/null 2>&1
    printf '%-44s %12.0f %8d KB\n' "$label" "$(awk "BEGIN{print 100000 / ($bt / 1e9)}")" "$(cat "$W/time.txt")"
}
best "senti batch --threads 1" "$SENTI" batch "$W/100k.txt" -o /dev/null --threads 1
best "senti batch --threads 2" "$SENTI" batch "$W/100k.txt" -o /dev/null --threads 2
best "fasttext predict (unigram)" fasttext predict "$W/unigram.bin" "$W/100k.txt"
best "fasttext predict (bigram)" fasttext predict "$W/bigram.bin" "$W/100k.txt"

echo
echo "== start-up: process start to first result (mean of 50 runs)"
echo good > "$W/one.txt"
startup() {
    local label=$1; shift
    local t0 t1
    t0=$(ns)
    for _ in $(seq 50); do "$@" > /dev/null; done
    t1=$(ns)
    printf '%-44s %8.2f ms\n' "$label" "$(awk "BEGIN{print ($t1 - $t0) / 50 / 1e6}")"
}
startup "senti predict good" "$SENTI" predict good
startup "fasttext predict (unigram) FILE" fasttext predict "$W/unigram.bin" "$W/one.txt"
/usr/bin/time -f "%M" -o "$W/rss.txt" "$SENTI" predict "what a wonderful, moving film" > /dev/null
echo "senti predict peak RSS: $(cat "$W/rss.txt") KB"
