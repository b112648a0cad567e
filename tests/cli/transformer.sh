#!/usr/bin/env bash
# The transformer kind against PyTorch: logits of BERT, DistilBERT and RoBERTa checkpoints
# computed by senti and by a reference forward pass written from the Hugging Face module
# layouts (tools/hf_checkpoint.py, Debian's python3-torch).
#
# Per architecture, a small random-weight checkpoint in the hub's layout is made here with a
# fixed seed (2 layers, hidden 64, 4 heads, 64 positions; bert with 3 labels, distilbert with
# ReLU and the hub's NEGATIVE/POSITIVE, roberta with gelu_new; one more bert under the old
# gamma/beta names with a position_ids buffer), its classifier calibrated on the texts so that
# labels split (hf_checkpoint.py calibrate). The 360-odd texts (tests/transformer/parity.py:
# SST-2, SemEval tweets, empty, one word, emoji, accents, CJK, invalid UTF-8, texts past the
# 64 positions, random mixtures) are tokenized once by senti's own tokenizer (build/test-tokenize:
# tokenization parity is tests/cli/tokenizer.sh's), so both sides see the same ids; the
# reference runs them in padded batches of 16 with an attention mask.
#   f32   hf:DIR (predict, and batch on 2 threads) and an imported f32 file: every logit
#         within 1e-4 of PyTorch's (plus half a unit of the last printed decimal)
#   f16   an imported f16 file against PyTorch on the weights rounded as the file holds them
#         (matrices f16, vectors f32): within 1e-4
#   int8  an imported int8 file against PyTorch emulating the same int8 scheme (per-row
#         weights, per-token activations, exact integer products): within 0.02; and against
#         f32: the same label on >= 95% of all texts and on >= 99% of the texts whose f32
#         margin is at least 0.2 standard deviations of the margins, median |error| <= 0.1 of
#         the logits' spread (random weights put many texts near the boundary, where 1% int8
#         noise decides; the trained tiny SST-2 model's accuracy check is transformer_files.sh's)
# Without python3-torch (make deps-test installs it) the suite says so and skips.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
PY=${PYTHON:-/usr/bin/python3}
TOK=${TOKENIZE:-$(dirname "$SENTI")/test-tokenize}
CK="$PY tools/hf_checkpoint.py"
PAR="$PY tests/transformer/parity.py"
if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
    echo "skip: $PY has no torch/numpy (apt-get install python3-torch python3-numpy)"
    finish; exit
fi
for need in "$TOK" "$DATA/bert-base-uncased/vocab.txt"; do
    [ -e "$need" ] || { not_ok "$need is there" "build it (make $TOK) or fetch the data"; finish; exit; }
done
export OMP_NUM_THREADS=1

$PAR texts "$DATA" > "$TMP/texts.hex"
N=$(wc -l < "$TMP/texts.hex")
check "at least 300 texts ($N)" test "$N" -ge 300

# within NAME REF GOT TOL [--fraction F]: every logit of GOT (of F of the texts) within TOL of REF
within() {
    local name=$1
    shift
    if $PAR compare "$1" "$2" --max-abs "$3" "${@:4}" > "$TMP/cmp.out" 2>&1; then
        ok "$name: $(cat "$TMP/cmp.out")"
    else
        not_ok "$name" "$(cat "$TMP/cmp.out")"
    fi
}
# agree NAME REF GOT OPTIONS...: labels and errors of GOT against REF (parity.py agree)
agree() {
    local name=$1
    shift
    if $PAR agree "$@" > "$TMP/agree.out" 2>&1; then
        ok "$name: $(cat "$TMP/agree.out")"
    else
        not_ok "$name" "$(cat "$TMP/agree.out")"
    fi
}
# logits NAME MODEL LABELS [--batch]: senti's logits of every text into $TMP/NAME
logits() {
    local name=$1 model=$2 labels=$3
    shift 3
    $PAR senti "$SENTI" "$model" "$labels" "$@" < "$TMP/texts.hex" > "$TMP/$name" 2> "$TMP/$name.err"
    check "$name: senti scores all $N texts" test "$(wc -l < "$TMP/$name")" -eq "$N" -a ! -s "$TMP/$name.err"
}

