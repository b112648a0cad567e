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

finish
