#!/usr/bin/env bash
# Integration tests for `senti serve`: real servers on ephemeral loopback ports, real clients
# (curl, wrk, a raw-socket Python client for slow and trickling connections, Prometheus).
#   every endpoint, every error status, cache hit/miss/expiry/eviction, 429 after a burst,
#   503 over the in-flight limit, 504 past the deadline, slow clients cut without blocking
#   others, one client's slow connections not taking every slot, request smuggling refused,
#   reload under load (and from a FIFO), drain on SIGTERM (20 times under keep-alive load),
#   metrics (promtool), deploy/ files.
# Under SANITIZED=1 (ASan+UBSan build) the same runs; each server must exit 0 on SIGTERM,
# which under ASan also means no leak and no error.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
. tests/serve_lib.sh
if ! have curl || ! have jq; then
    echo "serve tests need curl and jq (make deps-test)"
    not_ok "curl and jq installed"
    finish
    exit 1
fi
PY=python3
SLOW=${SANITIZED:+1}

# ---- help and options ----------------------------------------------------------------------
expect_status "serve --help exits 0" 0 "$SENTI" serve --help
"$SENTI" serve --help > "$TMP/help.txt"
for w in --port --model --max-body --max-batch --max-inflight --max-client-connections SENTI_MAX_CLIENT_CONNECTIONS \
    --request-timeout --idle-timeout \
    --drain-timeout --cache-entries --cache-bytes --cache-ttl --redis --rate --burst --proxy-header \
    --trusted-proxies --log --log-level --access-log SENTI_PORT SENTI_CACHE_TTL SIGHUP SIGTERM 429 504; do
    grep -q -- "$w" "$TMP/help.txt" || { not_ok "help mentions $w"; continue; }
done
ok "help explains every option, its environment variable, signals and statuses"
expect_status "unknown option exits 2" 2 "$SENTI" serve --bogus
expect_status "bad --port exits 2" 2 "$SENTI" serve --port 70000
expect_status "bad duration exits 2" 2 "$SENTI" serve --request-timeout 5parsecs
expect_status "bad env value exits 2" 2 env SENTI_MAX_BODY=lots "$SENTI" serve
expect_status "missing model exits 1" 1 "$SENTI" serve --port 0 --model /nonexistent.safetensors --log none

# ---- server A: endpoints, errors, cache --------------------------------------------------------
start A --max-body 64k --max-batch 50 --cache-entries 1000 --cache-ttl 2s --threads 2
P=$PORT_A
check "start-up logs the effective configuration" grep -q '"msg":"config".*"max-body":65536.*"cache-ttl":2' "$TMP/A.log"
check "start-up logs the bound port" grep -q "\"msg\":\"listening\".*\"port\":$P" "$TMP/A.log"
check "env vars configure the server" bash -c "SENTI_LOG_LEVEL=bogus '$SENTI' serve --port 0 2>&1 | grep -q -- --log-level"

"$SENTI" model info default > "$TMP/info.txt"
MODEL_NAME=$(awk -F'\t' '$1 == "meta.name" {print $2}' "$TMP/info.txt")
N_LABELS=$(awk -F'\t' '$1 == "labels" {print split($2, a, ",")}' "$TMP/info.txt")
is "POST /v1/sentiment: 200" 200 "$(req $P POST /v1/sentiment '{"text":"a wonderful, moving film"}')"
is "  label" positive "$(jqb .label)"
is "  scores has every class" "$N_LABELS" "$(jqb '.scores | length')"
is "  model name" "$MODEL_NAME" "$(jqb .model)"
is "  first time not cached" false "$(jqb .cached)"
check "  application/json" grep -qi '^content-type: application/json' "$TMP/hdr"
check "  X-Request-Id header" grep -qi '^x-request-id: [0-9a-f]' "$TMP/hdr"
score1=$(jqb .score)
"$SENTI" predict --json "a wonderful, moving film" > "$TMP/cli.json"
is "  same score as senti predict" "$(jq -r .score "$TMP/cli.json")" "$score1"
is "same text again: 200" 200 "$(req $P POST /v1/sentiment '{"text":"a wonderful, moving film"}')"
is "  cached (hit after miss)" true "$(jqb .cached)"
is "  same score from the cache" "$score1" "$(jqb .score)"
is "a client X-Request-Id is echoed" "abc-123" "$(req $P GET /healthz '' -H 'X-Request-Id: abc-123' >/dev/null; grep -i '^x-request-id' "$TMP/hdr" | tr -d '\r' | awk '{print $2}')"
check "cache hit counted in metrics" test "$(metric $P senti_cache_hits_total)" -ge 1
sleep 2.3
is "after the TTL: 200" 200 "$(req $P POST /v1/sentiment '{"text":"a wonderful, moving film"}')"
is "  expired, so not cached" false "$(jqb .cached)"
check "expiry counted in metrics" test "$(metric $P senti_cache_expirations_total)" -ge 1

