#!/usr/bin/env bash
# CLI integration tests for predict, train, eval and model (golden outputs in tests/golden/).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh

# ---- predict ----------------------------------------------------------------------------
"$SENTI" predict < tests/golden/predict_texts.txt > "$TMP/p.txt" 2>"$TMP/p.err"
same "predict stdin matches golden" tests/golden/predict.txt "$TMP/p.txt"
"$SENTI" predict --json < tests/golden/predict_texts.txt > "$TMP/pj.txt" 2>&1
same "predict --json matches golden" tests/golden/predict.jsonl "$TMP/pj.txt"
mapfile -t lines < tests/golden/predict_texts.txt
"$SENTI" predict "${lines[@]}" > "$TMP/pa.txt"
same "predict arguments = predict stdin" "$TMP/p.txt" "$TMP/pa.txt"
check "predict with no file anywhere (embedded model)" bash -c "cd / && '$PWD/$SENTI' predict good | grep -q positive"

printf 'good\r\nbad\r\nfine' > "$TMP/crlf.txt"
"$SENTI" predict < "$TMP/crlf.txt" > "$TMP/crlf.out"
check "CRLF input without trailing newline: 3 lines out" test "$(wc -l < "$TMP/crlf.out")" -eq 3
printf 'a\0b\nc\n' | "$SENTI" predict > "$TMP/nul.out"
check "NUL byte inside a line: still one output per line" test "$(wc -l < "$TMP/nul.out")" -eq 2
printf '\xff\xfe bad \xc3\n' | "$SENTI" predict --json > "$TMP/inv.out"
check "invalid UTF-8 is scored and echoed as U+FFFD" grep -qF "$(printf '"text":"\xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd"')" "$TMP/inv.out"
check "emoji-only text is scored" bash -c "'$SENTI' predict '😀😀😀' | grep -qE '^(positive|neutral|negative)\s'"
check "empty text is scored" bash -c "'$SENTI' predict '' | grep -qE '^(positive|neutral|negative)\s'"
head -c 1048576 /dev/zero | tr '\0' 'x' > "$TMP/big.txt"
printf ' great\n' >> "$TMP/big.txt"
check "a 1 MB line is scored" bash -c "'$SENTI' predict < '$TMP/big.txt' | grep -qE '^(positive|neutral|negative)\s'"
yes 'good movie ' | head -c 2000000 | tr -d '\n' > "$TMP/big2.txt"
check "a 2 MB line is cut to --max-bytes and scored" bash -c "'$SENTI' predict --max-bytes 1000 < '$TMP/big2.txt' | grep -q '^positive'"

"$SENTI" predict --explain=3 "not good" > "$TMP/explain.txt"
check "predict --explain lists the features that weigh most, negation marked" bash -c \
    "test \$(wc -l < '$TMP/explain.txt') -eq 4 && grep -q 'good  (negated)' '$TMP/explain.txt'"
check "predict --json --explain gives an explanation array" bash -c \
    "'$SENTI' predict --json -e2 'a gorgeous film' | grep -qE '\"explanation\":\[\{\"feature\":\"[a-z ]+\",\"start\":[0-9]+'"
expect_status "predict --help exits 0" 0 "$SENTI" predict --help
expect_status "unknown option exits 2" 2 "$SENTI" predict --bogus x
expect_status "unknown command exits 2" 2 "$SENTI" frobnicate
expect_status "missing model file exits 1" 1 "$SENTI" predict --model /nonexistent.safetensors x
check "missing model file is named in the error" bash -c "'$SENTI' predict --model /nonexistent.safetensors x 2>&1 | grep -q /nonexistent.safetensors"
expect_status "bad --max-bytes exits 2" 2 "$SENTI" predict --max-bytes -5 x
for c in batch train eval model; do
    expect_status "$c --help exits 0" 0 "$SENTI" $c --help
done

# ---- model ---------------------------------------------------------------------------------
"$SENTI" model info default > "$TMP/info_def.txt"
"$SENTI" model info models/default.safetensors > "$TMP/info_file.txt"
check "embedded model = committed models/default.safetensors (digest)" \
    test "$(grep ^xxh128 "$TMP/info_def.txt")" = "$(grep ^xxh128 "$TMP/info_file.txt")"
