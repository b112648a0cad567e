#!/usr/bin/env bash
# Integration tests for the queue of `senti serve` (--batch-max > 1): concurrent requests that
# miss the cache are scored together in batches by a worker pool (src/serve/batcher.c).
# The linear default model does not ask for batches (senti_model_batch_hint 1), so these
# tests force --batch-max and slow each text with --fault-delay where a queue must build up:
#   answers under 16 concurrent clients identical to an unbatched server's, batches > 1 in
#   the metrics, a lone request not held for --batch-wait (and held with
#   --batch-wait-always), 504 for texts whose deadline passes in the queue (never scored),
#   queued requests answered on SIGTERM, reload under load, the cache and /v1/sentiment/batch.
# Then a small random transformer (batched by its own hint): answers = unbatched = senti predict.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/serve_lib.sh

if ! have curl || ! have jq; then
    echo "serve_batch tests need curl and jq (make deps-test)"
    not_ok "curl and jq installed"
    finish
    exit 1
fi
PY=python3
SLOW=${SANITIZED:+1}
# time of one request in seconds (curl); its status in $TMP/code
timed() { # timed PORT BODY [curl args]
    local port=$1 body=$2
    shift 2
    printf '%s' "$body" | curl -s -o "$TMP/body" -w '%{http_code} %{time_total}' --max-time 20 \
        -H 'Content-Type: application/json' --data-binary @- "$@" "http://127.0.0.1:$port/v1/sentiment" > "$TMP/timed"
    cut -d' ' -f1 "$TMP/timed" > "$TMP/code"
    cut -d' ' -f2 "$TMP/timed"
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# ---- help and the default ----------------------------------------------------------------------
"$SENTI" serve --help > "$TMP/help.txt"
for w in --batch-max --batch-wait --batch-workers --batch-wait-always SENTI_BATCH_MAX SENTI_BATCH_WAIT \
    senti_model_batch_hint senti_queue_batch_size senti_queue_wait_seconds senti_queue_depth; do
    grep -q -- "$w" "$TMP/help.txt" || echo "$w" >> "$TMP/help.missing"
done
is "help explains the queue's options and metrics" "" "$(cat "$TMP/help.missing" 2>/dev/null | tr '\n' ' ')"
expect_status "--batch-wait over 10s refused (exit 2)" 2 "$SENTI" serve --batch-wait 11s
expect_status "--batch-max over 4096 refused (exit 2)" 2 "$SENTI" serve --batch-max 5000

start N --threads 1
check "linear model: no queue by default (the model's hint is 1)" \
    grep -q '"msg":"batching","batch_max":1,"model_hint":1,.*"queue":false' "$TMP/N.log"
is "  senti_queue_batch_max 1" 1 "$(metric $PORT_N senti_queue_batch_max)"
is "  POST /v1/sentiment: 200" 200 "$(req $PORT_N POST /v1/sentiment '{"text":"a fine film"}')"
stop N
is "server N exits 0" 0 "$STOP_RC"

# ---- answers: batched = unbatched, under 16 concurrent clients ---------------------------------
tail -n +2 "$DATA/sst2/dev.tsv" | cut -f2 | head -n 400 > "$TMP/texts.txt"
printf '%s\n' "" "not bad at all" "😡 très mauvais" "bad" "bad" >> "$TMP/texts.txt" # empty, repeats
start U --threads 2 --cache-entries 0 --batch-max 1 --access-log off
start Q --threads 2 --cache-entries 0 --batch-max 16 --batch-workers 2 --fault-delay 300 --access-log off
check "--batch-max 16: the queue is on" grep -q '"msg":"batching","batch_max":16,.*"workers":2,.*"queue":true' "$TMP/Q.log"
$PY tests/serve_client.py $PORT_U many 16 "$TMP/texts.txt" > "$TMP/unbatched.out"
t0=$(date +%s.%N)
$PY tests/serve_client.py $PORT_Q many 16 "$TMP/texts.txt" > "$TMP/batched.out"
n=$(wc -l < "$TMP/texts.txt")
is "$n texts, 16 clients at once, unbatched: all 200" "$n" "$(grep -c '^200 ' "$TMP/unbatched.out")"
is "  batched: all 200" "$n" "$(grep -c '^200 ' "$TMP/batched.out")"
same "  batched answers = unbatched answers, text for text" "$TMP/unbatched.out" "$TMP/batched.out"
curl -s "http://127.0.0.1:$PORT_Q/metrics" > "$TMP/q.prom"
mval() { awk -v m="$1" '$1 == m { print $2 }' "$TMP/q.prom"; }
count=$(mval senti_queue_batch_size_count)
ones=$(mval 'senti_queue_batch_size_bucket{le="1"}')
sum=$(mval senti_queue_batch_size_sum)
is "  every text went through the queue (batch sizes sum to $n)" "$n" "$sum"
check "  batches of more than one text under load ($count batches, $ones of one)" test "$ones" -lt "$count"
is "  no batch over --batch-max" "$count" "$(mval 'senti_queue_batch_size_bucket{le="16"}')"
is "  queue waits observed for every text" "$n" "$(mval senti_queue_wait_seconds_count)"
is "  texts scored counted" "$n" "$(mval senti_texts_scored_total)"
is "  the queue is empty afterwards" 0 "$(mval senti_queue_depth)"
if have promtool; then
    check "  promtool check metrics" bash -c "promtool check metrics < '$TMP/q.prom'"
fi
is "batch request with the queue on: 200" 200 "$(req $PORT_Q POST /v1/sentiment/batch '{"texts":["good","bad","not bad at all"]}')"
jqb '.results[] | "\(.label) \(.score)"' > "$TMP/b1"
for t in good bad "not bad at all"; do
    req $PORT_U POST /v1/sentiment "{\"text\":\"$t\"}" >/dev/null
    jqb '"\(.label) \(.score)"'
done > "$TMP/b2"
same "  the same results as single requests" "$TMP/b2" "$TMP/b1"
is "  answered without the queue (straight to the model)" "$sum" "$(metric $PORT_Q senti_queue_batch_size_sum)"
stop Q
is "server Q exits 0" 0 "$STOP_RC"
stop U
is "server U exits 0" 0 "$STOP_RC"

# ---- the cache in front of the queue -------------------------------------------------------------
start C --threads 2 --batch-max 8 --cache-entries 100
is "cache on, first request: 200" 200 "$(req $PORT_C POST /v1/sentiment '{"text":"cached through the queue"}')"
is "  not cached" false "$(jqb .cached)"
s1=$(jqb .score)
is "  again: cached" true "$(req $PORT_C POST /v1/sentiment '{"text":"cached through the queue"}' >/dev/null; jqb .cached)"
is "  same score" "$s1" "$(jqb .score)"
is "  only the miss went through the queue" 1 "$(metric $PORT_C senti_queue_batch_size_sum)"
texts=$(head -n 20 "$TMP/texts.txt" | jq -R . | paste -sd, -)
req $PORT_C POST /v1/sentiment "{\"text\":$(sed -n 3p "$TMP/texts.txt" | jq -R .)}" >/dev/null
is "batch of 20 texts, one of them cached, in chunks of --batch-max 8: 200" 200 \
    "$(req $PORT_C POST /v1/sentiment/batch "{\"texts\":[$texts]}")"
is "  cached flags: only the third" "false false true $(printf 'false %.0s' $(seq 4 20))" \
    "$(jqb '[.results[].cached | tostring] | join(" ")') "
jqb '.results[] | "200 \(.label) \(.score)"' > "$TMP/batch20"
head -n 20 "$TMP/unbatched.out" > "$TMP/single20"
same "  the same results as single unbatched requests" "$TMP/single20" "$TMP/batch20"
is "malformed JSON is answered before the queue: 400" 400 "$(req $PORT_C POST /v1/sentiment '{"text":')"
stop C
is "server C exits 0" 0 "$STOP_RC"

# ---- latency of a lone request -------------------------------------------------------------------
start L --threads 2 --batch-max 16 --batch-wait 300ms --cache-entries 0
timed $PORT_L '{"text":"warm up"}' >/dev/null
best=9
for i in 1 2 3; do
    t=$(timed $PORT_L "{\"text\":\"alone $i\"}")
    lt "$t" "$best" && best=$t
done
is "lone request with --batch-wait 300ms: 200" 200 "$(cat "$TMP/code")"
check "  answered at once, not after the wait (best of 3: ${best}s < 0.1s)" lt "$best" 0.1
stop L
is "server L exits 0" 0 "$STOP_RC"
start W --threads 2 --batch-max 16 --batch-wait 300ms --batch-wait-always --cache-entries 0
t=$(timed $PORT_W '{"text":"alone, waiting"}')
is "--batch-wait-always: 200" 200 "$(cat "$TMP/code")"
check "  the lone request waited for company (${t}s >= 0.28s)" lt 0.28 "$t"
stop W
is "server W exits 0" 0 "$STOP_RC"

# ---- deadlines while queued ----------------------------------------------------------------------
# one worker, 200 ms a text, batches of 2, 1 s to answer: of 10 texts sent at once the last
# ones cannot be reached in time and must get 504 near the deadline, never scored
start T --threads 2 --batch-max 2 --batch-workers 1 --fault-delay 200000 --request-timeout 1s --cache-entries 0
pids=""
for i in $(seq 1 10); do
    curl -s -o "$TMP/tb.$i" -w '%{http_code} %{time_total}' --max-time 20 -H 'Content-Type: application/json' \
        --data-binary "{\"text\":\"deadline $i\"}" "http://127.0.0.1:$PORT_T/v1/sentiment" > "$TMP/tt.$i" &
    pids="$pids $!"
done
wait $pids
for i in $(seq 1 10); do
    echo "$(cut -d' ' -f1 "$TMP/tt.$i") $(jq -r '.error.code // "ok"' "$TMP/tb.$i")" > "$TMP/tc.$i"
    cut -d' ' -f2 "$TMP/tt.$i" > "$TMP/t.$i"
done
codes=$(cat "$TMP"/tc.* | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')
n504=$(grep -c '^504 timeout' "$TMP"/tc.* | awk -F: '{s += $2} END {print s}')
n200=$(grep -c '^200 ok' "$TMP"/tc.* | awk -F: '{s += $2} END {print s}')
check "10 texts, room for about 6 within the deadline: some 200, the rest 504 timeout ($codes)" \
    test "$n504" -ge 3 -a "$n200" -ge 2 -a $((n504 + n200)) -eq 10
slowest=$(cat "$TMP"/t.* | sort -n | tail -n 1)
check "  every answer within the deadline + 0.6 s (slowest ${slowest}s)" lt "$slowest" 1.6
is "  expired texts counted" "$n504" "$(metric $PORT_T senti_queue_timeouts_total)"
is "  and never scored (scored = answered 200)" "$n200" "$(metric $PORT_T senti_texts_scored_total)"
is "  504s counted by route" "$n504" "$(metric $PORT_T 'senti_http_requests_total{route="/v1/sentiment",code="504"}')"
texts=$(for i in $(seq 1 40); do printf '"slow batch text %d",' "$i"; done)
t0=$(date +%s.%N)
is "a batch request past --request-timeout, scored in chunks: 504" 504 "$(req $PORT_T POST /v1/sentiment/batch "{\"texts\":[${texts%,}]}")"
check "  answered near the deadline, not after the 8 s the batch would take" \
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 2) }'
stop T
is "server T exits 0" 0 "$STOP_RC"

