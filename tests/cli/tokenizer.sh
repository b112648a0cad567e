#!/usr/bin/env bash
# The transformer tokenizers (src/models/transformer/tokenizer.h) against transformers.js.
# build/test-tokenize (tests/tokenize_main.c, beside $SENTI) encodes the texts of
# tests/tokenizer/corpus.py (SST-2, tweets with emoji, accents, CJK, invalid UTF-8, very long
# words, empty, random mixtures: about 4,700) with
#   bert        bert-base-uncased's tokenizer.json, written by tools/hf_tokenizers.py from
#               $DATA/bert-base-uncased/vocab.txt (WordPiece)
#   bpe         the byte-level BPE of tests/tokenizer/bpe (2,000 merges trained on SST-2 and
#               SemEval by tools/hf_tokenizers.py), and the same with add_prefix_space
# and every id must equal the reference's: transformers.js (npm @huggingface/transformers, the
# version of tests/tokenizer/package-lock.json, installed with npm ci --ignore-scripts if
# absent) on the same local files, reading each text as the C side does (invalid UTF-8 as
# U+FFFD per bad byte: the C program's --decode output is its input). Truncation keeps the
# final special token as Python's transformers does (transformers.js itself cuts it), so the
# reference's truncated ids are its full ids cut that way. The older files (vocab.txt;
# vocab.json + merges.txt) must give the ids of tokenizer.json. Without node the comparisons
# with the reference are skipped (said so), the rest still runs.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
TOK=${TOKENIZE:-$(dirname "$SENTI")/test-tokenize}
REF=tests/tokenizer
if [ ! -x "$TOK" ]; then
    echo "skip: $TOK is not built (make $(dirname "$SENTI")/test-tokenize)"
    finish; exit
fi
if [ ! -r "$DATA/bert-base-uncased/vocab.txt" ]; then
    echo "skip: $DATA/bert-base-uncased/vocab.txt is absent"
    finish; exit
fi

# ---- the tokenizers and the texts --------------------------------------------------------------
python3 tools/hf_tokenizers.py bert "$DATA/bert-base-uncased/vocab.txt" "$TMP/bert"
cp -r "$REF/bpe" "$TMP/bpe"
cp -r "$REF/bpe" "$TMP/bpe-prefix"
sed -i 's/"add_prefix_space":false/"add_prefix_space":true/g' "$TMP/bpe-prefix/tokenizer.json" \
    "$TMP/bpe-prefix/tokenizer_config.json" "$TMP/bpe-prefix/legacy/tokenizer_config.json"
python3 "$REF/corpus.py" "$DATA" > "$TMP/texts.hex"
"$TOK" --hex --decode "$TMP/bert" < "$TMP/texts.hex" > "$TMP/decoded.hex"
N=$(wc -l < "$TMP/texts.hex")
check "the corpus has thousands of texts ($N)" test "$N" -ge 3000

# ---- the reference ---------------------------------------------------------------------------------
have_node=0
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "skip: node is absent: no comparison with transformers.js"
elif [ -d "$REF/node_modules/@huggingface/transformers" ] ||
     (cd "$REF" && npm ci --ignore-scripts --no-audit --no-fund >"$TMP/npm.log" 2>&1); then
    have_node=1
else
    echo "skip: npm ci failed in $REF (no registry?): no comparison with transformers.js"
    sed 's/^/    /' "$TMP/npm.log" | tail -n 5
fi

# same_ids NAME FILE_C FILE_REF: equal line by line; shows the first differing texts
same_ids() {
    local bad
    bad=$(paste -d'|' "$2" "$3" | awk -F'|' '$1 != $2 { print NR }' | head -n 3)
    if [ -z "$bad" ] && [ "$(wc -l < "$2")" -eq "$(wc -l < "$3")" ] && [ "$(wc -l < "$2")" -eq "$N" ]; then
        ok "$1"
    else
        local detail="" l
        for l in $bad; do
            detail+="text $l: $(sed -n "${l}p" "$TMP/decoded.hex" | xxd -r -p | head -c 100)
      C:   $(sed -n "${l}p" "$2" | head -c 200)
      ref: $(sed -n "${l}p" "$3" | head -c 200)
    "
        done
        not_ok "$1" "$(wc -l < "$2") vs $(wc -l < "$3") lines; $detail"
    fi
}

# truncate MAX < ids: cut each line to MAX ids, keeping the last (the closing special token)
truncate_ids() { awk -v m="$1" '{ if (NF > m) { s = $1; for (i = 2; i < m; i++) s = s " " $i; print s " " $NF } else print }'; }

