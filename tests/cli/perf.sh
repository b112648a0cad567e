#!/usr/bin/env bash
# Performance tooling tests: `senti bench` (a smoke run: it works, writes its files, and its
# table has the four components; wall-clock numbers are never asserted) and the CI performance
# gate (instruction counts of fixed workloads under callgrind against bench/baseline.json,
# tolerance +5%: tools/perf-gate.py). The gate is skipped for the sanitized binary, which
# valgrind cannot run.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

expect_status "bench --help exits 0" 0 "$SENTI" bench --help
expect_status "bench: unknown option exits 2" 2 "$SENTI" bench --bogus
expect_status "bench: unknown section exits 2" 2 "$SENTI" bench --only nothing
expect_status "bench: unknown workload exits 2" 2 "$SENTI" bench --workload nothing
expect_status "bench: missing data file exits 1" 1 "$SENTI" bench --data /nonexistent --out -

# a smoke run of the table sections (quick, 1 run)
"$SENTI" bench --quick --runs 1 --only load,single,batch,memory --data "$DATA/sst2/dev.tsv" \
    --out "$TMP/b" > "$TMP/bench.txt" 2> "$TMP/bench.err"
check "bench --quick exits 0" test $? -eq 0
for c in "Model loading" "Single prediction" "Batch of 100" "Memory"; do
    check "bench table has '$c'" grep -q "^| $c | " "$TMP/bench.txt"
done
check "bench wrote JSON that parses" python3 -c "import json,sys; d=json.load(open('$TMP/b/bench.json')); assert len(d['table'])==4 and d['single']['p99']>0"
check "bench wrote CSV" grep -q '^single,p99,' "$TMP/b/bench.csv"
check "bench wrote latency plot data" test -s "$TMP/b/latency_cdf.dat"
check "bench reports the library's heap accounting" grep -q "library heap: current" "$TMP/bench.txt"
"$SENTI" bench --quick --runs 1 --only threads,length --threads 2 --json --out - \
    --data "$DATA/sst2/dev.tsv" > "$TMP/sweep.json" 2>&1
check "bench threads/length sweep: JSON on stdout" python3 -c "import json; d=json.load(open('$TMP/sweep.json')); assert [r['threads'] for r in d['threads']['rows']]==[1,2] and len(d['length'])==10"
if [ -d "$DATA/vader" ]; then
    check "bench --model vader" "$SENTI" bench --quick --runs 1 --only load,single --out - \
        --model "vader:$DATA/vader" --data "$DATA/sst2/dev.tsv"
fi
for w in load single batch1000; do
    check "bench --workload $w" "$SENTI" bench --workload $w --data "$DATA/sst2/dev.tsv"
done

# the instruction-count gate
if [ "${SANITIZED:-0}" = 1 ]; then
    ok "perf gate: skipped for the sanitized binary (valgrind cannot run ASan builds)"
elif ! command -v valgrind > /dev/null; then
    not_ok "perf gate: valgrind is not installed"
else
    python3 tools/perf-gate.py --senti "$SENTI" --data "$DATA/sst2/dev.tsv" --tap > "$TMP/gate.txt" 2>&1
    rc=$?
    sed -n '1,/^$/p' "$TMP/gate.txt"
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok "${line#ok - }" ;;
        "not ok - "*) not_ok "${line#not ok - }" ;;
        esac
    done < "$TMP/gate.txt"
    [ $rc -eq 2 ] && not_ok "perf gate could not measure" "$(tail -n 5 "$TMP/gate.txt")"
fi
finish