# ---- drain: queued requests are answered before the exit -------------------------------------------
start D --threads 2 --batch-max 2 --batch-workers 1 --fault-delay 100000 --cache-entries 0 --drain-timeout 10s
pids=""
for i in $(seq 1 8); do
    curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
        --data-binary "{\"text\":\"drain $i\"}" "http://127.0.0.1:$PORT_D/v1/sentiment" > "$TMP/dc.$i" &
    pids="$pids $!"
done
for _ in $(seq 1 100); do
    [ "$(metric $PORT_D senti_queue_depth)" -ge 3 ] 2>/dev/null && break
    sleep 0.02
done
depth=$(metric $PORT_D senti_queue_depth)
kill -TERM "$PID_D"
wait "$PID_D"
rc=$?
wait $pids
is "8 requests, $depth of them queued at SIGTERM: all answered 200" "200200200200200200200200" "$(cat "$TMP"/dc.* | tr -d '\n')"
is "  the server exits 0" 0 "$rc"
check "  nothing abandoned" grep -q '"msg":"stopped","requests_abandoned":0' "$TMP/D.log"

# ---- reload under load ------------------------------------------------------------------------------
head -n 2001 "$DATA/sst2/train.tsv" > "$TMP/small.tsv"
"$SENTI" train "$TMP/small.tsv" -o "$TMP/small.st" --bits 14 --epochs 2 --threads 1 --quiet >/dev/null 2>&1
cp models/default.safetensors "$TMP/full.st"
cp "$TMP/full.st" "$TMP/model.st"
start R --model "$TMP/model.st" --threads 2 --batch-max 8 --batch-workers 2 --fault-delay 500 --cache-entries 0 --access-log off
for k in 1 2 3 4; do
    seq 1 100 | sed "s/^/reload $k text /" > "$TMP/r.$k"
    $PY tests/serve_client.py $PORT_R many 4 "$TMP/r.$k" > "$TMP/r.$k.out" &
    loaders="${loaders:-} $!"