for k in bert bpe bpe-prefix; do
    "$TOK" --hex "$TMP/$k" < "$TMP/texts.hex" > "$TMP/$k.c" 2> "$TMP/$k.err"
    check "$k: the C tokenizer encodes every text" test "$(wc -l < "$TMP/$k.c")" -eq "$N" -a ! -s "$TMP/$k.err"
    "$TOK" --hex --max 16 "$TMP/$k" < "$TMP/texts.hex" > "$TMP/$k.c16"
    truncate_ids 16 < "$TMP/$k.c" > "$TMP/$k.cut"
    same_ids "$k: --max 16 is the full ids cut to 15 and the closing token" "$TMP/$k.c16" "$TMP/$k.cut"
    check "$k: --max 2 is the two special tokens for every text" \
        test "$("$TOK" --hex --max 2 "$TMP/$k" < "$TMP/texts.hex" | sort -u | wc -l)" -eq 1
    if [ "$have_node" = 1 ]; then
        (cd "$REF" && node reference.mjs "$TMP/$k" "$TMP/decoded.hex") > "$TMP/$k.ref" 2> "$TMP/$k.referr"
        same_ids "$k: the ids of transformers.js for all $N texts" "$TMP/$k.c" "$TMP/$k.ref"
        truncate_ids 16 < "$TMP/$k.ref" > "$TMP/$k.refcut"
        same_ids "$k: truncated to 16, the ids of transformers.js cut the same way" "$TMP/$k.c16" "$TMP/$k.refcut"
    fi
done

# every assigned plane's code points, alone and inside a word, through byte-level BPE (for
# WordPiece the documented differences of transformers.js, unassigned code points and CJK beyond
# the BMP, are everywhere in such a sweep: docs/TRANSFORMER.md gives its numbers). The reference
# takes half a minute of CPU here, so the sanitized run of this suite leaves it out.
if [ "$have_node" = 1 ] && [ -z "${SANITIZED:-}" ]; then
    python3 "$REF/corpus.py" --every-code-point > "$TMP/every.hex"
    "$TOK" --hex "$TMP/bpe" < "$TMP/every.hex" > "$TMP/every.c"
    (cd "$REF" && node reference.mjs "$TMP/bpe" "$TMP/every.hex") > "$TMP/every.ref"
    N_ALL=$N N=$(wc -l < "$TMP/every.hex")
    same_ids "bpe: every code point, alone and in a word: the ids of transformers.js ($N texts)" \
        "$TMP/every.c" "$TMP/every.ref"
    N=$N_ALL
fi

# ---- the older files ---------------------------------------------------------------------------------
"$TOK" --hex "$DATA/bert-base-uncased" < "$TMP/texts.hex" > "$TMP/vocab-txt.c"
same_ids "bert: vocab.txt alone gives the ids of tokenizer.json" "$TMP/vocab-txt.c" "$TMP/bert.c"
for k in bpe bpe-prefix; do
    "$TOK" --hex "$TMP/$k/legacy" < "$TMP/texts.hex" > "$TMP/$k-legacy.c"
    same_ids "$k: vocab.json + merges.txt give the ids of tokenizer.json" "$TMP/$k-legacy.c" "$TMP/$k.c"
done
"$TOK" "$TMP/bert/tokenizer.json" < /dev/null > "$TMP/file.out"
check "a tokenizer.json path loads as well as its folder" test $? -eq 0

# ---- hostile files: a message and exit 1, never a crash ------------------------------------------
head -c 100000 "$TMP/bert/tokenizer.json" > "$TMP/cut.json"
expect_status "a cut tokenizer.json is refused" 1 "$TOK" "$TMP/cut.json"
grep -q 'tokenizer.json: line' "$TMP/status.out" && ok "... with the line of the error" || not_ok "... with the line of the error" "$(cat "$TMP/status.out")"
sed 's/"type":"BertNormalizer"/"type":"NFKC"/' "$TMP/bert/tokenizer.json" > "$TMP/nfkc.json"
expect_status "an unsupported normalizer is refused, not ignored" 1 "$TOK" "$TMP/nfkc.json"
mkdir -p "$TMP/empty"
expect_status "a folder without tokenizer files is refused" 1 "$TOK" "$TMP/empty"
mkdir -p "$TMP/badmerge" && cp "$TMP/bpe/legacy/"* "$TMP/badmerge/" && printf 'zzqq xxyy\n' >> "$TMP/badmerge/merges.txt"
expect_status "a merge of tokens outside the vocabulary is refused" 1 "$TOK" "$TMP/badmerge"
finish
