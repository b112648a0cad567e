#!/usr/bin/env bash
# Runs the test suites and prints one summary line "N passed, N failed" at the end.
#   tests/run.sh              every suite: unit tests (build/), the same under ASan+UBSan
#                             (build-san/), the fuzz targets over their seeds, the CLI
#                             integration scripts in tests/cli/ against both binaries,
#                             valgrind memcheck over the CLI, and the include-circle check
#   tests/run.sh SUITE...     only the named suites: unit, fuzz, valgrind, include-check, or a
#                             script of tests/cli/ by name (core, batch, serve, ...), or python
#                             (the Python package's pytest suite; `make python` builds it)
# Environment: DATA (../shared/data), SKIP_SAN=1, SKIP_VALGRIND=1 to leave suites out,
# SENTI_QUICK=1 to leave out the slowest single checks (the default model's rebuild).
set -u
cd "$(dirname "$0")/.."
export DATA=${DATA:-../shared/data}
export SENTI_DATA_DIR=$DATA
total_pass=0
total_fail=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# run NAME CMD...: run a suite, echo its output, add its "N passed, N failed" line
run() {
    local name=$1
    shift
    echo "== $name"
    local start=$SECONDS
    "$@" >"$log/out" 2>&1
    local rc=$?
    cat "$log/out"
    local line
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "!! $name printed no summary (exit $rc)"
        total_fail=$((total_fail + 1))
        return
    fi
    local p f
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $name exited $rc"
        f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    echo "-- $name: $p passed, $f failed ($((SECONDS - start)) s)"
}

# wanted NAME: no SUITE arguments, or NAME is one of them
wanted() {
    [ ${#SUITES[@]} -eq 0 ] && return 0
    local s
    for s in "${SUITES[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}
SUITES=("$@")
for s in "${SUITES[@]}"; do
    case $s in
    unit | fuzz | valgrind | include-check | python) ;;
    *) [ -f "tests/cli/$s.sh" ] || { echo "tests/run.sh: no suite '$s'" >&2; exit 2; } ;;
    esac
done

wanted unit && run "unit" build/test_unit
if wanted unit && [ "${SKIP_SAN:-0}" != 1 ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    run "unit (ASan+UBSan)" build-san/test_unit
fi
fuzz_replay() { # the fuzz targets over the seeds and their kept corpus, under ASan+UBSan
    local pass=0 fail=0 f t
    for f in build-san/fuzz-replay-*; do
        t=${f#build-san/fuzz-replay-}
        if "$f" tests/fuzz/seeds/* $(find "tests/fuzz/corpus/$t" -type f 2>/dev/null); then
            pass=$((pass + 1))
        else
            fail=$((fail + 1)); echo "not ok - $f"
        fi
    done
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
wanted fuzz && [ "${SKIP_SAN:-0}" != 1 ] && run "fuzz targets over the seed corpus (ASan+UBSan)" fuzz_replay
for t in tests/cli/*.sh; do
    wanted "$(basename "$t" .sh)" || continue
    run "cli $(basename "$t" .sh)" env SENTI=build/senti bash "$t"
    if [ "${SKIP_SAN:-0}" != 1 ]; then
        run "cli $(basename "$t" .sh) (ASan+UBSan)" env SENTI=build-san/senti SANITIZED=1 bash "$t"
    fi
done
wanted include-check && run "include circles" python3 tools/include-graph.py --check src
# the Python package (python/tests; conftest.py prints the summary line), with Debian's python3;
# then built against the sanitized library (make SANITIZE=address,undefined python), the
# sanitizer runtimes preloaded (Python itself is not instrumented: leak detection off)
pytest_cmd=(/usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests)
wanted python && run "python" env PYTHONPATH=build/python "${pytest_cmd[@]}"
if wanted python && [ "${SKIP_SAN:-0}" != 1 ]; then
    run "python (ASan+UBSan)" env SANITIZED=1 PYTHONPATH=build-san/python \
        LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
        ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "${pytest_cmd[@]}"
fi
if wanted valgrind && [ "${SKIP_VALGRIND:-0}" != 1 ]; then
    run "valgrind" bash tests/valgrind.sh
fi
echo
echo "tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