is "text with \\u0000 and unicode: 200" 200 "$(req $P POST /v1/sentiment '{"text":"bad\u0000 film 😡 très mauvais"}')"
is "empty text: 200" 200 "$(req $P POST /v1/sentiment '{"text":""}')"
is "charset parameter accepted" 200 "$(req $P POST /v1/sentiment '{"text":"ok"}' -H 'Content-Type: application/json; charset=utf-8')"

is "batch texts: 200" 200 "$(req $P POST /v1/sentiment/batch '{"texts":["good","bad","not bad at all","","terrible, awful"]}')"
is "  5 results" 5 "$(jqb '.results | length')"
is "  in input order" "positive negative" "$(jqb '[.results[0].label, .results[1].label] | join(" ")')"
jqb '.results[].score' > "$TMP/batch_scores"
"$SENTI" predict --json "good" "bad" "not bad at all" "" "terrible, awful" | jq -r .score > "$TMP/cli_scores"
same "  batch scores = senti predict scores" "$TMP/cli_scores" "$TMP/batch_scores"
is "  cached flags" "true false" "$(req $P POST /v1/sentiment/batch '{"texts":["good","never seen before, surely"]}' >/dev/null; jqb '[.results[].cached | tostring] | join(" ")')"
is "batch items with ids: 200" 200 "$(req $P POST /v1/sentiment/batch '{"items":[{"id":"a","text":"great"},{"id":7,"text":"awful"},{"text":"no id"}]}')"
is "  ids echoed in order" 'a 7 null' "$(jqb '[.results[] | .id // "null" | tostring] | join(" ")')"
is "empty batch: 200" 200 "$(req $P POST /v1/sentiment/batch '{"texts":[]}')"
is "  no results" 0 "$(jqb '.results | length')"

is "GET /v1/models: 200" 200 "$(req $P GET /v1/models)"
is "  kind" linear "$(jqb '.models[0].kind')"
is "  digest is the embedded model's" "$("$SENTI" model info default | awk '$1=="xxh128"{print $2}')" "$(jqb '.models[0].digest')"
is "  card has the training data digest" true "$(jqb '.models[0].card.training_data_xxh128 | length > 0')"
is "GET /v1/models with a body: still the models" 200 "$(req $P GET /v1/models '' -d '{"texts":["x"]}' -H 'Content-Type: application/json')"
is "  (not mistaken for a batch)" linear "$(jqb '.models[0].kind')"
is "GET /healthz: 200" 200 "$(req $P GET /healthz)"
is "GET /readyz: 200" 200 "$(req $P GET /readyz)"
is "HEAD /healthz: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$P/healthz")"
is "GET /metrics: 200" 200 "$(req $P GET /metrics)"
check "  Prometheus text content type" grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/hdr"
check "  model info metric" grep -q "^senti_model_info{kind=\"linear\",name=\"$MODEL_NAME\"" "$TMP/body"
check "  request counter by route and code" grep -q '^senti_http_requests_total{route="/v1/sentiment",code="200"}' "$TMP/body"
check "  latency histogram" grep -q '^senti_http_request_duration_seconds_bucket{route="/v1/sentiment",le="+Inf"}' "$TMP/body"
check "  prediction histogram" grep -q '^senti_prediction_duration_seconds_count [1-9]' "$TMP/body"
check "  batch size histogram" grep -q '^senti_batch_size_bucket{le="5"} [1-9]' "$TMP/body"
check "  process metrics" grep -q '^process_resident_memory_bytes [1-9]' "$TMP/body"
check "  the library's heap accounting" bash -c \
    "grep -q '^senti_library_heap_bytes [0-9]' '$TMP/body' && grep -q '^senti_library_heap_peak_bytes [1-9]' '$TMP/body'"
if have promtool; then
    check "  promtool check metrics" bash -c "promtool check metrics < '$TMP/body'"
else
    ok "  promtool check metrics # SKIP promtool not installed"
fi

