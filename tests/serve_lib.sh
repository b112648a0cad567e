# Shared by the service's test suites (tests/cli/serve.sh, tests/cli/serve_batch.sh), sourced
# after tests/lib.sh: servers on ephemeral loopback ports, requests with curl, metrics.

# start NAME ARGS...: start a server on an ephemeral port; sets PORT_NAME, PID_NAME
start() {
    local name=$1
    shift
    rm -f "$TMP/$name.port"
    "$SENTI" serve --host 127.0.0.1 --port 0 --port-file "$TMP/$name.port" --log "$TMP/$name.log" "$@" \
        2>"$TMP/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    eval "PID_$name=$pid"
    for _ in $(seq 1 200); do
        [ -s "$TMP/$name.port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$TMP/$name.port" ]; then
        not_ok "server $name starts" "$(head -c 600 "$TMP/$name.err")"
        eval "PORT_$name=1"
        return 1
    fi
    eval "PORT_$name=$(cat "$TMP/$name.port")"
}
# stop NAME: SIGTERM and wait; the exit status in STOP_RC
stop() {
    local pid
    eval "pid=\$PID_$1"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    STOP_RC=$?
}
# stop_within NAME SECONDS: SIGTERM, then SIGKILL if still running after SECONDS; the exit
# status in STOP_RC (137 when it had to be killed)
stop_within() {
    local pid
    eval "pid=\$PID_$1"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $(($2 * 20))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    STOP_RC=$?
}
# req PORT METHOD PATH [BODY] [curl args...]: status code on stdout, body in $TMP/body, headers in $TMP/hdr
req() {
    local port=$1 method=$2 path=$3 body=${4-}
    shift 3
    [ $# -gt 0 ] && shift
    if [ "$method" = POST ]; then
        printf '%s' "$body" | curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --max-time 20 \
            -X POST -H 'Content-Type: application/json' --data-binary @- "$@" "http://127.0.0.1:$port$path"
    else
        curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --max-time 20 -X "$method" "$@" \
            "http://127.0.0.1:$port$path"
    fi
}
# is NAME WANT GOT
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$2', got '$3': $(head -c 300 "$TMP/body" 2>/dev/null)"; fi; }
jqb() { jq -r "$1" "$TMP/body" 2>/dev/null; }
metric() { # metric PORT NAME_WITH_LABELS: the value, or empty
    curl -s --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}
# wait_inflight PORT N: until the server has N requests in flight (besides the scrape), max 10 s
wait_inflight() {
    for _ in $(seq 1 200); do
        [ "$(metric "$1" senti_http_requests_in_flight)" -ge $(($2 + 1)) ] 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
# swap_reloads PID GAP: six reloads GAP seconds apart, the model file $TMP/model.st replaced
# by rename with $TMP/small.st and $TMP/full.st in turn before each SIGHUP
swap_reloads() {
    for i in 1 2 3 4 5 6; do
        sleep "$2"
        if [ $((i % 2)) -eq 1 ]; then cp "$TMP/small.st" "$TMP/next.st"; else cp "$TMP/full.st" "$TMP/next.st"; fi
        mv "$TMP/next.st" "$TMP/model.st"
        kill -HUP "$1"
    done
}
gen_of() { req "$1" GET /v1/models >/dev/null; jqb '.models[0].generation'; }
until_gen() { # until_gen PORT G: wait (max 10 s) until the model generation is at least G
    for _ in $(seq 1 200); do [ "$(gen_of "$1")" -ge "$2" ] 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
