#!/usr/bin/env bash
# bench/peers.sh - senti against its peers on one workload, in one run (make benchmark-peers):
#
#   senti default (linear)  vs  fastText (Debian fasttext CLI + python3-fasttext, bigram model
#                               trained on SST-2 train) and scikit-learn TF-IDF + logistic
#                               regression (python3-sklearn, trained on SST-2 train)
#   senti vader             vs  NLTK's VADER (python3-nltk, lexicon from DATA/vader)
#
# The workload: the SST-2 dev sentences (accuracy, single-prediction latency) and the same
# sentences repeated to 100,000 lines (throughput, peak RSS). Measured the same way for all:
#   accuracy      on SST-2 dev (VADER models: positive if pos >= neg, as `senti eval` does)
#   latency       in process, each call timed on its own: p50 (and p99) over the dev sentences
#   throughput    in process, 1 thread, best of RUNS, imports and model load excluded; for the
#                 two CLIs also the whole process (senti batch vs fasttext predict)
#   start-up      process start to the first result, one text, mean of STARTUP_RUNS
#   peak RSS      of the whole process scoring the 100,000 lines (GNU time)
# Ratios are senti / peer: above 1 is better for throughput and accuracy, below 1 is better for
# latency, start-up and memory. The machine may be shared: numbers are best-of-N wall clock,
# reported, never asserted. Results: build/bench/peers/peers.json and peers.md.
set -euo pipefail
cd "$(dirname "$0")/.."
W=build/bench/peers
. bench/lib.sh
RUNS=${RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-20}
PY=/usr/bin/python3  # Debian's python: python3-sklearn/nltk/fasttext are not visible to pyenv
tools/apt-ensure fasttext python3-sklearn python3-nltk python3-fasttext time > /dev/null
[ -x "$SENTI" ] || make -s all
bench_data
L100K=$(bench_lines 100000)
DEV=$DATA/sst2/dev.tsv
VADER=$DATA/vader
R=$W/results.tsv
: > "$R"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$R"; }
echo good > "$W/one.txt"

echo "== training the peers on SST-2 train (cached in $W)"
ft_acc=$(ft_train bigram -epoch 5 -lr 0.5 -wordNgrams 2 -dim 10 -bucket 2000000)
[ -s "$W/sklearn.pkl" ] || $PY bench/peer.py train-sklearn --train "$DATA/sst2/train.tsv" --out "$W/sklearn.pkl"

senti_side() { # NAME SPEC
    local name=$1 spec=$2
    echo "== $name"
    local acc
    acc=$("$SENTI" eval "$spec" "$DEV" --json | grep -oE '"accuracy":[0-9.]+' | head -n 1 | cut -d: -f2)
    put "$name" accuracy "$acc"
    "$SENTI" bench --model "$spec" --only single,threads --threads 1 --runs "$RUNS" --json --out - \
        --data "$DEV" > "$W/$name.bench.json"
    $PY - "$W/$name.bench.json" "$name" >> "$R" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); n = sys.argv[2]
row = d["threads"]["rows"][0]
for k, v in (("latency_p50", d["single"]["p50"]), ("latency_p99", d["single"]["p99"]),
             ("throughput", row["texts_per_s"]["max"]), ("throughput_mb", row["mb_per_s"]["max"])):
    print("%s\t%s\t%.9g" % (n, k, v))
PYEOF
    local bt
    bt=$(best_ns "$RUNS" "$SENTI" batch "$L100K" -o /dev/null --threads 1 --model "$spec")
    put "$name" throughput_process "$(awk "BEGIN{print 100000 / ($bt / 1e9)}")"
    put "$name" rss_kb "$(peak_rss_kb "$SENTI" batch "$L100K" -o /dev/null --threads 1 --model "$spec")"
    put "$name" startup_ms "$(startup_ms "$STARTUP_RUNS" "$SENTI" predict --model "$spec" good)"
}

py_side() { # NAME PEER MODEL [RUNS [cli]]: with "cli", RSS and start-up come from the peer's CLI
    local name=$1 peer=$2 model=$3 runs=${4:-$RUNS} cli=${5:-}
    echo "== $name"
    /usr/bin/time -f "%M" -o "$W/$name.rss" $PY bench/peer.py measure "$peer" --model "$model" \
        --dev "$DEV" --lines "$L100K" --runs "$runs" > "$W/$name.json"
    $PY - "$W/$name.json" "$name" >> "$R" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1])); n = sys.argv[2]
for k, v in (("accuracy", d["accuracy"]), ("latency_p50", d["latency"]["p50"]),
             ("latency_p99", d["latency"]["p99"]), ("throughput", d["throughput"]["texts_per_s"]),
             ("throughput_mb", d["throughput"]["mb_per_s"])):
    print("%s\t%s\t%.9g" % (n, k, v))
PYEOF
    [ -n "$cli" ] && return
    put "$name" rss_kb "$(tail -n 1 "$W/$name.rss")"
    put "$name" startup_ms "$(startup_ms "$STARTUP_RUNS" $PY bench/peer.py one "$peer" --model "$model" good)"
}

senti_side senti "default"
py_side fasttext fasttext "$W/bigram.bin" "$RUNS" cli
# fastText's own CLI: whole-process throughput, peak RSS and start-up
bt=$(best_ns "$RUNS" fasttext predict "$W/bigram.bin" "$L100K")
put fasttext throughput_process "$(awk "BEGIN{print 100000 / ($bt / 1e9)}")"
put fasttext rss_kb "$(peak_rss_kb fasttext predict "$W/bigram.bin" "$L100K")"
put fasttext startup_ms "$(startup_ms "$STARTUP_RUNS" fasttext predict "$W/bigram.bin" "$W/one.txt")"
py_side sklearn sklearn "$W/sklearn.pkl"
if [ -f "$VADER/vader_lexicon.txt" ]; then
    senti_side senti-vader "vader:$VADER"
    py_side nltk-vader nltk "$VADER" 1
else
    echo "(no $VADER/vader_lexicon.txt: the VADER comparison is skipped)"
fi

$PY bench/peers_report.py "$R" --json "$W/peers.json" --md "$W/peers.md"
echo
echo "results: $W/peers.json, $W/peers.md (raw: $R)"
