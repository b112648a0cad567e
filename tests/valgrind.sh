#!/usr/bin/env bash
# valgrind memcheck over the CLI: every command must run with zero errors and zero
# definite or indirect leaks.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect)
head -n 2001 "$DATA/sst2/train.tsv" > "$TMP/small.tsv"
head -n 201 "$DATA/sst2/dev.tsv" > "$TMP/dev.tsv"
cut -f2 "$TMP/dev.tsv" | tail -n +2 > "$TMP/lines.txt"
printf 'bad\xff\x00 line\r\n\n' >> "$TMP/lines.txt"
vg() { local n=$1; shift; check "valgrind: $n" "${VG[@]}" "$SENTI" "$@"; }
vg "predict args" predict "what a wonderful, moving film" "" "not bad"
vg "predict --json stdin" predict --json < "$TMP/lines.txt"
vg "model info" model info default
check "valgrind: model verify on a corrupt file fails cleanly" bash -c \
    "head -c 3000 models/default.safetensors > '$TMP/c.st'; ${VG[*]} '$SENTI' model verify '$TMP/c.st'; test \$? -eq 1"
vg "eval" eval default "$TMP/dev.tsv" --threads 2
vg "train" train "$TMP/small.tsv" -o "$TMP/m.st" --bits 14 --epochs 2 --threads 2 --quiet
vg "batch lines" batch "$TMP/lines.txt" -o "$TMP/out.txt" --threads 2
vg "batch tsv" batch "$TMP/dev.tsv" -o "$TMP/out.tsv" --threads 2
vg "bench" bench --quick --runs 1 --warmup 0 --only load,single,batch,memory --data "$TMP/dev.tsv" --out "$TMP/bench"
if [ -d "$DATA/vader" ]; then
    vg "predict vader" predict --model "vader:$DATA/vader" --json "I LOVE it :) but not the ending!!" "meh"
fi
# the transformer kind: import (a checkpoint made by tests/transformer/make_hf.py, the tiny model),
# hf:DIR, a batch in packed chunks on 2 threads, a hostile checkpoint
if [ -r "$DATA/bert-base-uncased/vocab.txt" ]; then
    python3 tests/transformer/make_hf.py roberta "$TMP/rb" --vocab "$DATA/bert-base-uncased/vocab.txt" --bpe tests/tokenizer/bpe
    python3 tests/transformer/make_hf.py bert "$TMP/bad" --vocab "$DATA/bert-base-uncased/vocab.txt" --nan classifier.weight
    vg "model import int8" model import "$TMP/rb" -o "$TMP/rb.st" --dtype int8
    vg "predict hf:DIR" predict --model "hf:$TMP/rb" --json < "$TMP/lines.txt"
    vg "batch transformer" batch "$TMP/lines.txt" -o "$TMP/out-tf.txt" --model "$TMP/rb.st" --threads 2
    check "valgrind: a hostile checkpoint fails cleanly" bash -c "${VG[*]} '$SENTI' predict --model 'hf:$TMP/bad' good; test \$? -eq 1"
    # an int8 file whose stored column sum lies (the loader's panel check refuses it)
    python3 -c "import json,struct,sys; b=bytearray(open(sys.argv[1],'rb').read()); n=struct.unpack('<Q',b[:8])[0]
at=8+n+json.loads(b[8:8+n])['layer.0.q.qsum']['data_offsets'][0]; b[at]^=1; open(sys.argv[2],'wb').write(b)" "$TMP/rb.st" "$TMP/lie.st"
    check "valgrind: an int8 file with a lying sum fails cleanly" bash -c "${VG[*]} '$SENTI' predict --model '$TMP/lie.st' good; test \$? -eq 1"
    [ -r "$DATA/tiny-transformer/weights_f32le.bin" ] &&
        vg "model import --tiny" model import --tiny "$DATA/tiny-transformer" --vocab "$DATA/bert-base-uncased" -o "$TMP/tiny.st"
fi
# the transformer tokenizers (tests/tokenize_main.c): the three file layouts, spans, truncation
TOK=$(dirname "$SENTI")/test-tokenize
if [ -x "$TOK" ]; then
    check "valgrind: tokenizer bpe tokenizer.json" "${VG[@]}" "$TOK" --spans --tokens tests/tokenizer/bpe < "$TMP/lines.txt"
    check "valgrind: tokenizer bpe vocab.json + merges.txt" "${VG[@]}" "$TOK" --max 8 tests/tokenizer/bpe/legacy < "$TMP/lines.txt"
    [ -r "$DATA/bert-base-uncased/vocab.txt" ] &&
        check "valgrind: tokenizer wordpiece vocab.txt" "${VG[@]}" "$TOK" --spans "$DATA/bert-base-uncased" < "$TMP/lines.txt"
fi
finish
