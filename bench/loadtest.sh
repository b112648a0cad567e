#!/usr/bin/env bash
# Load test of `senti serve` with wrk (`make loadtest`), and the same against a Flask +
# scikit-learn service (bench/flask_service.py) for comparison.
#
#   bench/loadtest.sh [DURATION_SECONDS]        (env: DURATION, CONNECTIONS, WRK_THREADS, WARMUP,
#                                                SERVE_THREADS, TEXTS, SKIP_FLASK=1)
#   MODE=transformer bench/loadtest.sh [DURATION_SECONDS]   (`make loadtest-transformer`; env
#       also CONNECTIONS_LIST, TF_ARCH, TF_LAYERS, TF_HIDDEN, TF_HEADS, TF_FF, TF_MAXPOS, TF_THREADS,
#       SKIP_TORCH=1)
#
# MODE=transformer: a random-weight checkpoint of DistilBERT-base's shape by default (6 layers,
# 768 wide, 12 heads, ff 3072, vocabulary 30,522; tools/hf_checkpoint.py make, kept in
# $OUT/checkpoint between runs), imported with `senti model import` (f32 and int8), served by
#   senti f32 unbatched   --batch-max 1: each text scored alone on the HTTP thread that read it
#   senti f32 batched     the model's default (its batch hint): the queue and worker pool
#   senti int8 ...        the int8 file, unbatched and batched
#   torch f32             bench/torch_service.py: FastAPI on uvicorn, the same checkpoint in
#                         PyTorch (Debian's python3-torch), one text per forward pass
# each at every connection count of CONNECTIONS_LIST (default "1 8 32"), cache off, on the SST-2
# training sentences. senti's batch sizes and queue waits are taken from /metrics after each run.
#
# Workload: POST /v1/sentiment with the 67,349 SST-2 training sentences, cycled (each wrk
# thread from its own offset), keep-alive connections on loopback. Runs:
#   senti, cache off    every request is scored by the model
#   senti, cache on     the same texts; the cache warms up during the run (hit ratio reported)
#   flask               same wrk command against the Python peer
# For each: requests/s, p50/p99 latency, errors (non-2xx + socket errors), and senti's
# resident memory sampled every 5 s from 5 s into the run, after a $WARMUP s warm-up (first, last, max; "flat" if the last
# is within 5% of the first). The access log is on, written to /dev/null (the write(2) per
# request is paid, the disk is not filled). Both programs share the 2 cores with wrk.
set -u
cd "$(dirname "$0")/.."
DURATION=${1:-${DURATION:-30}}
CONNECTIONS=${CONNECTIONS:-32}
# The allocator and first-touched pages settle in the first ~15 s of load (senti: 8.6 -> 10.0 MB,
# then flat); the RSS samples start after this warm-up.
WARMUP=${WARMUP:-10}
WRK_THREADS=${WRK_THREADS:-1}
# wrk runs on the same machine: give the server the cores wrk does not use (in production,
# with no load generator beside it, the default --threads 0 = one per core is the right choice;
# here 2 server threads + wrk on 2 cores measured lower throughput and a 3-4x worse p99)
SERVE_THREADS=${SERVE_THREADS:-$(( $(nproc) > WRK_THREADS + 1 ? $(nproc) - WRK_THREADS : 1 ))}
TEXTS=${TEXTS:-${DATA:-../shared/data}/sst2/train.tsv}
SENTI=${SENTI:-build/senti}
OUT=${OUT:-build/loadtest}
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# run NAME PID PORT: wrk against the server, RSS samples, one summary line
run() {
    local name=$1 pid=$2 port=$3
    WRK_TEXTS=$TEXTS wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/wrk_sentiment.lua \
        "http://127.0.0.1:$port/" > /dev/null 2>&1 # warm-up
    : > "$TMP/rss"
    (
        # the measured run opens fresh connections (new per-connection buffers): sample from
        # 5 s into it, so that first and last compare the same steady state
        sleep 5
        while kill -0 "$pid" 2>/dev/null; do
            rss_kb "$pid" >> "$TMP/rss"
            sleep 5
        done
    ) &
    local sampler=$!
    WRK_TEXTS=$TEXTS wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -s bench/wrk_sentiment.lua "http://127.0.0.1:$port/" > "$OUT/wrk-${name// /-}.txt" 2>&1
    rss_kb "$pid" >> "$TMP/rss"
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    local rps p50 p99 non2xx sockerr
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk-${name// /-}.txt")
    p50=$(awk '$1 == "50%" {print $2}' "$OUT/wrk-${name// /-}.txt")
    p99=$(awk '$1 == "99%" {print $2}' "$OUT/wrk-${name// /-}.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk-${name// /-}.txt")
    sockerr=$(awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$OUT/wrk-${name// /-}.txt")
    local rss
    rss=$(awk 'NR == 1 {f = $1} {l = $1; if ($1 > m) m = $1} END {
        if (f) printf "rss first %.1f MB last %.1f MB max %.1f MB (%+.1f%%, %s)", f/1024, l/1024, m/1024,
            (l - f) * 100 / f, ((l - f) / f <= 0.05 && (f - l) / f <= 0.05) ? "flat" : "NOT flat" }' "$TMP/rss")
    printf '%-18s %10s req/s  p50 %-9s p99 %-9s errors %s  %s\n' "$name" "$rps" "$p50" "$p99" \
        "$(( ${non2xx:-0} + ${sockerr:-0} ))" "$rss" | tee -a "$OUT/summary.txt"
}

# start_senti NAME ARGS...: sets SPID, SPORT
start_senti() {
    local name=$1
    shift
    rm -f "$TMP/$name.port"
    "$SENTI" serve --port 0 --port-file "$TMP/$name.port" --log /dev/null --threads "$SERVE_THREADS" \
        --max-inflight 100000 "$@" 2>"$OUT/$name.err" &
    SPID=$!
    PIDS+=("$SPID")
    for _ in $(seq 1 100); do [ -s "$TMP/$name.port" ] && break; sleep 0.05; done
    SPORT=$(cat "$TMP/$name.port")
}

# ---- MODE=transformer -------------------------------------------------------------------------
if [ "${MODE:-linear}" = transformer ]; then
    CK=$OUT/checkpoint
    TF_ARCH=${TF_ARCH:-distilbert}
    # wrk needs little CPU at a transformer's request rates: every peer gets every core
    # (senti: HTTP threads and batch workers; torch: intra-op threads)
    SERVE_THREADS=${TF_THREADS:-$(nproc)}
    if [ ! -s "$CK/model.safetensors" ]; then
        /usr/bin/python3 tools/hf_checkpoint.py make --arch "$TF_ARCH" --out "$CK" --layers "${TF_LAYERS:-6}" \
            --hidden "${TF_HIDDEN:-768}" --heads "${TF_HEADS:-12}" --ff "${TF_FF:-3072}" --max-pos "${TF_MAXPOS:-512}" \
            || exit 1
    fi
    for dt in f32 int8; do
        [ -s "$OUT/tf.$dt.st" ] || "$SENTI" model import "$CK" -o "$OUT/tf.$dt.st" --dtype $dt || exit 1
    done
    : > "$OUT/summary.txt"
    echo "loadtest-transformer: $TF_ARCH $(jq -c '{n_layers, dim, n_heads, hidden_dim, num_hidden_layers, hidden_size} | with_entries(select(.value != null))' "$CK/config.json" 2>/dev/null)," \
        "wrk -t$WRK_THREADS -d${DURATION}s, texts $(basename "$TEXTS"), senti --threads $SERVE_THREADS," \
        "$(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)" | tee -a "$OUT/summary.txt"
    for CONNECTIONS in ${CONNECTIONS_LIST:-1 8 32}; do
        for cfg in "f32 unbatched:f32:--batch-max 1" "f32 batched:f32:" "int8 unbatched:int8:--batch-max 1" \
            "int8 batched:int8:"; do
            name="senti ${cfg%%:*} c$CONNECTIONS"
            rest=${cfg#*:}
            start_senti tf --model "$OUT/tf.${rest%%:*}.st" --cache-entries 0 --batch-workers "$SERVE_THREADS" ${rest#*:}
            run "$name" "$SPID" "$SPORT"
            curl -s "http://127.0.0.1:$SPORT/metrics" | awk '
                /^senti_queue_batch_size_sum/ {s = $2} /^senti_queue_batch_size_count/ {c = $2}
                /^senti_queue_wait_seconds_sum/ {w = $2} /^senti_queue_wait_seconds_count/ {wc = $2}
                END { if (c) printf "  %d texts in %d batches: %.1f texts a batch, queue wait %.2f ms on average\n", s, c, s / c, wc ? w / wc * 1e3 : 0 }' \
                | tee -a "$OUT/summary.txt"
            kill -TERM "$SPID"; wait "$SPID"
        done
        if [ "${SKIP_TORCH:-0}" != 1 ]; then
            PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
            rm -f "$TMP/torch.port"
            /usr/bin/python3 bench/torch_service.py "$CK" --port "$PORT" --port-file "$TMP/torch.port" \
                --threads "$SERVE_THREADS" > "$OUT/torch.out" 2>&1 &
            TPID=$!
            PIDS+=("$TPID")
            for _ in $(seq 1 600); do [ -s "$TMP/torch.port" ] && break; sleep 0.1; done
            run "torch f32 c$CONNECTIONS" "$TPID" "$PORT"
            kill -TERM "$TPID"; wait "$TPID" 2>/dev/null
        fi
    done
    echo "wrk outputs: $OUT/wrk-*.txt"
    exit 0
fi

: > "$OUT/summary.txt"
echo "loadtest: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency -s bench/wrk_sentiment.lua," \
    "texts $(basename "$TEXTS"), senti --threads $SERVE_THREADS, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)," \
    "$(date -u +%Y-%m-%dT%H:%MZ)" | tee -a "$OUT/summary.txt"

start_senti nocache --cache-entries 0
run "senti cache off" "$SPID" "$SPORT"
kill -TERM "$SPID"; wait "$SPID"

start_senti cache --cache-entries 200000 --cache-bytes 256M
run "senti cache on" "$SPID" "$SPORT"
curl -s "http://127.0.0.1:$SPORT/metrics" > "$OUT/metrics-cache.txt"
awk '/^senti_cache_hits_total/ {h = $2} /^senti_cache_misses_total/ {m = $2}
     END { if (h + m) printf "  cache hit ratio over warm-up + run: %.3f (%d hits, %d misses)\n", h / (h + m), h, m }' \
    "$OUT/metrics-cache.txt" | tee -a "$OUT/summary.txt"
kill -TERM "$SPID"; wait "$SPID"

if [ "${SKIP_FLASK:-0}" != 1 ]; then
    if /usr/bin/python3 -c 'import flask, sklearn' 2>/dev/null; then
        PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        /usr/bin/python3 bench/flask_service.py --port "$PORT" --port-file "$TMP/flask.port" \
            > "$OUT/flask.out" 2>&1 &
        FPID=$!
        PIDS+=("$FPID")
        for _ in $(seq 1 600); do
            curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
            sleep 0.1
        done
        grep 'dev accuracy' "$OUT/flask.out" | sed 's/^/  /' | tee -a "$OUT/summary.txt"
        run "flask+sklearn" "$FPID" "$PORT"
        kill -TERM "$FPID"; wait "$FPID" 2>/dev/null
    else
        echo "flask+sklearn: skipped (apt-get install python3-flask python3-sklearn)" | tee -a "$OUT/summary.txt"
    fi
fi
echo "wrk outputs: $OUT/wrk-*.txt"
