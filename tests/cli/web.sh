#!/usr/bin/env bash
# The web page of `senti serve` (GET /, src/serve/web/): its endpoints and headers with curl,
# then the page itself in a real browser (tests/web/web.test.mjs: Debian's chromium, headless,
# driven by playwright-core from tests/web/node_modules): Try's label and highlighted words
# read from the DOM, the file flow's download against `senti batch` byte for byte, the Watch
# charts after requests, no request to another host, no console error, screenshots in
# build/web/. The browser part skips, saying why, where node, playwright-core or chromium is
# missing or chromium cannot start.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

. tests/serve_lib.sh

# stop_checked NAME: SIGTERM; passes when the server exits 0 (under ASan: no leak, no error)
stop_checked() {
    stop "$1"
    local rc=$STOP_RC
    if [ "$rc" -eq 0 ]; then ok "server $1 exits 0 on SIGTERM"; else not_ok "server $1 exits 0 on SIGTERM" "exit $rc: $(tail -c 600 "$TMP/$1.err")"; fi
}
# code URL [curl args]: the status code; body in $TMP/body, headers in $TMP/hdr
code() {
    local url=$1
    shift
    curl -s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' --max-time 20 "$@" "$url"
}
hdr() { grep -i "^$1:" "$TMP/hdr" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
explain() { code "$1/v1/explain" -X POST -H 'Content-Type: application/json' --data-binary "$2"; }

if ! command -v curl >/dev/null || ! command -v jq >/dev/null; then
    not_ok "curl and jq installed (make deps-test)"
    finish
    exit 1
fi

# ---- the endpoints, with curl ------------------------------------------------------------
start main --rate 200 --burst 200 || { finish; exit 1; }
U=http://127.0.0.1:$PORT_main
is "GET / answers 200" 200 "$(code "$U/")"
is "GET / is HTML" "text/html; charset=utf-8" "$(hdr Content-Type)"
check "GET / sends a Content-Security-Policy with default-src 'none'" grep -qi "^Content-Security-Policy: default-src 'none'" "$TMP/hdr"
check "GET / sends nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$TMP/hdr"
etag=$(hdr ETag)
check "GET / has an ETag" test -n "$etag"
is "GET / with If-None-Match: its ETag answers 304" 304 "$(code "$U/" -H "If-None-Match: $etag")"
is "GET / with a weak or listed ETag answers 304" 304 "$(code "$U/" -H "If-None-Match: \"x\", W/$etag")"
is "GET / with another ETag answers 200" 200 "$(code "$U/" -H 'If-None-Match: "0123456789abcdef"')"
is "GET /index.html is the page too" 200 "$(code "$U/index.html")"
is "HEAD / answers 200" 200 "$(code "$U/" -I)"
cmp -s <(curl -s "$U/") src/serve/web/index.html && ok "GET / is index.html as built in" || not_ok "GET / is index.html as built in"
is "GET /app.js is JavaScript" "text/javascript; charset=utf-8" "$(code "$U/app.js" >/dev/null; hdr Content-Type)"
is "GET /app.css is CSS" "text/css; charset=utf-8" "$(code "$U/app.css" >/dev/null; hdr Content-Type)"
is "GET /icon.svg is SVG" "image/svg+xml" "$(code "$U/icon.svg" >/dev/null; hdr Content-Type)"
is "POST / answers 405" 405 "$(code "$U/" -X POST)"
is "an unknown path is still 404" 404 "$(code "$U/nope.js")"

is "POST /v1/explain answers 200" 200 "$(explain "$U" '{"text":"a wonderful film"}')"
is "explain: the label" positive "$(jq -r .label "$TMP/body")"
is "explain: contributions add up to the score's logit side (the bias is first)" bias "$(jq -r '.contributions[0].order' "$TMP/body")"
is "explain: the word 'wonderful' (bytes 2-11) pulls towards positive" true \
    "$(jq '[.contributions[] | select(.order == 1 and .start == 2 and .end == 11)][0].weights.positive > 0' "$TMP/body")"
is "explain: a body that is not JSON is 400" 400 "$(explain "$U" '{"text":')"
is "explain: no text is 400" 400 "$(explain "$U" '{}')"
is "explain: wrong content type is 415" 415 "$(code "$U/v1/explain" -X POST -H 'Content-Type: text/plain' --data-binary '{"text":"x"}')"
is "GET /v1/explain is 405" 405 "$(code "$U/v1/explain")"
is "GET /v1/stats answers 200" 200 "$(code "$U/v1/stats")"
is "stats: counts explain requests" true "$(jq '.requests["/v1/explain"].total >= 1 and (.latency.counts | length) == (.latency.bounds | length) + 1' "$TMP/body")"

# the page's calls get the limits of any client: body size and rate
start small --max-body 1k --rate 1 --burst 2 || { finish; exit 1; }
S=http://127.0.0.1:$PORT_small
big=$(head -c 3000 /dev/zero | tr '\0' a)
is "explain: a body over --max-body is 413" 413 "$(explain "$S" "{\"text\":\"$big\"}")"
explain "$S" '{"text":"x"}' >/dev/null; explain "$S" '{"text":"x"}' >/dev/null
is "explain: over --rate is 429" 429 "$(explain "$S" '{"text":"x"}')"
is "the page itself is not rate limited" 200 "$(code "$S/")"
stop_checked small

