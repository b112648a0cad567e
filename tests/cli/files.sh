#!/usr/bin/env bash
# CLI integration tests for the files senti reads and writes: names that must stay names (never
# run as gnuplot or shell commands), outputs that must not destroy inputs, outputs replaced only
# whole, read and write errors that must not pass for success, inputs that must not be misread.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

# ---- names are never commands ----------------------------------------------------------------
mkdir -p "$TMP/inj"
evil="d'; system \"touch PWNED\"; print '"
head -n 41 "$DATA/sst2/dev.tsv" > "$TMP/inj/$evil.tsv"
( cd "$TMP/inj" && "$OLDPWD/$SENTI" eval default "$evil.tsv" --plot "$TMP/inj/plot.svg" ) > "$TMP/inj.out" 2>&1
check "eval --plot: a data file named with gnuplot commands runs none" test ! -e "$TMP/inj/PWNED"
check "eval --plot: ... and the plot is written" grep -q '<svg' "$TMP/inj/plot.svg"
rm -f "$TMP/inj/PWNED"
( cd "$TMP/inj" && "$OLDPWD/$SENTI" eval default "$evil.tsv" --plot "$evil.svg" ) > "$TMP/inj.out" 2>&1
check "eval --plot: a plot path named with gnuplot commands runs none" test ! -e "$TMP/inj/PWNED"
check "eval --plot: ... and the plot is written under that name" grep -q '<svg' "$TMP/inj/$evil.svg"

# ---- an output is never one of the inputs ------------------------------------------------------
# (compared by device and inode: a hard link to an input is that input)
mkdir -p "$TMP/same"
S=$TMP/same
cp models/default.safetensors "$S/M.st"
printf 'good film\nbad film\n' > "$S/in.txt"
head -n 201 "$DATA/sst2/train.tsv" > "$S/D.tsv"
head -n 41 "$DATA/sst2/dev.tsv" > "$S/V.tsv"
printf 'good\t2.0\nbad\t-2.0\n' > "$S/L.txt"
for f in M.st in.txt D.tsv V.tsv L.txt; do cp "$S/$f" "$S/$f.orig"; done
ln "$S/M.st" "$S/M-link.st"
# refused NAME FILE CMD...: exit 2, a message naming FILE as an input, FILE unchanged
refused() {
    local n=$1 f=$2; shift 2
    "$@" > "$TMP/same.out" 2>&1
    local rc=$?
    if [ "$rc" -eq 2 ] && grep -q "refusing to write .*an input of this run" "$TMP/same.out" && cmp -s "$S/$f" "$S/$f.orig"; then
        ok "$n"
    else
        not_ok "$n" "exit $rc: $(head -c 300 "$TMP/same.out")"
        cp "$S/$f.orig" "$S/$f"
    fi
}
refused "batch -o onto its model file is refused, model intact" M.st "$SENTI" batch "$S/in.txt" -m "$S/M.st" -o "$S/M.st"
refused "batch -o onto a hard link of its model is refused" M.st "$SENTI" batch "$S/in.txt" -m "linear:$S/M.st" -o "$S/M-link.st"
refused "train -o onto its training data is refused, data intact" D.tsv "$SENTI" train "$S/D.tsv" -o "$S/D.tsv" --bits 12 --quiet
refused "train -o onto its --valid file is refused, file intact" V.tsv "$SENTI" train "$S/D.tsv" --valid "$S/V.tsv" -o "$S/V.tsv" --bits 12 --quiet
refused "train -o onto its --lexicon is refused, lexicon intact" L.txt "$SENTI" train "$S/D.tsv" --lexicon "$S/L.txt" -o "$S/L.txt" --bits 12 --quiet
refused "eval --plot onto its data is refused, data intact" V.tsv "$SENTI" eval default "$S/V.tsv" --plot "$S/V.tsv"
refused "eval --plot onto its model is refused, model intact" M.st "$SENTI" eval "$S/M.st" "$S/V.tsv" --plot "$S/M.st"
mkdir -p "$S/bench"
ln "$S/V.tsv" "$S/bench/bench.csv"
refused "bench --out: a folder whose bench.csv is the data is refused" V.tsv "$SENTI" bench --quick --only load --data "$S/V.tsv" --out "$S/bench"
rm -f "$S/bench/bench.csv"
check "an output that does not exist yet is fine" "$SENTI" train "$S/D.tsv" -o "$S/new.st" --bits 12 --quiet

