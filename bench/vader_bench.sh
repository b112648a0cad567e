#!/bin/sh
# vader_bench.sh - senti's vader model vs the Python VADER on the SST-2 dev sentences.
#
#   bench/vader_bench.sh [DATA]        (DATA defaults to ../shared/data)
#
# Prints senti's best-of-15 microseconds per sentence (single thread, one context, the
# 872 sentences of DATA/vader/reference/sst2_dev.jsonl scored one at a time), the NLTK
# port's median microseconds per sentence on the same texts, and the throughput ratio.
set -eu
DATA=${1:-../shared/data}
make -s build/bench-vader-speed >/dev/null
c_us=$(build/bench-vader-speed "$DATA" 10 15 | sed -n 's/^\([0-9.]*\) us\/sentence.*/\1/p')
py_out=$(/usr/bin/python3 bench/vader_peer.py --data "$DATA")
echo "$py_out"
py_us=$(echo "$py_out" | sed -n 's/^nltk [^ ]*  \([0-9.]*\) us\/sentence.*/\1/p')
echo "senti vader  $c_us us/sentence"
awk -v c="$c_us" -v p="$py_us" 'BEGIN { printf "ratio (nltk / senti): %.0fx\n", p / c }'
