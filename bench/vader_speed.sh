#!/bin/sh
# vader_speed.sh - the vader model's speed on the SST-2 dev sentences, two ways:
#   wall clock: best of 25 passes of 10 x 872 sentences (the machine is shared: best-of-N);
#   callgrind:  instructions per sentence (deterministic), over 20 x 872 sentences.
#
#   bench/vader_speed.sh [DATA]        (DATA defaults to ../shared/data)
set -eu
DATA=${1:-../shared/data}
make -s build/bench-vader-speed
build/bench-vader-speed "$DATA" 10 25
if command -v valgrind >/dev/null; then
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=run_passes \
        build/bench-vader-speed "$DATA" 20 1 >/dev/null 2>&1
    ir=$(sed -n 's/^summary: //p' "$out")
    n=$(wc -l < "$DATA/vader/reference/sst2_dev.jsonl")
    echo "callgrind: $ir instructions, $((ir / (20 * n))) per sentence"
    rm -f "$out"
fi