# errors
is "malformed JSON: 400" 400 "$(req $P POST /v1/sentiment '{"text": "unterminated')"
is "  error.code" invalid_json "$(jqb .error.code)"
is "  error.message present" true "$(jqb '.error.message | length > 0')"
is "missing text: 400" 400 "$(req $P POST /v1/sentiment '{"txt":"x"}')"
is "  error.code" missing_text "$(jqb .error.code)"
is "non-string text: 400" 400 "$(req $P POST /v1/sentiment '{"text":42}')"
is "  error.code" invalid_text "$(jqb .error.code)"
is "body not an object: 400" 400 "$(req $P POST /v1/sentiment '["text"]')"
is "empty body: 400" 400 "$(req $P POST /v1/sentiment '')"
is "invalid UTF-8 in JSON: 400" 400 "$(req $P POST /v1/sentiment "$(printf '{"text":"\xff\xfe"}')")"
python3 -c 'print("[" * 30000 + "]" * 30000)' > "$TMP/deep.json"
is "30000-deep nesting: 400" 400 "$(req $P POST /v1/sentiment "$(cat "$TMP/deep.json")")"
head -c 30000 /dev/urandom > "$TMP/random.bin"
is "random bytes: 400" 400 "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/random.bin" "http://127.0.0.1:$P/v1/sentiment")"
is "batch with a non-string: 400" 400 "$(req $P POST /v1/sentiment/batch '{"texts":["ok",3]}')"
is "  names the index" true "$(jqb '.error.message | test("texts\\[1\\]")')"
is "batch without texts or items: 400" 400 "$(req $P POST /v1/sentiment/batch '{"text":"x"}')"
is "batch item with an object id: 400" 400 "$(req $P POST /v1/sentiment/batch '{"items":[{"id":{},"text":"x"}]}')"
is "unknown path: 404" 404 "$(req $P GET /v2/nothing)"
is "  error.code" not_found "$(jqb .error.code)"
is "POST to an unknown path: 404" 404 "$(req $P POST /nothing '{"text":"x"}')"
is "GET /v1/sentiment: 405" 405 "$(req $P GET /v1/sentiment)"
check "  Allow: POST" grep -qi '^allow: POST' "$TMP/hdr"
is "POST /metrics: 405" 405 "$(req $P POST /metrics '{}')"
is "DELETE /v1/models: 405" 405 "$(req $P DELETE /v1/models)"
is "form content type: 415" 415 "$(curl -s -o "$TMP/body" -w '%{http_code}' -d 'text=x' "http://127.0.0.1:$P/v1/sentiment")"
is "  error.code" unsupported_media_type "$(jqb .error.code)"
is "text/plain: 415" 415 "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: text/plain' -d '{"text":"x"}' "http://127.0.0.1:$P/v1/sentiment")"
head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"text":"/; s/$/"}/' > "$TMP/big.json"
is "body over --max-body (Content-Length): 413" 413 "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "http://127.0.0.1:$P/v1/sentiment")"
is "  error.code" payload_too_large "$(jqb .error.code)"
is "body over --max-body (chunked): 413" 413 "$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json" "http://127.0.0.1:$P/v1/sentiment")"
head -c 20000000 /dev/zero > "$TMP/huge.bin"
is "20 MB body: 413, connection not read to the end" 413 "$(curl -s -o "$TMP/body" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' --data-binary @"$TMP/huge.bin" "http://127.0.0.1:$P/v1/sentiment")"
is "endless chunked body: connection closed, not read forever" 0 "$(head -c 20000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- "http://127.0.0.1:$P/v1/sentiment" | sed 's/^100$/0/; s/^000$/0/')"
check "  logged as closed" grep -q '"outcome":"body over twice --max-body: closed"' "$TMP/A.log"
is "chunked body under the limit: 200" 200 "$(req $P POST /v1/sentiment '{"text":"fine"}' -H 'Transfer-Encoding: chunked')"
texts=$(for i in $(seq 1 51); do printf '"t%d",' "$i"; done)
is "batch over --max-batch: 413" 413 "$(req $P POST /v1/sentiment/batch "{\"texts\":[${texts%,}]}")"
is "  error.code" batch_too_large "$(jqb .error.code)"
# request smuggling (RFC 9112 section 6): framing a proxy could read differently is refused
# with 400 (501 for an unknown transfer coding) and the connection closed, so the bytes after
# the headers are never served as a request of their own
POSTH='POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n'
SMUGGLED='GET /v1/models HTTP/1.1\r\nHost: t\r\n\r\n'
$PY tests/serve_client.py $P raw 2 \
    "${POSTH}Content-Length: 13\r\nContent-Length: 52\r\n\r\n{\"text\":\"ok\"}$SMUGGLED" \
    "${POSTH}Content-Length: 18\r\nTransfer-Encoding: chunked\r\n\r\nd\r\n{\"text\":\"ok\"}\r\n0\r\n\r\n$SMUGGLED" \
    "${POSTH}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n$SMUGGLED" \
    "${POSTH}Transfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00" \
    "${POSTH}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" \
    'GET /healthz HTTP/1.1\r\n\r\n' > "$TMP/framing.out"
$PY tests/serve_client.py $P raw 0.3 \
    "${POSTH}Transfer-Encoding: chunked\r\n\r\nd\r\n{\"text\":\"ok\"}\r\n0\r\n\r\n$SMUGGLED" \
    "${POSTH}Content-Length: 13\r\nContent-Length: 13\r\n\r\n{\"text\":\"ok\"}" >> "$TMP/framing.out"
framing() { sed -n "$1p" "$TMP/framing.out"; }
is "two Content-Lengths that disagree: 400, closed" "400:bad_request closed" "$(framing 1)"
is "Content-Length with chunked: 400, closed, the request after the 0-chunk not served" "400:bad_request closed" "$(framing 2)"
is "'Transfer-Encoding : chunked' (space before the colon): 400, closed" "400:bad_request closed" "$(framing 3)"
is "Transfer-Encoding: gzip: 501 at once (not at the 10 s cut), closed" "501:not_implemented closed" "$(framing 4)"
is "chunked then gzip: 400, closed" "400:bad_request closed" "$(framing 5)"
is "HTTP/1.1 without Host: 400, closed" "400 closed" "$(framing 6)"
is "plain chunked still works, keep-alive kept" "200 200 open" "$(framing 7)"
is "two equal Content-Lengths are one: 200" "200 open" "$(framing 8)"
is "server still healthy after the abuse" 200 "$(req $P GET /healthz)"

