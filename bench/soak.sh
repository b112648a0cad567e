#!/usr/bin/env bash
# A soak of `senti serve` under mixed load, for a person to read (not part of make test: it
# takes DURATION seconds, 600 by default, and both cores).
#
#   bench/soak.sh [DURATION_SECONDS]              (env: SENTI, DATA, OUT, CONNECTIONS)
#
# Two servers run side by side, one with the response cache and one without, each under:
#   - wrk, single texts (POST /v1/sentiment, the SST-2 training sentences, cycled) and batches
#     of 16 (POST /v1/sentiment/batch), keep-alive;
#   - a model reload every 15 s (the model file replaced in turn by two different models,
#     then SIGHUP);
#   - slow clients every 20 s (one trickling its headers, one its body), which the server
#     cuts at its deadlines.
# Every 10 s each server's resident memory and open descriptors are sampled. The summary gives
# the answers that were not 2xx (429 excluded: none are expected, as no rate limit is set),
# wrk's socket errors, the reloads counted by the servers, and first/last/max of RSS and fds
# after a warm-up (WARM, 60 s) ("flat" when the last is within 5% of the first).
set -u
cd "$(dirname "$0")/.."
DURATION=${1:-${DURATION:-600}}
SENTI=${SENTI:-build/senti}
DATA=${DATA:-../shared/data}
OUT=${OUT:-build/soak}
CONNECTIONS=${CONNECTIONS:-8}
TEXTS=$DATA/sst2/train.tsv
WARM=${WARM:-60}
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
command -v wrk >/dev/null || { echo "soak: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# two models to swap: the embedded default and a small one trained here
"$SENTI" train "$DATA/sst2/dev.tsv" -o "$TMP/small.st" --bits 16 --quiet --threads 1 > /dev/null 2>&1
python3 tests/edit_model.py models/default.safetensors "$TMP/default.st"

# start NAME ARGS...: sets PID_NAME and PORT_NAME
start() {
    local name=$1
    shift
    cp "$TMP/default.st" "$TMP/$name.st"
    "$SENTI" serve --host 127.0.0.1 --port 0 --port-file "$TMP/$name.port" --log "$OUT/$name.log" \
        --access-log off --threads 1 --model "$TMP/$name.st" --request-timeout 5s "$@" \
        2> "$OUT/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
    eval "PID_$name=$pid; PORT_$name=$(cat "$TMP/$name.port")"
}
start cached --cache-entries 100000
start nocache --cache-entries 0

sample() { # sample NAME PID: "seconds rss_kb fds" into $OUT/NAME.samples
    echo "$SECONDS $(awk '/^VmRSS/ {print $2}' "/proc/$2/status") $(ls "/proc/$2/fd" | wc -l)" >> "$OUT/$1.samples"
}
: > "$OUT/cached.samples"
: > "$OUT/nocache.samples"

LOAD=()
for name in cached nocache; do
    eval "port=\$PORT_$name"
    WRK_TEXTS=$TEXTS wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk_sentiment.lua \
        "http://127.0.0.1:$port/" > "$OUT/wrk-$name-single.txt" 2>&1 &
    LOAD+=($!)
    WRK_TEXTS=$TEXTS wrk -t1 -c2 -d"${DURATION}s" -s bench/wrk_batch.lua \
        "http://127.0.0.1:$port/" > "$OUT/wrk-$name-batch.txt" 2>&1 &
    LOAD+=($!)
done

start_s=$SECONDS
tick=0
while [ $((SECONDS - start_s)) -lt "$DURATION" ]; do
    sleep 5
    tick=$((tick + 1))
    if [ $((tick % 2)) -eq 0 ]; then sample cached "$PID_cached"; sample nocache "$PID_nocache"; fi
    if [ $((tick % 3)) -eq 0 ]; then # a reload: the other model, replaced by rename
        src=$TMP/small.st
        [ $((tick % 6)) -eq 0 ] && src=$TMP/default.st
        for name in cached nocache; do
            cp "$src" "$TMP/$name.next" && mv "$TMP/$name.next" "$TMP/$name.st"
            eval "kill -HUP \$PID_$name"
        done
    fi
    if [ $((tick % 4)) -eq 0 ]; then # slow clients, cut by the header and request deadlines
        for name in cached nocache; do
            eval "port=\$PORT_$name"
            timeout 10 python3 tests/serve_client.py "$port" trickle-headers 8 > /dev/null 2>&1 &
            LOAD+=($!)
            timeout 10 python3 tests/serve_client.py "$port" trickle-body 8 > /dev/null 2>&1 &
            LOAD+=($!)
        done
    fi
done
wait "${LOAD[@]}" 2>/dev/null
sleep 1

metric() { curl -s --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
{
    echo "soak: ${DURATION}s, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); wrk -c$CONNECTIONS single + -c2 batch of 16 per server"
    for name in cached nocache; do
        eval "port=\$PORT_$name"
        for kind in single batch; do
            f=$OUT/wrk-$name-$kind.txt
            printf '%-8s %-6s %9s requests  non-2xx %s  socket errors %s\n' "$name" "$kind" \
                "$(awk '/requests in/ {print $1}' "$f")" "$(awk '/Non-2xx/ {print $NF}' "$f" | grep . || echo 0)" \
                "$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$f" | grep . || echo 0)"
        done
        echo "$name: reloads ok $(metric "$port" 'senti_model_reloads_total{result="success"}'), failed $(metric "$port" 'senti_model_reloads_total{result="failure"}')"
        awk -v w="$WARM" -v name="$name" '$1 >= w { if (!n++) { fr = $2; ff = $3 } lr = $2; lf = $3; if ($2 > mr) mr = $2; if ($3 > mf) mf = $3 }
            END { if (n) printf "%s: rss first %.1f MB last %.1f MB max %.1f MB (%s); fds first %d last %d max %d (%s); %d samples\n",
                name, fr/1024, lr/1024, mr/1024, (lr - fr) / fr <= 0.05 && (fr - lr) / fr <= 0.05 ? "flat" : "NOT flat",
                ff, lf, mf, lf <= ff * 1.05 + 2 ? "flat" : "NOT flat", n }' "$OUT/$name.samples"
    done
} | tee "$OUT/summary.txt"
for name in cached nocache; do eval "kill -TERM \$PID_$name"; done
wait 2>/dev/null