check "model info shows metadata" grep -q "meta.training_data_xxh128" "$TMP/info_def.txt"
check "model verify default" "$SENTI" model verify default
head -c 5000 models/default.safetensors > "$TMP/trunc.st"
expect_status "truncated model file exits 1" 1 "$SENTI" model info "$TMP/trunc.st"
check "truncated model: clear error" bash -c "'$SENTI' model info '$TMP/trunc.st' 2>&1 | grep -q truncated"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f{}' > "$TMP/huge.st"
check "huge header length: clear error" bash -c "'$SENTI' model verify '$TMP/huge.st' 2>&1 | grep -q 'header length'"
: > "$TMP/empty.st"
expect_status "empty model file exits 1" 1 "$SENTI" model info "$TMP/empty.st"

# ---- eval ------------------------------------------------------------------------------------
"$SENTI" eval default "$DATA/sst2/dev.tsv" --json > "$TMP/eval.json"
check "eval --json has n=872 and accuracy" grep -qE '"n":872,.*"accuracy":0\.[0-9]+' "$TMP/eval.json"
expect_status "default model meets the 0.815 SST-2 dev floor" 0 "$SENTI" eval default "$DATA/sst2/dev.tsv" --min-accuracy 0.815
expect_status "eval gate fails below --min-accuracy (exit 4)" 4 "$SENTI" eval default "$DATA/sst2/dev.tsv" --min-accuracy 0.99
"$SENTI" eval default "$DATA/sst2/dev.tsv" > "$TMP/eval.txt"
check "eval prints confusion matrix and ROC-AUC" bash -c "grep -q 'confusion' '$TMP/eval.txt' && grep -q 'ROC-AUC' '$TMP/eval.txt'"
printf 'label\ttext\n1\tgood\nbanana\tbad\n0\tawful\n' > "$TMP/badlab.tsv"
expect_status "eval with an unknown label exits 3" 3 "$SENTI" eval default "$TMP/badlab.tsv"
check "eval names file and line of the unknown label" bash -c "'$SENTI' eval default '$TMP/badlab.tsv' 2>&1 | grep -q 'badlab.tsv:3'"
"$SENTI" eval default "$DATA/icwsm/tweets_GroundTruth.txt" --no-header --label-col 2 --text-col 3 --json > "$TMP/icwsm.json"
check "eval on rated data reports Pearson r" grep -qE '"pearson":0\.[0-9]+' "$TMP/icwsm.json"

# ---- train -------------------------------------------------------------------------------------
head -n 3001 "$DATA/sst2/train.tsv" > "$TMP/small.tsv"
"$SENTI" train "$TMP/small.tsv" -o "$TMP/m1.st" --threads 1 --quiet --bits 16 > "$TMP/train.out" 2>&1
"$SENTI" train "$TMP/small.tsv" -o "$TMP/m2.st" --threads 2 --quiet --bits 16 > /dev/null 2>&1
same "training is bit-identical across runs and thread counts" "$TMP/m1.st" "$TMP/m2.st"
check "train prints validation metrics" grep -q "^valid_accuracy" "$TMP/train.out"
check "a trained model can be used" bash -c "'$SENTI' predict --model '$TMP/m1.st' good | grep -qE '^(positive|negative)'"
printf 'label,text\n1,"a ""great"" film,\nreally"\n0,bad\n2,\n' > "$TMP/t.csv"
printf '{"label":"positive","text":"great"}\n{"label":"negative","text":"awful"}\n{"label":"neutral","text":"a film"}\n' > "$TMP/t3.jsonl"
check "train reads JSONL with a neutral class (3-class softmax)" "$SENTI" train "$TMP/t3.jsonl" -o "$TMP/m3.st" --valid-fraction 0 --quiet --bits 12
check "3-class model has three labels" bash -c "'$SENTI' model info '$TMP/m3.st' | grep -q 'labels.negative,neutral,positive'"
printf 'label\ttext\n1\tgreat\n0\tawful\n' > "$TMP/bin.tsv"
check "3-class model on binary data: judged on its binary view" bash -c \
    "'$SENTI' eval '$TMP/m3.st' '$TMP/bin.tsv' --json | grep -q '\"binary_view\":true'"