# concurrency: 2 s of wrk (8 keep-alive connections, 2 threads) with varied texts through a
# 64-entry cache: constant LRU eviction under contention; every answer must be a 200
start E --cache-entries 64 --cache-bytes 64k --threads 2 --access-log off
if have wrk; then
    WRK_TEXTS="$DATA/sst2/dev.tsv" wrk -t2 -c8 -d2s -s bench/wrk_sentiment.lua "http://127.0.0.1:$PORT_E/" > "$TMP/wrk.out" 2>&1
    n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
    check "wrk burst through a 64-entry cache: $n requests, all 200" \
        bash -c "test '${n:-0}' -gt 100 && ! grep -qE 'Non-2xx|Socket errors' '$TMP/wrk.out'"
else
    for i in $(seq 1 200); do
        printf '{"text":"text number %d"}' "$i" | curl -s -o /dev/null -w '%{http_code}\n' \
            -H 'Content-Type: application/json' --data-binary @- "http://127.0.0.1:$PORT_E/v1/sentiment" &
        [ $((i % 8)) -eq 0 ] && wait
    done > "$TMP/codes.txt"
    wait
    is "200 requests, 8 at a time, through a 64-entry cache: all 200" 200 "$(sort -u "$TMP/codes.txt" | tr -d '\n')"
fi
check "  LRU evictions happened" test "$(metric $PORT_E senti_cache_evictions_total)" -gt 0
check "  entries stay within --cache-entries" test "$(metric $PORT_E senti_cache_entries)" -le 64
check "  bytes stay within --cache-bytes" test "$(metric $PORT_E senti_cache_bytes)" -le 65536
stop E
is "server E drains and exits 0" 0 "$STOP_RC"

# ---- server B: rate limit, in-flight limit, deadlines, slow clients -----------------------------
start B --rate 2 --burst 3 --proxy-header X-Forwarded-For --max-inflight 2 --request-timeout 3s \
    --fault-delay 3000 --max-batch 5000 --max-body 4M --threads 2
P=$PORT_B
codes=""
for i in 1 2 3 4; do codes="$codes $(req $P POST /v1/sentiment '{"text":"x"}' -H 'X-Forwarded-For: 198.51.100.7')"; done
is "burst of 4 with --burst 3: the 4th is 429" " 200 200 200 429" "$codes"
is "  error.code" rate_limited "$(jqb .error.code)"
check "  Retry-After header" grep -qi '^retry-after: [1-9]' "$TMP/hdr"
is "another client is not limited" 200 "$(req $P POST /v1/sentiment '{"text":"x"}' -H 'X-Forwarded-For: 198.51.100.8')"
is "the proxy's list: last element is the client" 200 "$(req $P POST /v1/sentiment '{"text":"x"}' -H 'X-Forwarded-For: 198.51.100.7, 198.51.100.9')"
codes=""
for i in 1 2 3 4 5 6; do codes="$codes$(req $P GET /healthz '' -H 'X-Forwarded-For: 198.51.100.7')"; done
is "/healthz is exempt" 200200200200200200 "$codes"
is "/metrics is exempt" 200 "$(req $P GET /metrics '' -H 'X-Forwarded-For: 198.51.100.7')"
check "  rate limiting counted" test "$(metric $P senti_http_rate_limited_total)" -ge 1
sleep 1.2
is "tokens come back at --rate" 200 "$(req $P POST /v1/sentiment '{"text":"x"}' -H 'X-Forwarded-For: 198.51.100.7')"

# in-flight limit: two slow uploads hold both slots
$PY tests/serve_client.py "$P" slow-post 2 203.0.113.1 > "$TMP/hold1" &
h1=$!
$PY tests/serve_client.py "$P" slow-post 2 203.0.113.2 > "$TMP/hold2" &
h2=$!
wait_inflight "$P" 2
is "over --max-inflight: 503" 503 "$(req $P POST /v1/sentiment '{"text":"y"}' -H 'X-Forwarded-For: 203.0.113.3')"
is "  error.code" overloaded "$(jqb .error.code)"
check "  Retry-After header" grep -qi '^retry-after: 1' "$TMP/hdr"
is "probes are not limited meanwhile" 200 "$(req $P GET /readyz)"
wait $h1 $h2
is "the slow requests themselves succeed" "200 200" "$(cat "$TMP/hold1") $(cat "$TMP/hold2")"

# deadline: a batch still scoring at --request-timeout gets 504 (3 ms per text x 2000 texts)
texts=$(for i in $(seq 1 2000); do printf '"slow text %d",' "$i"; done)
t0=$(date +%s.%N)
is "batch past --request-timeout: 504" 504 "$(req $P POST /v1/sentiment/batch "{\"texts\":[${texts%,}]}" -H 'X-Forwarded-For: 203.0.113.4')"
is "  error.code" timeout "$(jqb .error.code)"
check "  answered near the deadline, not after the whole batch" \
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 5) }'

