# Shared helpers for the CLI test scripts (sourced). Each check prints "ok - NAME" or
# "not ok - NAME"; finish prints "N passed, N failed" and sets the exit status.
SENTI=${SENTI:-build/senti}
DATA=${DATA:-../shared/data}
PASS=0
FAIL=0
TMP=$(mktemp -d)
# PIDS: background processes a script started (servers, load generators), killed at exit
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
# have CMD: CMD is on PATH
have() { command -v "$1" >/dev/null 2>&1; }

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && printf '    %s\n' "$2"; }
# check NAME CMD...: passes when CMD succeeds
check() { local n=$1; shift; if "$@" >"$TMP/check.out" 2>&1; then ok "$n"; else not_ok "$n" "$(head -c 600 "$TMP/check.out")"; fi; }
# expect_status NAME STATUS CMD...: passes when CMD exits with STATUS
expect_status() {
    local n=$1 want=$2; shift 2
    "$@" >"$TMP/status.out" 2>&1
    local got=$?
    if [ "$got" -eq "$want" ]; then ok "$n"; else not_ok "$n" "exit $got, expected $want: $(head -c 400 "$TMP/status.out")"; fi
}
# same NAME FILE_A FILE_B
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3" | head -n 10)"; fi; }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" -eq 0 ]; }
