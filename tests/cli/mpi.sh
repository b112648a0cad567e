#!/usr/bin/env bash
# tests/cli/mpi.sh - senti-mpi (src/mpi/main.c) against senti batch: with 1, 2 and 4 ranks the
# output, the failed records' messages (their line numbers) and the counts are those of
# `senti batch` on the same input, for lines, TSV, CSV and JSONL, on inputs crafted so that the
# cuts between ranks fall inside long lines and inside quoted CSV fields that span lines; empty
# input, fewer records than ranks, standard output, the directory mode and its manifest, and
# failures (an unwritable part on one rank, a bad model, a rank killed, an unwritable output,
# a pipe).
#
#   SENTI=build/senti tests/cli/mpi.sh      (senti-mpi is looked for beside SENTI)
#
# Skipped (0 passed) where Open MPI's mpirun is not installed (make test installs it), and for
# the sanitized build (make test builds no sanitized senti-mpi: Open MPI's own allocations would
# drown LeakSanitizer's report). Ranks run oversubscribed on this machine's cores, as root if
# need be (OMPI_ALLOW_RUN_AS_ROOT), over shared memory only.
set -u
SENTI=${SENTI:-build/senti}
SENTI_MPI=${SENTI_MPI:-$(dirname "$SENTI")/senti-mpi}
. "$(dirname "$0")/../lib.sh"

if ! command -v mpirun >/dev/null 2>&1; then
    echo "skipped: no mpirun (Debian openmpi-bin; make test installs it)"
    finish
    exit 0
fi
if [ "${SANITIZED:-0}" = 1 ] && [ ! -x "$SENTI_MPI" ]; then
    echo "skipped: no sanitized senti-mpi"
    finish
    exit 0
fi
if [ ! -x "$SENTI_MPI" ]; then
    not_ok "$SENTI_MPI is built (make mpi)"
    finish
    exit 1
fi
# a sanitized senti-mpi built by hand (make SANITIZE=address,undefined build-san/senti-mpi):
# Open MPI keeps its allocations to the end, so leaks are not looked for
[ "${SANITIZED:-0}" = 1 ] && export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one machine: shared memory, no single-copy (containers often forbid process_vm_readv)
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
# -q: without it mpirun adds a note of its own to stderr when the exit status is not 0 (3: some
# records failed)
mpi() { local np=$1; shift; mpirun -q --oversubscribe -np "$np" "$SENTI_MPI" --no-progress "$@"; }
# the summary lines differ by name and seconds only: keep their counts
norm() { sed -E 's/^senti (batch|mpi): ([0-9]+ records in, [0-9]+ out, [0-9]+ failed), .* s, [0-9]+ records\/s/summary: \2/; s/^senti (batch|mpi): /senti: /' "$1"; }

# ---- inputs -----------------------------------------------------------------------------------
# Each file holds three long records (a long line; for CSV a quoted field of many lines, holding
# doubled quotes and lines that look like the start of a record) centred on 1/4, 1/2 and 3/4 of
# its bytes, where the ranges of 2 and 4 ranks are cut, plus malformed records.
python3 - "$TMP" <<'EOF'
import random, sys
d = sys.argv[1]
rnd = random.Random(7)
words = ("a good film the plot is dull but the acting is great and I loved it not bad "
         "terrible boring wonderful moving awful mess of a script fine").split()
def sent(n=8):
    return " ".join(rnd.choice(words) for _ in range(rnd.randint(3, n)))
def build(small, big, n_small=12):
    recs = []
    for block in range(4):
        recs += [small(i + 40 * block) for i in range(n_small)]
        if block < 3:
            recs.append(big(block))
    return recs
def write(name, recs, head=""):
    with open(f"{d}/{name}", "w", newline="") as f:
        f.write(head + "".join(recs))

write("t.txt", build(lambda i: sent() + ("\r\n" if i % 5 == 0 else "\n"),
                     lambda b: " ".join(sent(12) for _ in range(60)) + "\n") + ["no newline at the end"])
write("t.tsv", build(lambda i: f"{i}\t{sent()}\n" if i % 9 else f"{i}\t{sent()}\textra field\n",
                     lambda b: f"big{b}\t" + " ".join(sent(12) for _ in range(60)) + "\n"),
      "id\ttext\n")
def csv_big(b):
    lines = [sent(12) for _ in range(50)]
    lines[10] = '""quoted"" line that starts with a quote'
    lines[20] = '7,"looks like a record start'
    lines[30] = 'ends with a comma,'
    return f'big{b},"' + "\n".join(lines) + '"\r\n'
def csv_small(i):
    if i == 5: return f'{i},a"b stray quote\n'
    if i == 47: return f'{i},"x"y\n'
    if i % 7 == 0: return f'{i},"{sent()}\nsecond ""line"""\r\n'
    return f'{i},{sent()}\n'
write("t.csv", build(csv_small, csv_big) + ['99,"never closed\n', '100,after it\n'], "id,text\n")
def jl_small(i):
    if i == 3: return '{"text": "unterminated\n'
    if i == 14: return "\n"
    if i == 45: return '[1, 2]\n'
    if i == 50: return '{"body": "no text member"}\n'
    return '{"id": %d, "text": "%s", "n": [1, {"k": "v"}]}\n' % (i, sent())