# slow clients: cut at the deadline, others served meanwhile
$PY tests/serve_client.py "$P" trickle-headers 10 > "$TMP/trickle_h" &
t1=$!
$PY tests/serve_client.py "$P" trickle-body 10 > "$TMP/trickle_b" &
t2=$!
sleep 0.3
codes=""
for i in 1 2 3 4 5; do
    codes="$codes$(req $P GET /v1/models '' --max-time 1 -H "X-Forwarded-For: 203.0.113.1$i")"
    sleep 0.1
done
is "requests during two trickling connections are served" 200200200200200 "$codes"
wait $t1 $t2
check "headers at 1 byte/s: cut near --request-timeout (3s)" \
    awk -v t="$(cat "$TMP/trickle_h")" 'BEGIN { exit !(t >= 2.5 && t <= 5.5) }'
check "body at 1 byte/s: cut near --request-timeout (3s)" \
    awk -v t="$(cat "$TMP/trickle_b")" 'BEGIN { exit !(t >= 2.5 && t <= 5.5) }'
check "  cuts counted in metrics" test "$(metric $P 'senti_http_connection_timeouts_total{phase="request"}')" -ge 2
stop B
is "server B drains and exits 0" 0 "$STOP_RC"
check "access log: one JSON line per request with the documented fields" bash -c \
    "grep '\"msg\":\"request\"' '$TMP/B.log' | head -n 20 | jq -e 'select(.method and .path and .status and (.bytes != null) and (.duration_us != null) and .client and .request_id)' >/dev/null"
check "access log: the client comes from the trusted proxy header" grep -q '"client":"198.51.100.9"' "$TMP/B.log"

# one client holding slow connections cannot take every slot: with --max-client-connections 64,
# a client (127.0.0.3) opening 1000 connections that never finish a request keeps 64, and
# another client (127.0.0.2) is served at once. Distinct loopback source addresses are the
# only way to be two clients at the TCP level, which is where the slots are taken (a header
# naming the client is read only once a request's headers are in)
start L --max-connections 256 --max-client-connections 64 --threads 2 --access-log off
read -r worst held <<< "$($PY tests/serve_client.py $PORT_L conn-flood 1000 127.0.0.3 127.0.0.2)"
check "1000 slow connections from one client: another is served within 100 ms (${worst} ms)" test "${worst:-1000}" -lt 100
is "  the slow client keeps --max-client-connections (64) open" 64 "$held"
check "  refusals counted in metrics" test "$(metric $PORT_L senti_http_connections_refused_total)" -ge 900
stop L
is "  server L exits 0" 0 "$STOP_RC"
# through a trusted proxy the client is the one its header names: counted per request
start M --proxy-header X-Forwarded-For --max-client-connections 2 --threads 1
XREQ='GET /v1/models HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.50\r\n\r\n'
$PY tests/serve_client.py $PORT_M raw 1.2 "$XREQ" > "$TMP/px1" &
px1=$!
$PY tests/serve_client.py $PORT_M raw 1.2 "$XREQ" > "$TMP/px2" &
px2=$!
for _ in $(seq 1 100); do # until both are answered (and so counted)
    [ "$(grep -c '"client":"198.51.100.50"' "$TMP/M.log")" -ge 2 ] && break
    sleep 0.02
done
$PY tests/serve_client.py $PORT_M raw 0.3 "$XREQ" \
    'GET /v1/models HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 198.51.100.51\r\n\r\n' > "$TMP/px3"
is "a proxied client's third connection: 429, closed" "429:too_many_connections closed" "$(sed -n 1p "$TMP/px3")"
is "  another proxied client is served" "200 open" "$(sed -n 2p "$TMP/px3")"
wait $px1 $px2
is "  the first two kept their connections" "200 open 200 open" "$(cat "$TMP/px1") $(cat "$TMP/px2")"
stop M
is "  server M exits 0" 0 "$STOP_RC"

# ---- server C: reload under load, drain ---------------------------------------------------------
head -n 2001 "$DATA/sst2/train.tsv" > "$TMP/small.tsv"
"$SENTI" train "$TMP/small.tsv" -o "$TMP/small.st" --bits 14 --epochs 2 --threads 1 --quiet >/dev/null 2>&1
cp models/default.safetensors "$TMP/full.st"
cp "$TMP/full.st" "$TMP/model.st"
start C --model "$TMP/model.st" --threads 2 --cache-entries 0
P=$PORT_C
d1=$(req $P GET /v1/models >/dev/null; jqb '.models[0].digest')
for k in 1 2 3 4; do
    (
        fails=0
        for i in $(seq 1 60); do
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
                --data-binary "{\"text\":\"reload $k $i\"}" "http://127.0.0.1:$P/v1/sentiment")
            [ "$code" = 200 ] || fails=$((fails + 1))
        done
        echo "$fails" > "$TMP/load.$k"
    ) &
    loaders="${loaders:-} $!"
