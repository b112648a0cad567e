#!/usr/bin/env bash
# tools/perf-docs.sh - regenerate the measured section of docs/PERFORMANCE.md (make docs):
# runs `senti bench` for the default model (all sections, plots) and for VADER (the table),
# reads the latest `make benchmark-peers` results if there are any and the CI baseline, and
# rewrites the text between the GENERATED markers. Nothing else in the file is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
OUT=build/bench
"$SENTI" bench --data "$DATA/sst2/dev.tsv" --out "$OUT" > /dev/null
gnuplot -c bench/plots.gp "$OUT" "senti default"
if [ -f "$DATA/vader/vader_lexicon.txt" ]; then
    "$SENTI" bench --model "vader:$DATA/vader" --only load,single,batch,memory \
        --data "$DATA/sst2/dev.tsv" --out "$OUT/vader" > /dev/null
fi
python3 tools/perf-docs.py --bench "$OUT/bench.json" --vader "$OUT/vader/bench.json" \
    --peers "$OUT/peers/peers.md" --baseline bench/baseline.json docs/PERFORMANCE.md
echo "docs/PERFORMANCE.md: measured section regenerated (plots: $OUT/*.svg)"