write("t.jsonl", build(jl_small, lambda b: '{"id": "big%d", "text": "%s"}\n' % (b, " ".join(sent(12) for _ in range(60)))))
# fewer records than ranks; a one-record file with no newline
write("two.txt", ["fine film\n", "dreadful\n"])
write("one.csv", ["text\n", '"one, quoted\nrecord"'])
EOF
: >"$TMP/empty.txt"
: >"$TMP/empty.csv"

# same_as_batch NAME NP IN [ARGS...]: senti-mpi -np NP writes what senti batch writes (output,
# exit status, messages and counts on stderr)
same_as_batch() {
    local name=$1 np=$2 in=$3
    shift 3
    "$SENTI" batch --no-progress "$in" -o "$TMP/ref" "$@" 2>"$TMP/ref.err"
    local want=$?
    rm -f "$TMP/got"
    mpi "$np" "$in" -o "$TMP/got" "$@" 2>"$TMP/got.err"
    local got=$?
    if [ "$got" != "$want" ]; then
        not_ok "$name" "exit $got, senti batch $want: $(head -c 400 "$TMP/got.err")"
    elif ! cmp -s "$TMP/ref" "$TMP/got"; then
        not_ok "$name" "output differs: $(cmp "$TMP/ref" "$TMP/got" 2>&1 | head -c 200)"
    elif ! diff <(norm "$TMP/ref.err") <(norm "$TMP/got.err") >"$TMP/diff"; then
        not_ok "$name" "stderr differs: $(head -c 400 "$TMP/diff")"
    else
        ok "$name"
    fi
}

# ---- byte for byte, per format and rank count ---------------------------------------------------
for f in t.txt t.tsv t.csv t.jsonl; do
    for np in 1 2 4; do
        same_as_batch "$f, $np rank(s): output, messages and counts of senti batch" "$np" "$TMP/$f"
    done
done
# the crafted inputs do what they are meant to: failed records, long records across the cuts
"$SENTI" batch --no-progress "$TMP/t.csv" -o "$TMP/ref" 2>"$TMP/ref.err"
[ "$(grep -c 'malformed CSV' "$TMP/ref.err")" -ge 2 ] && grep -q 'fields, the header has 2' "$TMP/ref.err" &&
    ok "t.csv holds malformed records (stray quote, unclosed quote, wrong field count)" ||
    not_ok "t.csv holds malformed records" "$(head -5 "$TMP/ref.err")"
check "t.csv: the cuts at 1/4, 1/2, 3/4 fall inside quoted fields spanning lines" python3 - "$TMP/t.csv" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
start = b.index(b"\n") + 1
for k in (1, 2, 3):
    t = start + (len(b) - start) * k // 4
    opened = b.rfind(b'big', 0, t)
    assert opened > 0 and b.find(b'"\r\n', opened) > t and b.count(b"\n", opened, t) > 3, k
EOF

# ---- options ------------------------------------------------------------------------------------
same_as_batch "csv -> jsonl (-F jsonl), 4 ranks" 4 "$TMP/t.csv" -F jsonl
same_as_batch "jsonl -> csv (-F csv; members that are not columns said), 2 ranks" 2 "$TMP/t.jsonl" -F csv
same_as_batch "tsv --no-header --text-col 2 --threads 1, 4 ranks" 4 "$TMP/t.tsv" --no-header --text-col 2 --threads 1
same_as_batch "jsonl --text-field body -F tsv, 2 ranks" 2 "$TMP/t.jsonl" --text-field body -F tsv
same_as_batch "lines as --format tsv -q, 4 ranks" 4 "$TMP/t.txt" --format tsv -q
if [ -f "$DATA/vader/vader_lexicon.txt" ]; then
    same_as_batch "--model vader:LEXICON, 2 ranks" 2 "$TMP/t.tsv" --model "vader:$DATA/vader/vader_lexicon.txt"
fi

# ---- small inputs -------------------------------------------------------------------------------
same_as_batch "empty lines input, 4 ranks" 4 "$TMP/empty.txt"
same_as_batch "empty lines input to -F tsv (a header only), 2 ranks" 2 "$TMP/empty.txt" -F tsv
same_as_batch "empty CSV input, 2 ranks" 2 "$TMP/empty.csv"
same_as_batch "2 records on 4 ranks" 4 "$TMP/two.txt"
same_as_batch "one quoted multi-line CSV record without a newline on 4 ranks" 4 "$TMP/one.csv"

