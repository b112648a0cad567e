# bench/lib.sh - pieces the benchmark and profiling scripts share (sourced, bash).
#   bench/fasttext.sh, bench/peers.sh, tools/profile-cpu.sh, tools/profile-memory.sh
# Expects DATA (../shared/data) and SENTI (build/senti); sets W, the work folder.

DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
W=${W:-build/bench/work}
mkdir -p "$W"

ns() { date +%s%N; }

# bench_data: the SST-2 data in the forms the tools read, in $W (made once):
#   dev.txt     the 872 dev sentences, one per line
#   N.txt       dev.txt repeated to N lines (bench_lines N)
#   train.ft    dev.ft  fastText's __label__ format
bench_data() {
    if [ ! -s "$W/dev.txt" ] || [ "$DATA/sst2/dev.tsv" -nt "$W/dev.txt" ]; then
        tail -n +2 "$DATA/sst2/train.tsv" | awk -F'\t' '{print "__label__" $1 " " $2}' > "$W/train.ft"
        tail -n +2 "$DATA/sst2/dev.tsv" | awk -F'\t' '{print "__label__" $1 " " $2}' > "$W/dev.ft"
        cut -f2 "$DATA/sst2/dev.tsv" | tail -n +2 > "$W/dev.txt"
    fi
}

# bench_lines N: print the path of $W/N.txt, the dev sentences repeated to N lines
bench_lines() {
    local n=$1 f="$W/$1.txt"
    bench_data
    if [ ! -s "$f" ] || [ "$(wc -l < "$f")" -ne "$n" ]; then
        awk -v n="$n" '{ l[NR] = $0 } END { for (i = 0; i < n; i++) print l[i % NR + 1] }' \
            "$W/dev.txt" > "$f"
    fi
    echo "$f"
}

# model_kind SPEC: the kind of model SPEC (linear, vader, transformer; `senti model info`)
model_kind() {
    "$SENTI" model info "$1" 2> /dev/null | awk -F'\t' '$1 == "kind" { print $2; exit }'
}

# texts_per_s SPEC: texts a second that `senti batch --model SPEC --threads 1` scores on the
# SST-2 dev sentences, process start and model load included. Probes 64, 256, ... lines until
# one run takes half a second or 65,536 lines, so a slow transformer costs about a second
# and the linear model a few milliseconds.
texts_per_s() {
    local n=64 t=0 f
    while :; do
        f=$(bench_lines "$n")
        t=$(best_ns 1 "$SENTI" batch "$f" -o /dev/null --threads 1 -q --model "$1")
        if [ "$t" -ge 500000000 ] || [ "$n" -ge 65536 ]; then break; fi
        n=$((n * 4))
    done
    echo $((n * 1000000000 / (t > 0 ? t : 1)))
}

# lines_for RATE SECONDS CAP: the lines that take about SECONDS at RATE texts/s, at most
# CAP and at least 16
lines_for() {
    awk -v r="$1" -v s="$2" -v c="$3" 'BEGIN { n = int(r * s); if (n > c) n = c; if (n < 16) n = 16; print n }'
}

# best_ns RUNS CMD...: the best wall time (ns) of RUNS runs of CMD (output discarded)
best_ns() {
    local runs=$1; shift
    local bt=0 t0 t1
    for _ in $(seq "$runs"); do
        t0=$(ns); "$@" > /dev/null 2>&1; t1=$(ns)
        if [ "$bt" = 0 ] || [ $((t1 - t0)) -lt "$bt" ]; then bt=$((t1 - t0)); fi
    done
    echo "$bt"
}

# peak_rss_kb CMD...: peak resident set (KB) of one run of CMD (GNU time)
peak_rss_kb() {
    /usr/bin/time -f "%M" -o "$W/time.txt" "$@" > /dev/null 2>&1
    tail -n 1 "$W/time.txt"
}

# startup_ms RUNS CMD...: mean wall time (ms) of RUNS runs of CMD: process start to result
startup_ms() {
    local runs=$1; shift
    local t0 t1
    t0=$(ns)
    for _ in $(seq "$runs"); do "$@" > /dev/null 2>&1; done
    t1=$(ns)
    awk "BEGIN{printf \"%.2f\", ($t1 - $t0) / $runs / 1e6}"
}

# ft_train NAME ARGS...: train fastText on SST-2 train into $W/NAME.bin (once; the same
# settings give the same file); prints its dev accuracy (P@1)
ft_train() {
    local name=$1; shift
    bench_data
    if [ ! -s "$W/$name.bin" ] || [ "$W/train.ft" -nt "$W/$name.bin" ]; then
        fasttext supervised -input "$W/train.ft" -output "$W/$name" -thread 2 -seed 1 "$@" \
            -verbose 0 > /dev/null
    fi
    fasttext test "$W/$name.bin" "$W/dev.ft" | awk '/^P@1/ {print $2}'
}