# ---- an output is replaced whole or not at all ---------------------------------------------------
# A write that fails part-way (here: the file size limit, with SIGXFSZ ignored, so write() fails
# with EFBIG as on a full disk) leaves the old file as it was, and no temporary behind.
yes 'a fine film with a dull ending' | head -n 200000 > "$S/big.txt"
printf 'old output\n' > "$S/out.txt"
cp "$S/out.txt" "$S/out.orig"
limited() { ( ulimit -f 256; trap '' XFSZ; exec "$@" ); }
limited "$SENTI" batch --no-progress "$S/big.txt" -o "$S/out.txt" > "$TMP/lim.out" 2>&1
rc=$?
check "batch: a failed write exits 1 and names the output" bash -c "[ $rc -eq 1 ] && grep -q 'out.txt.*File too large' '$TMP/lim.out'"
same "batch: a failed write leaves the old output as it was" "$S/out.orig" "$S/out.txt"
check "batch: ... and no temporary behind" test -z "$(ls -A "$S" | grep '^\.out\.txt\.')"
"$SENTI" batch --no-progress "$S/big.txt" -o "$S/out.txt" 2> /dev/null
check "batch: a run that succeeds replaces it" test "$(wc -l < "$S/out.txt")" -eq 200000
cp "$S/M.st" "$S/keep.st"
limited "$SENTI" train "$S/D.tsv" -o "$S/keep.st" --bits 20 --dtype f32 --quiet > "$TMP/lim.out" 2>&1
rc=$?
check "train: a failed model write exits 1 and says the file was left" bash -c "[ $rc -eq 1 ] && grep -q 'keep.st was not written' '$TMP/lim.out'"
same "train: a failed model write leaves the old model as it was" "$S/M.st" "$S/keep.st"
check "train: ... and no temporary behind" test -z "$(ls -A "$S" | grep '^\.keep\.st\.')"
ln -s keep.st "$S/link.st"
"$SENTI" train "$S/D.tsv" -o "$S/link.st" --bits 12 --quiet > /dev/null 2>&1
check "train -o through a symlink replaces the file it names, the link stays" \
    bash -c "[ -L '$S/link.st' ] && ! cmp -s '$S/M.st' '$S/keep.st' && '$SENTI' model verify '$S/link.st'"

# ---- standard input: read errors are not the end, a line without end costs bounded memory -------
"$SENTI" predict < "$TMP" > "$TMP/dir.out" 2> "$TMP/dir.err"
rc=$?
check "predict < DIRECTORY: exit 1 with a read error, not an empty success" \
    bash -c "[ $rc -eq 1 ] && grep -q 'read error.*Is a directory' '$TMP/dir.err'"
# 300 MB without a newline: only the first max_text_bytes (1 MiB) are kept; before, the whole
# line was held (getline) and memory grew without bound
head -c 300000000 /dev/zero | tr '\0' a | /usr/bin/time -f '%M' -o "$TMP/rss" "$SENTI" predict > "$TMP/long.out" 2> "$TMP/long.err"
rss=$(tail -n 1 "$TMP/rss")
check "predict: a 300 MB line without newline is scored in bounded memory (max RSS ${rss} KB < 150 MB)" \
    bash -c "[ '$rss' -lt 150000 ] && [ \$(wc -l < '$TMP/long.out') -eq 1 ]"
check "predict: ... and the cut line is counted on stderr" grep -q '1 line was longer than 1048576 bytes' "$TMP/long.err"
{ head -c 2000000 /dev/zero | tr '\0' x; printf '\nwhat a wonderful film\r\n'; } | "$SENTI" predict > "$TMP/two.out" 2>/dev/null
check "predict: the line after a cut line is read whole (CRLF ending dropped)" \
    bash -c "[ \$(wc -l < '$TMP/two.out') -eq 2 ] && tail -n 1 '$TMP/two.out' | grep -q '^positive'"

# ---- a report that cannot be written is a failure ------------------------------------------------
# full NAME CMD...: with stdout on /dev/full, exit 1 and "standard output: write error"
full() {
    local n=$1; shift
    "$@" > /dev/full 2> "$TMP/full.err"
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -q 'standard output: write error: No space left on device' "$TMP/full.err"; then ok "$n"
    else not_ok "$n" "exit $rc: $(head -c 300 "$TMP/full.err")"; fi
}
full "eval > /dev/full: exit 1" "$SENTI" eval default "$S/V.tsv"
full "eval --json > /dev/full: exit 1" "$SENTI" eval default "$S/V.tsv" --json
full "model info > /dev/full: exit 1" "$SENTI" model info
full "model info FILE > /dev/full: exit 1" "$SENTI" model info "$S/M.st"
full "model verify > /dev/full: exit 1" "$SENTI" model verify
full "train > /dev/full: exit 1" "$SENTI" train "$S/D.tsv" -o "$S/full.st" --bits 12 --quiet
full "predict > /dev/full: exit 1" "$SENTI" predict good
full "bench --out - > /dev/full: exit 1" "$SENTI" bench --quick --only load --data "$S/V.tsv" --out -
full "version > /dev/full: exit 1" "$SENTI" version