done
$PY tests/serve_client.py "$P" slow-post 1.5 > "$TMP/inflight_reload" &
slowp=$!
wait_inflight "$P" 1
swap_reloads "$PID_C" 0.15
wait $loaders $slowp
is "240 requests during 6 reloads: none failed" "0 0 0 0" "$(cat "$TMP/load.1" "$TMP/load.2" "$TMP/load.3" "$TMP/load.4" | tr '\n' ' ' | sed 's/ $//')"
is "a request in flight across the reloads succeeds" 200 "$(cat "$TMP/inflight_reload")"
# signals sent close together may coalesce into one reload: count what happened
until_gen $P 2
sleep 0.3
n_ok=$(metric $P 'senti_model_reloads_total{result="success"}')
check "reloads happened and were counted ($n_ok)" test "${n_ok:-0}" -ge 1
is "generation = 1 + successful reloads" "$((n_ok + 1))" "$(gen_of $P)"
cp "$TMP/small.st" "$TMP/model.st" # in place, not by rename: the server must not care
kill -HUP "$PID_C"
until_gen $P $((n_ok + 2))
d2=$(req $P GET /v1/models >/dev/null; jqb '.models[0].digest')
check "the reloaded model is the new file (digest changed)" test "$d1" != "$d2"
is "  the digest is the new file's XXH3-128" "$("$SENTI" model info "$TMP/small.st" | awk '$1 == "xxh128" {print $2}')" "$d2"
head -c 3000 "$TMP/full.st" > "$TMP/model.st" # truncated in place
kill -HUP "$PID_C"
for _ in $(seq 1 200); do
    [ "$(metric $P 'senti_model_reloads_total{result="failure"}')" = 1 ] && break
    sleep 0.05
done
check "a broken model file: reload failure counted" test "$(metric $P 'senti_model_reloads_total{result="failure"}')" -eq 1
is "  and the old model keeps serving" 200 "$(req $P POST /v1/sentiment '{"text":"still here"}')"
is "  (still the previous digest)" "$d2" "$(req $P GET /v1/models >/dev/null; jqb '.models[0].digest')"
check "  the failure is logged" grep -q '"msg":"model reload failed' "$TMP/C.log"

# drain: requests in flight at SIGTERM complete, then exit 0
$PY tests/serve_client.py "$P" slow-post 1.5 > "$TMP/drain1" &
s1=$!
$PY tests/serve_client.py "$P" slow-post 1.5 > "$TMP/drain2" &
s2=$!
wait_inflight "$P" 2
kill -TERM "$PID_C"
for _ in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$P/healthz")
    [ "$code" = 000 ] && break
    sleep 0.05
done
is "after SIGTERM new connections are refused" 000 "$code"
wait $s1 $s2
is "requests in flight at SIGTERM complete with 200" "200 200" "$(cat "$TMP/drain1") $(cat "$TMP/drain2")"
wait "$PID_C"
is "drained server exits 0" 0 "$?"
check "drain logged with nothing abandoned" grep -q '"msg":"stopped","requests_abandoned":0' "$TMP/C.log"

# drain under keep-alive load, 20 times: every request sent gets a complete answer; each
# connection is closed only after a response that said "Connection: close"
$PY tests/serve_client.py - drain-rounds 20 40 "$TMP/K.port" "$SENTI" serve --host 127.0.0.1 --port 0 \
    --port-file "$TMP/K.port" --log "$TMP/K.log" --threads 2 --drain-timeout 5s --access-log off > "$TMP/drains.out"
is "20 drains under 40 keep-alive clients: no failed request, close only after being told" \
    "failed=0" "$(tail -n 1 "$TMP/drains.out")"
[ "$(tail -n 1 "$TMP/drains.out")" = failed=0 ] || head -n 5 "$TMP/drains.out"

# a FIFO where the model file was: the reload must fail at once (a blocking open would stop
# the thread that takes the signals), the old model keeps serving, SIGTERM still drains
cp "$TMP/full.st" "$TMP/fifo.st"
start F --model "$TMP/fifo.st" --threads 1 --drain-timeout 3s
rm -f "$TMP/fifo.st"
mkfifo "$TMP/fifo.st"
kill -HUP "$PID_F"
for _ in $(seq 1 60); do
    [ "$(metric $PORT_F 'senti_model_reloads_total{result="failure"}')" = 1 ] && break
    sleep 0.05
done
is "model path turned into a FIFO: the reload fails" 1 "$(metric $PORT_F 'senti_model_reloads_total{result="failure"}')"
check "  logged as not a regular file" grep -q '"msg":"model reload failed.*not a regular file' "$TMP/F.log"
is "  the old model keeps serving" 200 "$(req $PORT_F POST /v1/sentiment '{"text":"still the old model"}' --max-time 3)"
stop_within F 5
is "  and SIGTERM still drains and exits 0" 0 "$STOP_RC"

# shutdown delay: not ready but still accepting, then drained
start D --shutdown-delay 1.5s --threads 1
kill -TERM "$PID_D"
for _ in $(seq 1 40); do
    code=$(req $PORT_D GET /readyz)
    [ "$code" = 503 ] && break
    sleep 0.05
