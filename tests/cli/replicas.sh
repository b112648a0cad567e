#!/usr/bin/env bash
# The service as replicas: three `senti serve` processes behind nginx (deploy/nginx-senti.conf,
# filled in by deploy/replicas.py with loopback ports chosen here), sharing a Redis cache,
# scraped by Prometheus (deploy/prometheus.yml, same generator), with wrk driving load
# through nginx (bench/wrk_count.lua counts every answer that is not 2xx). Checks:
#   requests/s and p99 with 1, 2 and 3 replicas (printed; BENCH_SECONDS, default 3 each; not
#   under SANITIZED)
#   no failed request while a replica is killed with SIGKILL and started again
#   no failed request while every replica in turn is stopped with SIGTERM (drain) and started
#   a response cached by one replica is a hit on the others (through Redis)
#   Redis stopped under load: no failed request, senti_redis_up 0 on every replica, answers
#   from the local cache; Redis back: senti_redis_up 1
#   request ids flow from nginx (the client's X-Request-Id, or nginx's $request_id) to the
#   replica's access log and back in the response
#   Prometheus scrapes every replica
# Under SANITIZED=1 the same runs against the ASan+UBSan build.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

for c in nginx redis-server redis-cli wrk curl jq python3; do
    if ! have $c; then
        echo "the replica tests need nginx, redis-server, wrk, curl, jq, python3 (make deps-test)"
        not_ok "$c installed"
        finish
        exit 1
    fi
done
BENCH_SECONDS=${BENCH_SECONDS:-3} # wrk seconds per measurement; NGINX_WORKERS (default 1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TEXTS=$DATA/sst2/dev.tsv
if [ ! -f "$TEXTS" ]; then # any varied texts will do
    TEXTS=$TMP/texts.txt
    for i in $(seq 1 500); do echo "a sentence number $i, good or bad or neither"; done > "$TEXTS"
