#!/usr/bin/env bash
# bench/mpi_scaling.sh - senti-mpi with 1, 2 and 4 ranks against senti batch, on two corpora
# made from ../shared/data in a temporary folder (never in the repository):
#   sst2x8.txt    SST-2 train sentences, 8 times: 538,792 short lines (29 MB), lines format
#   imdbx4.csv    IMDB train reviews, 4 times, paragraphs as lines inside quoted CSV fields:
#                 100,000 records (131 MB), the format whose cuts rank 0 finds by reading it
# Each run's output is compared with senti batch's (cmp), and its summary line printed: seconds
# are the scoring and the writing (the slowest rank), "wall" is mpirun from start to end, "cpu"
# the user + system seconds of every process (GNU time: apt-get install time).
#
#   bench/mpi_scaling.sh [REPEAT]        (DATA=../shared/data, SENTI=build/senti)
set -eu
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
SENTI_MPI=${SENTI_MPI:-$(dirname "$SENTI")/senti-mpi}
REPEAT=${1:-1}
T=$(mktemp -d "${TMPDIR:-/tmp}/senti-mpi-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

tail -n +2 "$DATA/sst2/train.tsv" | cut -f2 >"$T/s.txt"
for _ in 1 2 3 4 5 6 7 8; do cat "$T/s.txt"; done >"$T/sst2x8.txt"
python3 - "$DATA/imdb/train.tsv" "$T/imdbx4.csv" <<'EOF'
import csv, sys
rows = []
with open(sys.argv[1], newline="") as f:
    r = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
    next(r)
    rows = [(row[1], row[3].replace("<br /><br />", "\n")) for row in r]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "text"])
    for _ in range(4):
        w.writerows(rows)
EOF

# run LABEL CMD...: the summary line, the wall time and the CPU time of the processes (mpirun and
# its ranks: user + system), then the output against senti batch's
run() {
    local label=$1
    shift
    /usr/bin/time -f '%e %U %S' -o "$T/time" "$@" 2>"$T/err" >/dev/null
    printf '%-38s %s  wall %s s  cpu %s s' "$label" \
        "$(grep -E 'records in' "$T/err" | sed -E 's/^senti [a-z]+: //; s/ records in, [0-9]+ out, [0-9]+ failed//')" \
        "$(cut -d' ' -f1 "$T/time")" "$(awk '{ print $2 + $3 }' "$T/time")"
    if [ -f "$T/ref" ] && ! cmp -s "$T/ref" "$T/out"; then echo "  OUTPUT DIFFERS"; else echo; fi
}

for f in sst2x8.txt imdbx4.csv; do
    echo "== $f ($(wc -c <"$T/$f") bytes), $(nproc) cores"
    rm -f "$T/ref"
    "$SENTI" batch --no-progress "$T/$f" -o "$T/ref" -j 2 2>/dev/null
    for _ in $(seq 1 "$REPEAT"); do
        run "senti batch -j 1" "$SENTI" batch --no-progress "$T/$f" -o "$T/out" -j 1
        run "senti batch -j 2" "$SENTI" batch --no-progress "$T/$f" -o "$T/out" -j 2
        run "senti-mpi -np 1 -j 1" mpirun -q -np 1 "$SENTI_MPI" "$T/$f" -o "$T/out" -j 1
        run "senti-mpi -np 1 -j 2" mpirun -q -np 1 "$SENTI_MPI" "$T/$f" -o "$T/out" -j 2
        run "senti-mpi -np 2 -j 1" mpirun -q -np 2 "$SENTI_MPI" "$T/$f" -o "$T/out" -j 1
        run "senti-mpi -np 4 -j 1 (oversubscribed)" mpirun -q --oversubscribe -np 4 "$SENTI_MPI" "$T/$f" -o "$T/out" -j 1
    done
done