"$SENTI" eval default "$DATA/sst2/dev.tsv" "$TMP/bin.tsv" --no-header --label-col 2 --text-col 3 \
    "$DATA/icwsm/tweets_GroundTruth.txt" > "$TMP/multi.txt"
check "eval over several data sets prints one table row each" bash -c \
    "grep -q '^dev.tsv ' '$TMP/multi.txt' && grep -q '^bin.tsv ' '$TMP/multi.txt' && grep -q '^tweets_GroundTruth.txt ' '$TMP/multi.txt'"
"$SENTI" eval default "$DATA/sst2/dev.tsv" "$TMP/bin.tsv" --json > "$TMP/multi.json"
check "eval --json over several data sets gives a datasets array" grep -qE '"datasets":\[\{"data":.*\},\{"data":' "$TMP/multi.json"
check "eval reports the expected calibration error and a reliability table" bash -c \
    "grep -qE '\"ece\":0\.[0-9]+' '$TMP/eval.json' && grep -q '\"reliability\":\[{' '$TMP/eval.json'"
expect_status "train without -o exits 2" 2 "$SENTI" train "$TMP/small.tsv"
# --partial-labels with --no-partial: the binary file named takes the usual loss (another
# spelling of its path names it too); misuse is a usage error
printf 'label\ttext\n1\tgreat fun\n0\tawful mess\n1\tgood film\n0\tbad film\n' > "$TMP/pol.tsv"
for v in a b c; do
    case $v in a) np=() ;; b) np=(--no-partial "$TMP/pol.tsv") ;; c) np=(--no-partial "$TMP/./pol.tsv") ;; esac
    "$SENTI" train "$TMP/t3.jsonl" "$TMP/pol.tsv" -o "$TMP/np_$v.st" --valid-fraction 0 --quiet --bits 12 \
        --partial-labels 1 "${np[@]}" > /dev/null 2>&1
done
check "--no-partial changes the model" bash -c "[ -s '$TMP/np_a.st' ] && ! cmp -s '$TMP/np_a.st' '$TMP/np_b.st'"
same "--no-partial names a file by any spelling" "$TMP/np_b.st" "$TMP/np_c.st"
expect_status "--no-partial without --partial-labels exits 2" 2 "$SENTI" train "$TMP/t3.jsonl" "$TMP/pol.tsv" \
    -o "$TMP/x.st" --no-partial "$TMP/pol.tsv"
expect_status "--no-partial of a file that is not trained on exits 2" 2 "$SENTI" train "$TMP/t3.jsonl" \
    -o "$TMP/x.st" --partial-labels 1 --no-partial "$TMP/pol.tsv"
expect_status "--lexicon-negation without --lexicon exits 2" 2 "$SENTI" train "$TMP/t3.jsonl" -o "$TMP/x.st" \
    --lexicon-negation flip
expect_status "--vocab-min 256 exits 2" 2 "$SENTI" train "$TMP/t3.jsonl" -o "$TMP/x.st" --vocab-min 256
expect_status "--lexicon-negation with an unknown mode exits 2" 2 "$SENTI" train "$TMP/t3.jsonl" -o "$TMP/x.st" \
    --lexicon-negation sideways
expect_status "train on a missing file exits 1" 1 "$SENTI" train /nonexistent.tsv -o "$TMP/x.st"
if [ -z "${SANITIZED:-}" ] && [ -z "${SENTI_QUICK:-}" ]; then
    # the committed default model is rebuilt bit for bit (what `make model` runs), once per
    # `make test` (not again for the sanitized binary; not in `make check`)
    make -s splits DATA="$DATA"
    args=$(make -s -n model DATA="$DATA" | grep ' train ' | sed -E 's/.* train (.*) -o .*/\1/')
    "$SENTI" train $args -o "$TMP/default.st" > /dev/null 2>&1
    same "make model rebuilds models/default.safetensors bit for bit" models/default.safetensors "$TMP/default.st"
fi