done
swap_reloads "$PID_R" 0.1
wait $loaders
is "400 requests from 16 connections during 6 reloads: all 200" 400 "$(cat "$TMP"/r.?.out | grep -c '^200 ')"
n_ok=$(metric $PORT_R 'senti_model_reloads_total{result="success"}')
check "  reloads happened ($n_ok)" test "${n_ok:-0}" -ge 1
check "  batches of more than one text meanwhile" \
    test "$(metric $PORT_R 'senti_queue_batch_size_bucket{le="1"}')" -lt "$(metric $PORT_R senti_queue_batch_size_count)"
stop R
is "server R exits 0" 0 "$STOP_RC"

# ---- valgrind: queued requests (suspended connections resumed by the workers), a batch
# request in chunks, a reload with texts queued, a drain. Each client sends its texts one after
# another; --shutdown-delay keeps accepting for 2 s after SIGTERM, so a client told
# "Connection: close" reconnects for its next text (without the delay, a text not yet sent at
# SIGTERM is refused, as it should be, and the count would depend on timing) ----------------------
if [ -z "$SLOW" ] && have valgrind; then
    rm -f "$TMP/VG.port"
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect "$SENTI" serve --port 0 --port-file "$TMP/VG.port" \
        --log "$TMP/VG.log" --threads 2 --batch-max 4 --batch-workers 2 --fault-delay 2000 --shutdown-delay 2s \
        --model "$TMP/model.st" --cache-entries 100 > "$TMP/vg.out" 2>&1 &
    VGPID=$!
    PIDS+=("$VGPID")
    for _ in $(seq 1 300); do [ -s "$TMP/VG.port" ] && break; sleep 0.05; done
    VP=$(cat "$TMP/VG.port" 2>/dev/null || echo 1)
    seq 1 24 | sed 's/^/valgrind text /' > "$TMP/vg.txt"
    $PY tests/serve_client.py "$VP" many 12 "$TMP/vg.txt" > "$TMP/vg1.out" &
    vgl=$!
    sleep 0.3
    kill -HUP "$VGPID"
    wait $vgl
    codes="$(grep -c '^200 ' "$TMP/vg1.out") $(req $VP POST /v1/sentiment/batch '{"texts":["a","b","c","d","e","f","g"]}')"
    sed 's/^/more /' "$TMP/vg.txt" > "$TMP/vg2.txt"
    $PY tests/serve_client.py "$VP" many 12 "$TMP/vg2.txt" > "$TMP/vg2.out" &
    vgl=$!
    wait_inflight "$VP" 4
    kill -TERM "$VGPID"
    wait $vgl
    wait "$VGPID"
    rc=$?
    is "valgrind: 24 queued requests across a reload, a batch request, 24 more at SIGTERM" "24 200 24" \
        "$codes $(grep -c '^200 ' "$TMP/vg2.out")"
    is "  server exits 0, no memory error, no leak" 0 "$rc"
    [ -s "$TMP/vg.out" ] && head -n 30 "$TMP/vg.out"