# ---- an input truncated while batch reads it --------------------------------------------------------
# The file is mapped; truncating it under the run made the next read of a page past the new end
# a SIGBUS (and a partial output). Now: "input changed during the run", exit 1, and an output
# file (-o) is not replaced. Deterministic enough: the input is ~60 MB, the truncation comes as
# soon as the first output bytes appear, when at most the ring (8 chunks of 256 KiB) was read.
for _ in $(seq 1 16); do cut -f2 "$DATA/sst2/train.tsv"; done > "$S/grow.txt"
# truncate_during NAME OUTFILE-TO-WATCH ARGS...: run senti batch on a copy, cut the copy to 1000
# bytes once OUTFILE-TO-WATCH has bytes; status in $rc, stderr in $TMP/tr.err
truncate_during() {
    local watch=$1; shift
    cp "$S/grow.txt" "$S/victim.txt"
    rm -f "$S/tr.out"
    "$SENTI" batch --no-progress "$S/victim.txt" --threads 2 "$@" > "$S/tr.out" 2> "$TMP/tr.err" &
    local pid=$!
    for _ in $(seq 1 1000); do
        [ -n "$(find "$S" -maxdepth 1 -name "$watch" -size +0 2>/dev/null)" ] && break
        sleep 0.01
    done
    truncate -s 1000 "$S/victim.txt"
    wait "$pid"
    rc=$?
}
truncate_during tr.out
check "batch: input truncated during the run: exit 1 (not SIGBUS), said so" \
    bash -c "[ $rc -eq 1 ] && grep -q 'victim.txt: input changed during the run' '$TMP/tr.err'"
printf 'previous output\n' > "$S/prev.txt"
cp "$S/prev.txt" "$S/prev.orig"
truncate_during '.prev.txt.*' -o "$S/prev.txt"
check "batch -o: input truncated during the run: exit 1, said so" \
    bash -c "[ $rc -eq 1 ] && grep -q 'input changed during the run.*was not written' '$TMP/tr.err'"
same "batch -o: ... and the previous output is left as it was" "$S/prev.orig" "$S/prev.txt"

# ---- inputs that would be misread -------------------------------------------------------------------
printf 'label\ttext\n1\tgood film\n0\tbad film\n' | iconv -f UTF-8 -t UTF-16 > "$S/u16.tsv"
printf 'good film\n' | iconv -f UTF-8 -t UTF-16 > "$S/u16.txt"
# refuse16 NAME CMD...: exit 1 and a message that says UTF-16
refuse16() {
    local n=$1; shift
    "$@" > "$TMP/u16.out" 2>&1
    local rc=$?
    if [ "$rc" -eq 1 ] && grep -q 'UTF-16LE text' "$TMP/u16.out"; then ok "$n"; else not_ok "$n" "exit $rc: $(head -c 300 "$TMP/u16.out")"; fi
}
refuse16 "predict: UTF-16 stdin is refused with the reason" bash -c "'$SENTI' predict < '$S/u16.txt'"
refuse16 "train: UTF-16 data is refused with the reason" "$SENTI" train "$S/u16.tsv" -o "$S/u16.st" --bits 12 --quiet
refuse16 "eval: UTF-16 data is refused with the reason" "$SENTI" eval default "$S/u16.tsv"
printf '{"label":1,"text":"awful","text":"great"}\n{"label":0,"text":"bad"}\n{"label":1,"text":"good"}\n' > "$S/dup.jsonl"
"$SENTI" eval default "$S/dup.jsonl" --json > "$TMP/dup.json" 2> "$TMP/dup.err"
rc=$?
check "eval: a JSONL object with a member given twice is a malformed record (exit 3)" \
    bash -c "[ $rc -eq 3 ] && grep -q 'dup.jsonl:1: a member given twice' '$TMP/dup.err' && grep -q '\"n\":2,' '$TMP/dup.json'"
expect_status 'predict --model "": usage error' 2 "$SENTI" predict --model "" good
expect_status 'eval "" DATA: usage error' 2 "$SENTI" eval "" "$S/V.tsv"
expect_status 'model info "": usage error' 2 "$SENTI" model info ""

finish
