#!/usr/bin/env bash
# CLI integration tests for `senti eval`: that it measures what the data says (class labels,
# ratings, malformed labels), and that its output errors are not taken for success.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
DEV=$DATA/sst2/dev.tsv
ICWSM=$DATA/icwsm/tweets_GroundTruth.txt
# jnum KEY FILE: the number after "KEY": in a JSON report
jnum() { grep -oE "\"$1\":[0-9.eE+-]+" "$2" | head -n 1 | cut -d: -f2; }

# ---- labels: one mistyped label is a malformed record, not a switch to rating mode -------------
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 2 { $1 = "7" } { print }' "$DEV" > "$TMP/dev7.tsv"
sed 2d "$DEV" > "$TMP/dev_rest.tsv"
"$SENTI" eval default "$TMP/dev7.tsv" --json --min-accuracy 0.80 > "$TMP/dev7.json" 2> "$TMP/dev7.err"
rc=$?
"$SENTI" eval default "$TMP/dev_rest.tsv" --json > "$TMP/rest.json" 2>/dev/null
check "a label mistyped as 7: exit 3 even though the gate passes" test "$rc" -eq 3
check "... the record is reported with its file and line" grep -q "dev7.tsv:2: unknown label '7'" "$TMP/dev7.err"
check "... and counted" test "$(jnum unknown_labels "$TMP/dev7.json")" = 1
check "... the other 871 rows are measured as class labels (as without that row)" \
    test "$(jnum n "$TMP/dev7.json"):$(jnum accuracy "$TMP/dev7.json")" = "871:$(jnum accuracy "$TMP/rest.json")"
check "... and it is not read as a rating file" bash -c "! grep -q 'read as ratings' '$TMP/dev7.err' && ! grep -q pearson '$TMP/dev7.json'"
"$SENTI" eval default "$DEV" > /dev/null 2> "$TMP/dev.err"
check "a 0/1 file: no rating-mode notice" test ! -s "$TMP/dev.err"

# ---- ratings: chosen for a clearly rated file, or when asked; said either way ------------------
"$SENTI" eval default --no-header --label-col 2 --text-col 3 "$ICWSM" --json > "$TMP/auto.json" 2> "$TMP/auto.err"
"$SENTI" eval default --no-header --label-col 2 --text-col 3 --rating "$ICWSM" --json > "$TMP/asked.json" 2> "$TMP/asked.err"
check "ICWSM tweets (every label a number, most not 0/1/-1): rating mode, announced" \
    grep -q 'tweets_GroundTruth.txt: labels read as ratings (every label is a number' "$TMP/auto.err"
check "--rating: announced too" grep -q 'labels read as ratings (--rating)' "$TMP/asked.err"
check "ICWSM: the same report chosen by itself as with --rating (Pearson r included)" \
    bash -c "[ -n \"\$(grep -oE '\"pearson\":0\.[0-9]+' '$TMP/auto.json')\" ] && cmp -s <(sed 's/\"seconds\".*//' '$TMP/auto.json') <(sed 's/\"seconds\".*//' '$TMP/asked.json')"
printf 'label\ttext\n2.5\tgreat fun\n-1.5\tdull\ninf\tok\n1e300\tfine\nnan\tmeh\nfive\tgood\n' > "$TMP/r.tsv"
"$SENTI" eval default --rating "$TMP/r.tsv" --json > "$TMP/r.json" 2> "$TMP/r.err"
rc=$?
check "--rating: non-finite, absurd and non-numeric ratings are malformed records (exit 3)" \
    bash -c "[ $rc -eq 3 ] && [ \"\$(grep -c 'is not a rating' '$TMP/r.err')\" = 4 ] && grep -q 'r.tsv:4:' '$TMP/r.err'"
check "--rating: ... counted, the two good ratings measured" \
    test "$(jnum unknown_labels "$TMP/r.json"):$(jnum n_rated "$TMP/r.json"):$(jnum n "$TMP/r.json")" = "4:2:2"
"$SENTI" eval default "$TMP/r.tsv" --json > /dev/null 2> "$TMP/r2.err"
check "not every label a finite number: not a rating file, each such label reported" \
    bash -c "! grep -q 'read as ratings' '$TMP/r2.err' && [ \"\$(grep -c 'unknown label' '$TMP/r2.err')\" = 6 ]"

finish