start noui --no-ui || { finish; exit 1; }
N=http://127.0.0.1:$PORT_noui
is "--no-ui: GET / is 404" 404 "$(code "$N/")"
is "--no-ui: GET /app.js is 404" 404 "$(code "$N/app.js")"
is "--no-ui: the API still answers" 200 "$(code "$N/v1/sentiment" -X POST -H 'Content-Type: application/json' -d '{"text":"fine"}')"
stop_checked noui
check "--help lists --no-ui" sh -c "'$SENTI' serve --help | grep -q -- '--no-ui'"

# ---- the page, in a browser --------------------------------------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
skip=""
if ! command -v node >/dev/null; then skip="node is not installed (apt-get install nodejs npm)"
elif [ ! -x "$CHROMIUM" ]; then skip="no chromium at $CHROMIUM (apt-get install chromium)"
elif [ ! -d tests/web/node_modules/playwright-core ] &&
     ! (cd tests/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >"$TMP/npm.log" 2>&1); then
    skip="playwright-core could not be installed (cd tests/web && npm ci): $(tail -n 2 "$TMP/npm.log" | tr '\n' ' ')"
fi
if [ -n "$skip" ]; then
    echo "browser tests skipped: $skip"
else
    # small files with what senti batch has rules for: CSV quotes, commas, a quoted line break,
    # CRLF, non-ASCII text, a record with the wrong number of fields; TSV with a result name
    # already a column (pred_label) and a CR inside a record; JSONL with a clashing member, an
    # object without text and an empty line; plain lines with an empty line and no final newline
    W=$TMP/files
    mkdir -p "$W"
    printf 'id,text,stars\n1,"what a wonderful, moving film",5\n2,a dull lifeless mess,1\r\n3,"she said ""meh""\nand left", 3\n4,only two fields\n5,Très bien · 素晴らしい,4\n6,,\n' > "$W/reviews.csv"
    printf 'text\tlabel\ngreat fun\t1\nawful\rboring\t0\n\ttab first\n' > "$W/reviews.tsv"
    printf '{"id":1,"text":"lovely","label":"x"}\n{"review":"not good at all"}\n{"title":"no text"}\n\n{}\n{"text":"émoji 😀"}\n' > "$W/reviews.jsonl"
    printf 'what a wonderful film\r\n\nawful\nok I guess' > "$W/reviews.txt"
    FILES=""
    for f in reviews.csv reviews.tsv reviews.jsonl reviews.txt; do
        "$SENTI" batch "$W/$f" -o "$W/expected-$f" 2>>"$TMP/batch.err"
        FILES="$FILES $W/$f=$W/expected-$f"
    done
    printf 'id,body\n1,great fun\n2,awful\n' > "$W/notext.csv"
    "$SENTI" batch "$W/notext.csv" --text-col body -o "$W/expected-notext.csv" 2>>"$TMP/batch.err"
    mkdir -p build/web
    BASE=$U CHROMIUM=$CHROMIUM FILES=$FILES NOTEXT=$W/notext.csv=$W/expected-notext.csv OUT=build/web \
        timeout 120 node tests/web/web.test.mjs >"$TMP/browser.out" 2>&1
    rc=$?
    # a model with values of its own (VADER's neg, neu, pos, compound: more result columns)
    if [ "$rc" -ne 77 ] && [ -f "$DATA/vader/vader_lexicon.txt" ] && start vader --model "vader:$DATA/vader"; then
        printf 'id,text,compound\n1,"I LOVE it :)",x\n2,this is awful,y\n' > "$W/vader.csv"
        "$SENTI" batch --model "vader:$DATA/vader" "$W/vader.csv" -o "$W/expected-vader.csv" 2>>"$TMP/batch.err"
        BASE=http://127.0.0.1:$PORT_vader CHROMIUM=$CHROMIUM ONLY_FILES=1 FILES="$W/vader.csv=$W/expected-vader.csv" \
            OUT=build/web/vader timeout 60 node tests/web/web.test.mjs >>"$TMP/browser.out" 2>&1 || rc=$?
        stop_checked vader
    fi
    if [ "$rc" -eq 77 ]; then
        echo "browser tests skipped: $(head -n 1 "$TMP/browser.out")"
    else
        cat "$TMP/browser.out"
        PASS=$((PASS + $(grep -c '^ok - ' "$TMP/browser.out")))
        FAIL=$((FAIL + $(grep -c '^not ok - ' "$TMP/browser.out")))
        [ "$rc" -eq 0 ] || not_ok "the browser test ran to its end" "exit $rc: $(tail -n 5 "$TMP/browser.out")"
        echo "screenshots: build/web/try.png file.png watch.png phone.png readme.png"
    fi
fi
stop_checked main
finish
