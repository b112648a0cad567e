#!/usr/bin/env bash
# tools/profile-serve.sh OUT PERF_OK - the HTTP service under load, sampled with perf (called by
# tools/profile-cpu.sh). `senti serve --model "$MODEL"` (default: the embedded model) runs with
# the cache off (every request is scored) and the log off; wrk (bench/wrk_sentiment.lua: POST /v1/sentiment, SST-2 sentences) drives it on
# loopback for SECONDS (default 8) while `perf record -p` samples the server with call graphs.
# Writes OUT/cpu-serve-flame.svg and OUT/cpu-serve-top.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/profile}
PERF_OK=${2:-1}
SECONDS_LOAD=${SERVE_SECONDS:-8}
SENTI=${SENTI:-build/senti}
DATA=${DATA:-../shared/data}
MODEL=${MODEL:-default}
echo
echo "== CPU profile of senti serve under load (wrk, ${SECONDS_LOAD} s, cache off)"
if [ "$PERF_OK" != 1 ]; then
    echo "skipped: perf cannot sample here"
    exit 0
fi
command -v wrk > /dev/null || tools/apt-ensure wrk > /dev/null 2>&1
command -v wrk > /dev/null || { echo "skipped: wrk is not installed (apt-get install wrk)"; exit 0; }
mkdir -p "$OUT/work"
rm -f "$OUT/work/serve.port"
"$SENTI" serve --model "$MODEL" --port 0 --port-file "$OUT/work/serve.port" --cache-entries 0 --log none \
    > "$OUT/work/serve.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$OUT/work/serve.port" ] && break; sleep 0.05; done
if [ ! -s "$OUT/work/serve.port" ]; then
    echo "the server did not start:"; tail -n 5 "$OUT/work/serve.log"; exit 1
fi
PORT=$(cat "$OUT/work/serve.port")
WRK_TEXTS=$DATA/sst2/train.tsv wrk -t1 -c32 -d"$((SECONDS_LOAD + 1))s" --latency \
    -s bench/wrk_sentiment.lua "http://127.0.0.1:$PORT/" > "$OUT/cpu-serve-wrk.txt" 2>&1 &
WRK=$!
sleep 0.5
perf record -q -F 1999 -e cpu-clock --call-graph dwarf,16384 -o "$OUT/perf-serve.data" \
    -p "$SERVER" -- sleep "$SECONDS_LOAD" > /dev/null 2>&1
wait $WRK
perf script -i "$OUT/perf-serve.data" 2> /dev/null > "$OUT/work/perf-serve.txt"
python3 tools/flamegraph.py "$OUT/work/perf-serve.txt" -o "$OUT/cpu-serve-flame.svg" \
    --folded "$OUT/cpu-serve.folded" --top "$OUT/cpu-serve-top.txt" \
    --title "senti serve --model $MODEL under wrk (POST /v1/sentiment, cache off; perf, cpu-clock)"
grep -E '^Requests/sec|Non-2xx|Socket errors' "$OUT/cpu-serve-wrk.txt" | sed 's/^/wrk: /'
echo "top functions (self samples):"
sed -n '/^self/,/^$/p' "$OUT/cpu-serve-top.txt" | sed -n '3,14p'
echo "flame graph: $OUT/cpu-serve-flame.svg   report: $OUT/cpu-serve-top.txt"