fi
metric() { curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3'"; fi; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@"; }

# ---- Redis, three replicas, nginx, Prometheus ----------------------------------------------------
RP=$(free_port)
redis_up() {
    redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no > "$TMP/redis.log" 2>&1 &
    RPID=$!
    PIDS+=("$RPID")
    for _ in $(seq 1 100); do
        redis-cli -p "$RP" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    return 1
}
check "Redis starts" redis_up

N=3
declare -a PORT PID GEN
for i in 1 2 3; do PORT[$i]=$(free_port); GEN[$i]=0; done
# start_replica I: start replica I on its port (a new log file each time); 0 once /readyz is 200
start_replica() {
    local i=$1
    GEN[$i]=$((GEN[$i] + 1))
    "$SENTI" serve --host 127.0.0.1 --port "${PORT[$i]}" --threads 1 --redis "redis://127.0.0.1:$RP" \
        --proxy-header X-Forwarded-For --drain-timeout 15s --log "$TMP/r$i.${GEN[$i]}.log" \
        2>"$TMP/r$i.${GEN[$i]}.err" &
    PID[$i]=$!
    PIDS+=("${PID[$i]}")
    for _ in $(seq 1 200); do
        [ "$(code "http://127.0.0.1:${PORT[$i]}/readyz")" = 200 ] && return 0
        kill -0 "${PID[$i]}" 2>/dev/null || break
        sleep 0.05
    done
    cat "$TMP/r$i.${GEN[$i]}.err"
    return 1
}
for i in 1 2 3; do check "replica $i starts (port ${PORT[$i]})" start_replica $i; done

NP=$(free_port)
NG=$TMP/nginx
USER_ARG=()
[ "$(id -u)" = 0 ] && USER_ARG=(--user root) # the workers must read the files under $TMP
# gen N: the nginx and Prometheus configuration for the first N replicas
gen() {
    local args=() i
    for i in $(seq 1 "$1"); do args+=(--replica "127.0.0.1:${PORT[$i]}"); done
    python3 deploy/replicas.py --dir "$NG" --listen "127.0.0.1:$NP" --workers "${NGINX_WORKERS:-1}" --scrape-interval 1s \
        "${USER_ARG[@]}" "${args[@]}"
}
check "deploy/replicas.py fills in deploy/nginx-senti.conf and deploy/prometheus.yml" gen $N
check "  nginx accepts it (nginx -t)" nginx -t -q -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log"
have promtool && check "  promtool accepts the Prometheus configuration" promtool check config "$NG/prometheus.yml"
nginx -p "$NG" -c "$NG/nginx.conf" -e "$NG/error.log" -g 'daemon off;' 2>"$TMP/nginx.err" &
NGPID=$!
PIDS+=("$NGPID")
for _ in $(seq 1 100); do [ "$(code "http://127.0.0.1:$NP/readyz")" = 200 ] && break; sleep 0.05; done
is "nginx answers /readyz from the pool" 200 "$(code "http://127.0.0.1:$NP/readyz")"
is "  and keeps /metrics to itself (404)" 404 "$(code "http://127.0.0.1:$NP/metrics")"
if have prometheus; then
    PP=$(free_port)
    prometheus --config.file="$NG/prometheus.yml" --storage.tsdb.path="$TMP/promdata" \
        --web.listen-address="127.0.0.1:$PP" --log.level=warn > "$TMP/prom.log" 2>&1 &
    PROMPID=$!
    PIDS+=("$PROMPID")
fi

# load NAME SECONDS [wrk options]: wrk through nginx in the background (WRK_PID); its
# summary line in $TMP/NAME.wrk. TARGET=PORT: that port instead of nginx's. UNIQUE=1: every text new (WRK_UNIQUE of bench/wrk_sentiment.lua)
load() {
    local name=$1 secs=$2
    shift 2
    WRK_TEXTS=$TEXTS WRK_UNIQUE=${UNIQUE:-0} wrk -t2 -c16 -d"${secs}s" --timeout 5s "$@" -s bench/wrk_count.lua \
        "http://127.0.0.1:${TARGET:-$NP}/" > "$TMP/$name.wrk" 2>&1 &
    WRK_PID=$!
    PIDS+=("$WRK_PID")
}
# field NAME KEY: a value of the wrk-count line of load NAME
field() { grep -oE "\b$2=[^ ]+" "$TMP/$1.wrk" | head -n 1 | cut -d= -f2; }
# no_failures NAME WHAT: every request of load NAME answered 2xx, no socket error
no_failures() {
    local n=$1 line
    line=$(grep '^wrk-count' "$TMP/$n.wrk")
    if [ -n "$line" ] && [ "$(field "$n" responses)" -gt 100 ] && [ "$(field "$n" non2xx)" = 0 ] &&
        [ "$(field "$n" connect)" = 0 ] && [ "$(field "$n" read)" = 0 ] && [ "$(field "$n" write)" = 0 ] &&
        [ "$(field "$n" timeout)" = 0 ]; then
        ok "$2: $(field "$n" responses) requests, 0 failed"
    else
        not_ok "$2" "$(tail -n 5 "$TMP/$n.wrk")"
    fi
}
# retried: requests nginx sent to more than one replica (its access log's upstream has a comma)
retried() { grep -c '"upstream":"[^"]*,' "$NG/access.log"; }
# nginx_failed: answers nginx gave that were not 2xx (nginx logs 499 for a request whose client
# went away first: wrk's own, stopped with SIGINT in the roll drill with requests in flight)
nginx_failed() { grep '"status":[^2]' "$NG/access.log" | grep -vc '"status":499'; }

# ---- throughput with 1, 2 and 3 replicas (2 cores: nginx, wrk and the replicas share them) -------
if [ -z "${SANITIZED:-}" ]; then # (numbers from the sanitized build would mean nothing)
    TARGET=${PORT[1]} load bench0 "$BENCH_SECONDS" --latency
    wait "$WRK_PID"
    echo "# bench straight to one replica (no nginx), same texts, wrk -t2 -c16:" \
        "$(field bench0 rps) requests/s, p50 $(field bench0 p50_ms) ms, p99 $(field bench0 p99_ms) ms"
    for n in 1 2 3; do
        gen $n && kill -HUP "$NGPID"
        sleep 1
        load bench$n "$BENCH_SECONDS" --latency
        wait "$WRK_PID"
        echo "# bench through nginx, $n replica(s), cycled SST-2 texts (cache hits), wrk -t2 -c16:" \
            "$(field bench$n rps) requests/s, p50 $(field bench$n p50_ms) ms, p99 $(field bench$n p99_ms) ms"
        no_failures bench$n "  $n replica(s): no failed request"
    done
fi

# ---- SIGKILL one replica under load, start it again ----------------------------------------------
: > "$NG/access.log"
kill -USR1 "$NGPID" # reopen the log
sleep 0.3
load kill 8 -H "X-Drill: kill"
sleep 2
kill -KILL "${PID[2]}"
wait "${PID[2]}" 2>/dev/null
sleep 2
check "  replica 2 starts again on its port" start_replica 2
wait "$WRK_PID"
no_failures kill "SIGKILL of a replica under load, then restart"
echo "# kill drill: nginx retried $(retried) request(s) on another replica; nginx answered $(nginx_failed) non-2xx"
is "  nginx answered nothing but 2xx" 0 "$(nginx_failed)"
check "  the restarted replica takes traffic again" \
    bash -c "grep -c '\"msg\":\"request\"' '$TMP/r2.${GEN[2]}.log' | awk '{exit !(\$1 > 10)}'"

# ---- roll every replica: SIGTERM (drain), wait for its exit, start it, wait for /readyz ----------
: > "$NG/access.log"
kill -USR1 "$NGPID"
sleep 0.3
load roll 120 -H "X-Drill: roll"
sleep 1
roll_ok=1
for i in 1 2 3; do
    t0=$(date +%s.%N)
    kill -TERM "${PID[$i]}"
    wait "${PID[$i]}"
    rc=$?
    t1=$(date +%s.%N)
    echo "# roll: replica $i drained and exited $rc in $(python3 -c "print('%.1f' % ($t1 - $t0))") s"
    [ $rc = 0 ] || roll_ok=0
    grep -q '"msg":"stopped","requests_abandoned":0' "$TMP/r$i.${GEN[$i]}.log" || roll_ok=0
    start_replica $i || roll_ok=0
    sleep 2.5 # nginx's fail_timeout: the new replica is back in the pool before the next one goes
done
kill -INT "$WRK_PID"
wait "$WRK_PID"
is "  every replica drained (exit 0, nothing abandoned) and came back ready" 1 "$roll_ok"
no_failures roll "rolling SIGTERM restart of all 3 replicas under load"
echo "# roll drill: nginx retried $(retried) request(s) on another replica; nginx answered $(nginx_failed) non-2xx" \
    "(and logged $(grep -c '"status":499' "$NG/access.log") 499 for wrk's requests cut by its SIGINT)"
is "  nginx answered nothing but 2xx" 0 "$(nginx_failed)"

# ---- one replica's answer is a hit on the others (Redis) -----------------------------------------
hits() { local s=0 i; for i in 1 2 3; do s=$((s + $(metric "${PORT[$i]}" senti_redis_hits_total))); done; echo $s; }
h0=$(hits)
body="{\"text\":\"shared by the replicas $RANDOM$RANDOM\"}"
curl -s -D "$TMP/shared.h" -H 'Content-Type: application/json' -H 'X-Request-Id: replicas-shared-1' \
    -d "$body" "http://127.0.0.1:$NP/v1/sentiment" > "$TMP/shared.json"
is "a new text through nginx is scored (cached false)" false "$(jq -r .cached "$TMP/shared.json")"
c=""
for i in 1 2 3; do
    c="$c$(curl -s -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:${PORT[$i]}/v1/sentiment" | jq -r .cached) "
done
is "  then cached on every replica (its own cache or Redis)" "true true true " "$c"
is "  two Redis hits (the replicas that did not score it)" 2 "$(($(hits) - h0))"

# ---- request ids: client's or nginx's, in nginx's log, the replica's log and the response -------
is "the client's X-Request-Id comes back" replicas-shared-1 \
    "$(awk -F': ' 'tolower($1) == "x-request-id" {print $2}' "$TMP/shared.h" | tr -d '\r')"
check "  nginx logged it" grep -q '"request_id":"replicas-shared-1"' "$NG/access.log"
check "  exactly one replica logged it" \
    bash -c "test \$(cat $TMP/r*.log | grep -c '\"request_id\":\"replicas-shared-1\"') = 1"
rid=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -d '{"text":"no id of mine"}' \
    "http://127.0.0.1:$NP/v1/sentiment" | awk -F': ' 'tolower($1) == "x-request-id" {print $2}' | tr -d '\r')
check "without one, nginx's \$request_id (32 hex digits) comes back" bash -c "[[ '$rid' =~ ^[0-9a-f]{32}\$ ]]"
check "  and is in nginx's log and a replica's" \
    bash -c "grep -q '\"request_id\":\"$rid\"' '$NG/access.log' && cat $TMP/r*.log | grep -q '\"request_id\":\"$rid\"'"

# ---- Redis down under load (every text new: each request asks Redis), then back -----------------
UNIQUE=1 load redis 7 -H "X-Drill: redis"
sleep 1.5
kill -TERM "$RPID"
wait "$RPID" 2>/dev/null
sleep 2
up=""
for i in 1 2 3; do up="$up$(metric "${PORT[$i]}" senti_redis_up)"; done
is "Redis stopped: senti_redis_up 0 on every replica" 000 "$up"
is "  a new text is still scored" 200 \
    "$(code -H 'Content-Type: application/json' -d '{"text":"while redis is away"}' "http://127.0.0.1:${PORT[1]}/v1/sentiment")"
is "  and then answered from the local cache" true \
    "$(curl -s -H 'Content-Type: application/json' -d '{"text":"while redis is away"}' "http://127.0.0.1:${PORT[1]}/v1/sentiment" | jq -r .cached)"
check "Redis starts again" redis_up
sleep 2 # replicas retry Redis one second after a failure; wrk keeps asking
up=""
for i in 1 2 3; do up="$up$(metric "${PORT[$i]}" senti_redis_up)"; done
is "  senti_redis_up 1 on every replica" 111 "$up"
wait "$WRK_PID"
no_failures redis "Redis stopped and started again under load"
check "  outage and recovery logged" bash -c \
    "cat $TMP/r1.*.log | grep -q 'redis unavailable' && cat $TMP/r1.*.log | grep -q 'redis available again'"

# ---- Prometheus: one target per replica, all up ---------------------------------------------------
if [ -n "${PROMPID:-}" ]; then
    # promq QUERY: the value of a one-element answer
    promq() {
        curl -s --max-time 2 "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
            jq -r '.data.result[0].value[1] // empty' 2>/dev/null
    }
    got=""
    for _ in $(seq 1 40); do
        got="$(promq 'count(up{job="senti"} == 1)') $(promq 'count(senti_redis_up{job="senti"} == 1)')"
        [ "$got" = "3 3" ] && break
        sleep 0.5
    done
    is "Prometheus scrapes all 3 replicas: up, and senti_redis_up 1" "3 3" "$got"
    kill -TERM "$PROMPID"
    wait "$PROMPID" 2>/dev/null
fi

# ---- stop: nginx gracefully, each replica drains and exits 0 --------------------------------------
kill -QUIT "$NGPID"
wait "$NGPID"
is "nginx stops" 0 "$?"
for i in 1 2 3; do
    kill -TERM "${PID[$i]}"
    wait "${PID[$i]}"
    is "replica $i drains and exits 0" 0 "$?"
done
kill -TERM "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
finish