# a model whose labels would break JSON (or repeat) is refused at open, by every command
python3 tests/edit_model.py models/default.safetensors "$TMP/evil.st" 'labels=negative,neu"}
{"evil":"x,positive'
python3 tests/edit_model.py models/default.safetensors "$TMP/dup.st" 'labels=negative,negative,negative'
python3 tests/edit_model.py models/default.safetensors "$TMP/same.st"
same "edit_model.py with no edits rewrites the default model byte for byte" models/default.safetensors "$TMP/same.st"
for f in evil dup; do
    expect_status "predict --json refuses a model with $f labels" 1 "$SENTI" predict --json -m "$TMP/$f.st" "good"
    check "predict names the labels as the reason ($f)" bash -c "'$SENTI' predict -m '$TMP/$f.st' good 2>'$TMP/$f.err'; grep -q 'labels: label 2' '$TMP/$f.err'"
    expect_status "batch refuses a model with $f labels" 1 "$SENTI" batch -m "$TMP/$f.st" "$TMP/small.tsv" -o "$TMP/evil.out"
    expect_status "model verify refuses a model with $f labels" 1 "$SENTI" model verify "$TMP/$f.st"
done
# the kinds come from the library's registry
check "senti --help lists the registry's kinds" bash -c "'$SENTI' --help | grep -q '^  linear:FILE' && '$SENTI' --help | grep -q '^  vader:PATH'"
check "an unknown kind names the known ones" bash -c "'$SENTI' predict -m bert:/x good 2>&1 | grep -q 'known: linear, vader'"
check "model info gives the source, size and digest" bash -c \
    "'$SENTI' model info '$TMP/same.st' | grep -qx 'source	$TMP/same.st' && '$SENTI' model info '$TMP/same.st' | grep -qx \"bytes	\$(stat -c %s models/default.safetensors)\" && [ \"\$('$SENTI' model info '$TMP/same.st' | grep xxh128)\" = \"\$('$SENTI' model info default | grep xxh128)\" ]"
mkfifo "$TMP/fifo.st"
check "a FIFO as a model is refused at once (no hang)" bash -c "timeout 10 '$SENTI' model info '$TMP/fifo.st' 2>&1 | grep -q 'not a regular file'"

if [ -z "${SANITIZED:-}" ]; then
    # the shared library exports the API of senti.h and nothing else, and links only what it uses
    lib=$(dirname "$SENTI")/libsenti.so
    check "libsenti.so exports only senti_* symbols" bash -c \
        "nm -D --defined-only '$lib' | awk '{print \$3}' | grep -q '^senti_' && ! nm -D --defined-only '$lib' | awk '{print \$3}' | grep -v '^senti_'"
    check "libsenti.so does not link libcsv (the record readers are the programs')" bash -c \
        "ldd '$lib' | grep -q libxxhash && ! ldd '$lib' | grep -q libcsv"
fi

if [ -z "${SANITIZED:-}" ]; then
    # make install: binary, libraries, header and a pkg-config file a program can build against
    make -s install PREFIX="$TMP/inst" > "$TMP/install.log" 2>&1
    cat > "$TMP/app.c" <<'C'
#include <senti.h>
#include <stdio.h>
#include <string.h>
int main(void) {
    senti_model *m;
    char err[256];
    if (senti_model_open("default", NULL, &m, err, sizeof err)) return 1;
    senti_result r;
    const char *t = "what a wonderful film";
    if (senti_predict(m, NULL, t, strlen(t), &r)) return 1;
    printf("%s %s\n", senti_model_label(m, r.label), senti_version());
    senti_model_free(m);
    return 0;
}
C
    export PKG_CONFIG_PATH="$TMP/inst/lib/pkgconfig"
    check "make install: a program builds with pkg-config senti and runs" bash -c \
        "cc '$TMP/app.c' \$(pkg-config --cflags --libs senti) -o '$TMP/app' && LD_LIBRARY_PATH='$TMP/inst/lib' '$TMP/app' | grep -q '^positive '"
    check "make install: the installed senti runs" bash -c "'$TMP/inst/bin/senti' predict good | grep -q positive"
    check "make install: the installed senti serve runs senti-serve beside it" bash -c \
        "'$TMP/inst/bin/senti' serve --help | grep -q 'usage: senti serve'"
fi

finish