# ---- standard output, directory and manifest ----------------------------------------------------
"$SENTI" batch --no-progress "$TMP/t.csv" -F tsv >"$TMP/ref" 2>/dev/null
mpi 2 "$TMP/t.csv" -F tsv >"$TMP/got" 2>"$TMP/got.err"
same "no -o: rank 0 writes every range to stdout in order" "$TMP/ref" "$TMP/got"
"$SENTI" batch --no-progress "$TMP/t.jsonl" -o "$TMP/ref" 2>/dev/null
mpi 4 "$TMP/t.jsonl" -o "$TMP/dir/" 2>"$TMP/got.err"
# manifest.json in order: concatenated parts are the single file; records add up
parts() { python3 -c '
import json, sys
m = json.load(open(sys.argv[1] + "/manifest.json"))
assert m["ranks"] == len(m["parts"]) and m["records"] == sum(p["records"] for p in m["parts"])
print("\n".join(sys.argv[1] + "/" + p["file"] for p in m["parts"]))' "$1"; }
if parts "$TMP/dir" >"$TMP/list" 2>"$TMP/perr" && [ "$(wc -l <"$TMP/list")" = 4 ]; then
    xargs cat <"$TMP/list" >"$TMP/got"
    same "-o DIR/ with 4 ranks: 4 parts in the manifest, concatenated = senti batch's file" "$TMP/ref" "$TMP/got"
else
    not_ok "-o DIR/ with 4 ranks: a manifest of 4 parts" "$(cat "$TMP/perr" "$TMP/got.err" | head -c 400)"
fi
mpi 2 "$TMP/t.jsonl" -o "$TMP/dir" 2>"$TMP/got.err"
parts "$TMP/dir" >"$TMP/list" 2>/dev/null && xargs cat <"$TMP/list" >"$TMP/got"
[ "$(wc -l <"$TMP/list")" = 2 ] && [ ! -e "$TMP/dir/part-00002.jsonl" ] && cmp -s "$TMP/ref" "$TMP/got" &&
    ok "the same directory again with 2 ranks: 2 parts, the old ranks' parts removed" ||
    not_ok "the same directory again with 2 ranks" "$(ls "$TMP/dir")"

# ---- failures: the job fails with a message, and writes nothing -----------------------------------
mkdir -p "$TMP/bad/part-00001.tsv"
mpi 2 "$TMP/t.tsv" -o "$TMP/bad" >/dev/null 2>"$TMP/got.err"
rc=$?
[ "$rc" = 1 ] && grep -q 'rank 1' "$TMP/got.err" && grep -q 'part-00001.tsv: is a directory' "$TMP/got.err" &&
    [ ! -e "$TMP/bad/manifest.json" ] && [ ! -e "$TMP/bad/part-00000.tsv" ] &&
    ok "one rank cannot write its part: exit 1, that rank says why, no part, no manifest" ||
    not_ok "one rank cannot write its part" "exit $rc: $(head -c 400 "$TMP/got.err"); $(ls "$TMP/bad")"
echo "old" >"$TMP/keep.tsv"
mpi 4 "$TMP/t.tsv" -o "$TMP/keep.tsv" --model "$TMP/t.txt" >/dev/null 2>"$TMP/got.err"
rc=$?
[ "$rc" = 1 ] && [ "$(grep -c . "$TMP/got.err")" -ge 1 ] && ! grep -q 'rank [0-9]' "$TMP/got.err" &&
    [ "$(cat "$TMP/keep.tsv")" = old ] &&
    ok "a bad model on every rank: exit 1, said once, the old output kept" ||
    not_ok "a bad model on every rank" "exit $rc: $(head -c 400 "$TMP/got.err")"
# a rank killed (SIGKILL) while rank 0 is still starting: mpirun ends the job, which fails, and
# the old output stays (each rank is started through bash to pick its fate by its rank)
echo "old" >"$TMP/keep.tsv"
mpirun -q --oversubscribe -np 2 bash -c '
    if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then "$@" & sleep 0.5; kill -9 $!; wait; exit 137; fi
    sleep 2; exec "$@"' _ "$SENTI_MPI" "$TMP/t.tsv" -o "$TMP/keep.tsv" >/dev/null 2>"$TMP/got.err"
rc=$?
[ "$rc" != 0 ] && [ "$(cat "$TMP/keep.tsv")" = old ] &&
    ok "a rank killed by SIGKILL: the job fails (exit $rc), the old output kept" ||
    not_ok "a rank killed by SIGKILL" "exit $rc: $(head -c 300 "$TMP/got.err")"
expect_status "an output in a folder that does not exist: exit 1" 1 mpi 2 "$TMP/t.tsv" -o "$TMP/no/such/dir/out.tsv"
grep -q 'cannot create a file in its folder' "$TMP/status.out" && ok "... and says why" || not_ok "... and says why" "$(head -c 300 "$TMP/status.out")"
expect_status "standard input (not a file every rank can map): usage error" 2 \
    bash -c 'cat "$1" | mpirun -q --oversubscribe -np 2 "$2" - -o "$3"' _ "$TMP/t.txt" "$SENTI_MPI" "$TMP/x.tsv"
expect_status "an unknown option: usage error" 2 mpi 2 "$TMP/t.txt" --no-such-option
mpi 2 --help >"$TMP/help" 2>&1
[ "$(grep -c '^usage: mpirun' "$TMP/help")" = 1 ] && ok "--help on 2 ranks: printed once" || not_ok "--help printed once" "$(head -3 "$TMP/help")"

finish