# parity ARCH LABELS SENTI_LABELS MAKE_OPTIONS...
parity() {
    local a=$1 labels=$2 names=$3 d=$TMP/$1
    shift 3
    $CK make --arch "${a%-*}" --out "$d" --seed 13 --labels "$labels" "$@" > "$TMP/make.out" 2>&1
    check "$a: a checkpoint in the hub's layout" test -s "$d/model.safetensors" -a -s "$d/config.json"
    local max=$($PY -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["max_position_embeddings"] - (2 if c["model_type"] == "roberta" else 0))' "$d/config.json")
    "$TOK" --hex --max "$max" "$d" < "$TMP/texts.hex" > "$TMP/$a.ids"
    $CK logits "$d" --calibrate 3 --all "$TMP/$a" < "$TMP/$a.ids"
    within "$a: the reference, padded batches of 16 vs one text at a time" "$TMP/$a.f32-1" "$TMP/$a.f32" 1e-4
    check "$a: some texts are cut at $max tokens" test "$(awk -v m="$max" 'NF == m' "$TMP/$a.ids" | wc -l)" -ge 5

    logits "$a.hf" "hf:$d" "$names"
    within "$a: f32, hf:DIR, senti predict = PyTorch" "$TMP/$a.f32" "$TMP/$a.hf" 1e-4
    logits "$a.batch" "hf:$d" "$names" --batch --threads 2
    within "$a: f32, hf:DIR, senti batch on 2 threads = PyTorch" "$TMP/$a.f32" "$TMP/$a.batch" 1e-4
    [ "$a" = bert-legacy ] && return
    local t
    for t in f32 f16 int8; do
        "$SENTI" model import "$d" -o "$TMP/$a.$t.safetensors" --dtype "$t" > "$TMP/import.out" 2>&1
        check "$a: senti model import --dtype $t" test $? -eq 0
        logits "$a.got.$t" "$TMP/$a.$t.safetensors" "$names"
    done
    within "$a: f32, imported file = PyTorch" "$TMP/$a.f32" "$TMP/$a.got.f32" 1e-4
    within "$a: f16 file = PyTorch on the same f16-rounded weights" "$TMP/$a.f16" "$TMP/$a.got.f16" 1e-4
    within "$a: int8 file = PyTorch emulating the int8 scheme, on >= 90% of the texts" \
        "$TMP/$a.int8" "$TMP/$a.got.int8" 1e-3 --fraction 0.9
    agree "$a: int8 labels vs f32" "$TMP/$a.f32" "$TMP/$a.got.int8" --min-all 0.9 --min-decided 0.99 \
        --decided 0.2 --max-median 0.15
    agree "$a: int8 labels vs the int8 emulation" "$TMP/$a.int8" "$TMP/$a.got.int8" --min-all 0.99 \
        --min-decided 1 --decided 0.2 --max-median 0.01
}

parity bert negative,neutral,positive negative,neutral,positive --act gelu
parity distilbert NEGATIVE,POSITIVE negative,positive --act relu
parity roberta negative,positive negative,positive --act gelu_new
parity bert-legacy LABEL_0,LABEL_1 LABEL_0,LABEL_1 --act gelu --legacy --seed 7

# --max-tokens lowers the limit: the reference on ids cut to 16
"$TOK" --hex --max 16 "$TMP/roberta" < "$TMP/texts.hex" > "$TMP/cut.ids"
$CK logits "$TMP/roberta" < "$TMP/cut.ids" > "$TMP/cut.ref"
"$SENTI" model import "$TMP/roberta" -o "$TMP/cut.safetensors" --max-tokens 16 > /dev/null 2>&1
logits cut16 "$TMP/cut.safetensors" negative,positive
within "roberta: import --max-tokens 16 = PyTorch on 16 ids" "$TMP/cut.ref" "$TMP/cut16" 1e-4
finish