done
is "--shutdown-delay: /readyz answers 503 after SIGTERM" 503 "$code"
is "  while scoring still works" 200 "$(req $PORT_D POST /v1/sentiment '{"text":"still serving"}')"
check "  answers carry Connection: close" grep -qi '^connection: close' "$TMP/hdr"
wait "$PID_D"
is "  then it drains and exits 0" 0 "$?"

# ---- VADER over HTTP ---------------------------------------------------------------------------
if [ -f "$DATA/vader/vader_lexicon.txt" ]; then
    start V --model "vader:$DATA/vader" --threads 1
    is "VADER model: 200" 200 "$(req $PORT_V POST /v1/sentiment '{"text":"I LOVE it :) but not the ending!!"}')"
    is "  has compound" true "$(jqb 'has("compound") and has("neg") and has("neu") and has("pos")')"
    "$SENTI" predict --json --model "vader:$DATA/vader" "I LOVE it :) but not the ending!!" > "$TMP/v.json"
    is "  same compound as senti predict" "$(jq -r .compound "$TMP/v.json")" "$(jqb .compound)"
    is "  /v1/models kind" vader "$(req $PORT_V GET /v1/models >/dev/null; jqb '.models[0].kind')"
    stop V
    is "VADER server exits 0" 0 "$STOP_RC"
    # the model's identity covers both lexicons: an edit of the emoji lexicon alone, then
    # SIGHUP, must not be answered from the cache with the old model's result
    mkdir -p "$TMP/vx"
    cp "$DATA/vader/vader_lexicon.txt" "$DATA/vader/emoji_utf8_lexicon.txt" "$TMP/vx/"
    start W --model "vader:$TMP/vx" --threads 1 --cache-entries 1000
    req $PORT_W POST /v1/sentiment '{"text":"\ud83d\ude00"}' >/dev/null
    is "VADER: an emoji read through the emoji lexicon ('grinning face')" positive "$(jqb .label)"
    d1=$(req $PORT_W GET /v1/models >/dev/null; jqb '.models[0].digest')
    sed -i 's/^\xf0\x9f\x98\x80\t.*/\xf0\x9f\x98\x80\tterrible awful face/' "$TMP/vx/emoji_utf8_lexicon.txt"
    kill -HUP "$PID_W"
    for _ in $(seq 1 100); do [ "$(gen_of $PORT_W)" = 2 ] && break; sleep 0.05; done
    d2=$(req $PORT_W GET /v1/models >/dev/null; jqb '.models[0].digest')
    check "  an edit of the emoji lexicon alone changes the model's digest" test "$d1" != "$d2"
    req $PORT_W POST /v1/sentiment '{"text":"\ud83d\ude00"}' >/dev/null
    is "  and the reloaded model's answer is not the cached one" negative "$(jqb .label)"
    stop W
fi