fi

# ---- a transformer model: batched by default --------------------------------------------------------
# a small random DistilBERT made by the transformer file tests' generator (tests/transformer/
# make_hf.py), imported; skipped where the BERT vocabulary is absent
VOCAB=$DATA/bert-base-uncased/vocab.txt
if [ -r "$VOCAB" ] && python3 tests/transformer/make_hf.py distilbert "$TMP/tf" --vocab "$VOCAB" \
    --bpe tests/tokenizer/bpe > "$TMP/mk.out" 2>&1 && "$SENTI" model import "$TMP/tf" -o "$TMP/tf.st" > "$TMP/imp.out" 2>&1; then
    TF=$TMP/tf.st
    head -n 200 "$TMP/texts.txt" > "$TMP/tf_texts.txt"
    start TU --model "$TF" --threads 2 --cache-entries 0 --batch-max 1 --access-log off
    cp "$TF" "$TMP/tfm.st"
    start TQ --model "$TMP/tfm.st" --model-map on --threads 2 --cache-entries 0 --batch-workers 2 --access-log off
    check "transformer model: the queue is on by its hint (16)" \
        grep -q '"msg":"batching","batch_max":16,"model_hint":16,.*"queue":true' "$TMP/TQ.log"
    check "  --model-map on: the file is mapped" grep -q '"msg":"model loaded".*"file":"mapped"' "$TMP/TQ.log"
    check "  --model-map auto: a small file is read into memory" grep -q '"msg":"model loaded".*"file":"in memory"' "$TMP/TU.log"
    $PY tests/serve_client.py $PORT_TU many 16 "$TMP/tf_texts.txt" > "$TMP/tu.out"
    $PY tests/serve_client.py $PORT_TQ many 16 "$TMP/tf_texts.txt" > "$TMP/tq.out"
    is "  200 texts, 16 clients: all 200" 200 "$(grep -c '^200 ' "$TMP/tq.out")"
    same "  batched answers = unbatched answers" "$TMP/tu.out" "$TMP/tq.out"
    "$SENTI" predict --json --model "$TF" < "$TMP/tf_texts.txt" | jq -r '"200 \(.label) \(.score)"' > "$TMP/tcli.out"
    same "  = senti predict's answers" "$TMP/tcli.out" "$TMP/tq.out"
    check "  batches of more than one text" \
        test "$(metric $PORT_TQ 'senti_queue_batch_size_bucket{le="1"}')" -lt "$(metric $PORT_TQ senti_queue_batch_size_count)"
    is "batch request to the transformer: 200" 200 "$(req $PORT_TQ POST /v1/sentiment/batch \
        "{\"texts\":[$(head -n 40 "$TMP/tf_texts.txt" | jq -R . | paste -sd, -)]}")"
    jqb '.results[] | "200 \(.label) \(.score)"' > "$TMP/tb.out"
    same "  the same answers (scored in chunks of 16)" <(head -n 40 "$TMP/tu.out") "$TMP/tb.out"
    # reload a mapped model under load: the file replaced by rename (f32, then int8, then f32)
    "$SENTI" model import "$TMP/tf" -o "$TMP/tf8.st" --dtype int8 > "$TMP/imp8.out" 2>&1
    d1=$(req $PORT_TQ GET /v1/models >/dev/null; jqb '.models[0].digest')
    $PY tests/serve_client.py $PORT_TQ many 8 "$TMP/tf_texts.txt" > "$TMP/tr.out" &
    loader=$!
    for f in tf8 tf tf8; do
        sleep 0.2
        cp "$TMP/$f.st" "$TMP/tfnext.st"
        mv "$TMP/tfnext.st" "$TMP/tfm.st"
        kill -HUP "$PID_TQ"
    done
    wait $loader
    is "  200 requests during 3 reloads of the mapped file (by rename): all 200" 200 "$(grep -c '^200 ' "$TMP/tr.out")"
    until_gen $PORT_TQ 4
    is "  the last reload serves the int8 file" "$("$SENTI" model info "$TMP/tf8.st" | awk '$1 == "xxh128" {print $2}')" \
        "$(req $PORT_TQ GET /v1/models >/dev/null; jqb '.models[0].digest')"
    check "  (not the first file)" test "$d1" != "$(jqb '.models[0].digest')"
    stop TQ
    is "  exits 0" 0 "$STOP_RC"
    stop TU
    is "server TU exits 0" 0 "$STOP_RC"
else
    ok "transformer model # SKIP $VOCAB absent or the model could not be made: $(head -c 300 "$TMP/mk.out" "$TMP/imp.out" 2>/dev/null)"
fi

finish
