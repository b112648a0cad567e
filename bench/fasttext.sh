#!/usr/bin/env bash
# bench/fasttext.sh - senti's default model against fastText (Debian `fasttext`) on the same
# SST-2 split, in one run: accuracy on dev, then speed on the dev sentences repeated to
# 100,000 lines (whole process: sentences/s, peak RSS, time to first result).
#
#   bench/fasttext.sh [--autotune SECONDS]
#
# fastText is trained on ../shared/data/sst2/train.tsv; its settings are the ones printed.
# With --autotune, fastText also tunes itself on dev for SECONDS (its best case: it sees dev).
# The shared pieces (data, timing, fastText training) are in bench/lib.sh; bench/peers.sh runs
# the wider comparison (scikit-learn, NLTK VADER) with ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
AUTOTUNE=0
[ "${1:-}" = "--autotune" ] && AUTOTUNE=${2:-60}
W=build/bench/fasttext
. bench/lib.sh
tools/apt-ensure fasttext time >/dev/null
[ -x "$SENTI" ] || make -s all
bench_data
L100K=$(bench_lines 100000)

echo "== accuracy on SST-2 dev (872 sentences)"
printf '%-44s %8s %10s\n' "model" "accuracy" "size"
acc=$("$SENTI" eval default "$DATA/sst2/dev.tsv" --json | grep -oE '"accuracy":[0-9.]+' | head -n 1 | cut -d: -f2)
printf '%-44s %8.4f %10s\n' "senti default (uni+bigram, int8)" "$acc" "$(stat -c %s models/default.safetensors)"
ft_row() { # name, args...
    local name=$1; shift
    local p
    p=$(ft_train "$name" "$@")
    printf '%-44s %8.4f %10s\n' "fasttext $name ($*)" "$p" "$(stat -c %s "$W/$name.bin")"
}
ft_row unigram -epoch 5 -lr 0.5 -wordNgrams 1 -dim 10
ft_row bigram -epoch 5 -lr 0.5 -wordNgrams 2 -dim 10 -bucket 2000000
if [ "$AUTOTUNE" != 0 ]; then
    fasttext supervised -input "$W/train.ft" -output "$W/autotune" -autotune-validation "$W/dev.ft" \
        -autotune-duration "$AUTOTUNE" -thread 2 -verbose 0 >/dev/null
    printf '%-44s %8.4f %10s\n' "fasttext autotune (${AUTOTUNE}s, tuned on dev)" \
        "$(fasttext test "$W/autotune.bin" "$W/dev.ft" | awk '/^P@1/ {print $2}')" "$(stat -c %s "$W/autotune.bin")"
fi

echo
echo "== speed: $(wc -l < "$L100K") lines, $(wc -c < "$L100K") bytes (best of 5, whole process)"
printf '%-44s %12s %10s\n' "command" "sentences/s" "peak RSS"
best() { # label, command...: best wall time of 5 runs and the peak RSS of one run
    local label=$1; shift
    local bt rss
    bt=$(best_ns 5 "$@")
    rss=$(peak_rss_kb "$@")
    printf '%-44s %12.0f %8d KB\n' "$label" "$(awk "BEGIN{print 100000 / ($bt / 1e9)}")" "$rss"
}
best "senti batch --threads 1" "$SENTI" batch "$L100K" -o /dev/null --threads 1
best "senti batch --threads 2" "$SENTI" batch "$L100K" -o /dev/null --threads 2
best "fasttext predict (unigram)" fasttext predict "$W/unigram.bin" "$L100K"
best "fasttext predict (bigram)" fasttext predict "$W/bigram.bin" "$L100K"

echo
echo "== start-up: process start to first result (mean of 50 runs)"
echo good > "$W/one.txt"
printf '%-44s %8s ms\n' "senti predict good" "$(startup_ms 50 "$SENTI" predict good)"
printf '%-44s %8s ms\n' "fasttext predict (unigram) FILE" "$(startup_ms 50 fasttext predict "$W/unigram.bin" "$W/one.txt")"
echo "senti predict peak RSS: $(peak_rss_kb "$SENTI" predict "what a wonderful, moving film") KB"