# a model whose labels would break JSON is refused at start, with the reason
python3 tests/edit_model.py models/default.safetensors "$TMP/evil.st" 'labels=negative,neu"}
{"evil":"x,positive'
"$SENTI" serve --host 127.0.0.1 --port 0 --model "$TMP/evil.st" > "$TMP/evil.out" 2>&1
is "serve refuses a model with labels that would break JSON (exit 1)" 1 "$?"
check "  and says why" grep -q 'labels: label 2' "$TMP/evil.out"

# ---- Redis: a cache shared by two replicas; Redis down -> still serving ----------------------------
if have redis-server; then
    RP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    redis_up() {
        redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
            > "$TMP/redis.log" 2>&1 &
        RPID=$!
        PIDS+=("$RPID")
        for _ in $(seq 1 100); do
            redis-cli -p "$RP" ping 2>/dev/null | grep -q PONG && break
            sleep 0.05
        done
    }
    redis_up
    start R1 --redis "redis://127.0.0.1:$RP" --threads 1
    start R2 --redis "redis://127.0.0.1:$RP/0" --threads 1
    is "replica 1 scores a new text" false "$(req $PORT_R1 POST /v1/sentiment '{"text":"shared between replicas"}' >/dev/null; jqb .cached)"
    is "replica 2 gets it from Redis" true "$(req $PORT_R2 POST /v1/sentiment '{"text":"shared between replicas"}' >/dev/null; jqb .cached)"
    is "  same score" "$(req $PORT_R1 POST /v1/sentiment '{"text":"shared between replicas"}' >/dev/null; jqb .score)" \
        "$(req $PORT_R2 POST /v1/sentiment '{"text":"shared between replicas"}' >/dev/null; jqb .score)"
    check "  Redis hit counted" test "$(metric $PORT_R2 senti_redis_hits_total)" -ge 1
    check "  a TTL is set on the Redis keys" bash -c "test \$(redis-cli -p $RP --scan --pattern 'senti:v1:*' | head -n 1 | xargs redis-cli -p $RP pttl) -gt 0"
    kill -TERM "$RPID"
    wait "$RPID" 2>/dev/null
    is "Redis down: still 200 for a new text" 200 "$(req $PORT_R1 POST /v1/sentiment '{"text":"redis is gone"}')"
    is "  and from the local cache" true "$(req $PORT_R1 POST /v1/sentiment '{"text":"redis is gone"}' >/dev/null; jqb .cached)"
    is "  senti_redis_up 0" 0 "$(metric $PORT_R1 senti_redis_up)"
    check "  outage logged" grep -q '"msg":"redis unavailable' "$TMP/R1.log"
    redis_up
    sleep 1.2
    req $PORT_R1 POST /v1/sentiment '{"text":"redis is back"}' >/dev/null
    is "Redis back: senti_redis_up 1" 1 "$(metric $PORT_R1 senti_redis_up)"
    check "  recovery logged" grep -q '"msg":"redis available again' "$TMP/R1.log"
    stop R1
    is "replica 1 exits 0" 0 "$STOP_RC"
    stop R2
    is "replica 2 exits 0" 0 "$STOP_RC"
    kill -TERM "$RPID"
    wait "$RPID" 2>/dev/null
fi

# ---- monitoring: deploy/ against a live server ----------------------------------------------------
if [ -z "$SLOW" ] && have promtool; then
    check "deploy/prometheus.yml is valid" promtool check config deploy/prometheus.yml
    check "deploy/alerts.yml is valid" promtool check rules deploy/alerts.yml
    check "deploy/alerts.yml unit tests (promtool test rules)" promtool test rules deploy/alerts_test.yml
fi
if [ -z "$SLOW" ]; then
    curl -s "http://127.0.0.1:$PORT_A/metrics" > "$TMP/live.prom"
    check "every dashboard and alert query uses exported metrics" \
        python3 deploy/check_queries.py "$TMP/live.prom" deploy/grafana-dashboard.json deploy/alerts.yml
fi
if [ -z "$SLOW" ] && have prometheus; then
    PP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > "$TMP/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: senti
    static_configs: [{targets: ["127.0.0.1:$PORT_A"]}]
EOF
    prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/promdata" \
        --web.listen-address="127.0.0.1:$PP" --log.level=warn > "$TMP/prom.log" 2>&1 &
    PIDS+=("$!")
    prom=$!
    got=""
    for _ in $(seq 1 60); do
        sleep 0.5
        got=$(curl -s --max-time 2 "http://127.0.0.1:$PP/api/v1/query" \
            --data-urlencode 'query=senti_model_info{job="senti"}' | jq -r '.data.result[0].metric.kind // empty' 2>/dev/null)
        [ -n "$got" ] && break
    done
    is "Prometheus scrapes senti and returns senti_model_info" linear "$got"
    kill -TERM "$prom" 2>/dev/null
    wait "$prom" 2>/dev/null
fi

# ---- valgrind: a short server run with every kind of request, a reload and a drain ----------------
if [ -z "$SLOW" ] && have valgrind; then
    rm -f "$TMP/VG.port"
    cp "$TMP/full.st" "$TMP/vg.st"
    valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect "$SENTI" serve --port 0 --port-file "$TMP/VG.port" \
        --log "$TMP/VG.log" --threads 2 --model "$TMP/vg.st" --max-body 64k --request-timeout 3s \
        --rate 1000 --burst 1000 > "$TMP/vg.out" 2>&1 &
    VGPID=$!
    PIDS+=("$VGPID")
    for _ in $(seq 1 300); do [ -s "$TMP/VG.port" ] && break; sleep 0.05; done
    VP=$(cat "$TMP/VG.port" 2>/dev/null || echo 1)
    codes="$(req $VP POST /v1/sentiment '{"text":"valgrind likes this"}')"
    codes="$codes $(req $VP POST /v1/sentiment '{"text":"valgrind likes this"}')"
    codes="$codes $(req $VP POST /v1/sentiment/batch '{"items":[{"id":1,"text":"a"},{"id":"b","text":"b"}]}')"
    codes="$codes $(req $VP POST /v1/sentiment '{"text":')"
    codes="$codes $(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMP/big.json" "http://127.0.0.1:$VP/v1/sentiment")"
    codes="$codes $(req $VP GET /v1/models) $(req $VP GET /metrics) $(req $VP GET /nothing)"
    kill -HUP "$VGPID"
    for _ in $(seq 1 100); do grep -q '"msg":"model reloaded"' "$TMP/VG.log" && break; sleep 0.1; done
    $PY tests/serve_client.py "$VP" trickle-body 6 > /dev/null &
    tb=$!
    codes="$codes $(req $VP POST /v1/sentiment '{"text":"after the reload"}')"
    wait $tb
    is "valgrind run: every answer as expected" "200 200 200 400 413 200 200 404 200" "$codes"
    kill -TERM "$VGPID"
    wait "$VGPID"
    is "valgrind: server exits 0, no memory errors, no leaks" 0 "$?"
    [ -s "$TMP/vg.out" ] && head -n 30 "$TMP/vg.out"
fi

stop A
is "server A drains and exits 0" 0 "$STOP_RC"
finish
