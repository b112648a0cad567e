#!/usr/bin/env bash
# The transformer kind's files: `senti model import` (f32, f16, int8) of BERT, DistilBERT and
# RoBERTa checkpoints, the same checkpoints read directly as hf:DIR, hostile checkpoints and
# files (each refused with a message naming the reason, exit status 1, never a crash), and the
# tiny pre-LN SST-2 model of $DATA/tiny-transformer end to end: its SST-2 dev accuracy and its
# 872 reference logits.
# The checkpoints are made here with random weights by tests/transformer/make_hf.py (standard
# library only; the files' layout is tools/hf_layout.py's, as for tools/hf_checkpoint.py) from a vocab.txt cut from $DATA/bert-base-uncased and the byte-level BPE
# tokenizer of tests/tokenizer/bpe.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
VOCAB=$DATA/bert-base-uncased/vocab.txt
if [ ! -r "$VOCAB" ]; then
    echo "skip: $VOCAB is absent"
    finish; exit
fi
MK() { python3 tests/transformer/make_hf.py "$@" --vocab "$VOCAB" --bpe tests/tokenizer/bpe; }

# texts: SST-2 dev sentences, and the edges (empty, one word, longer than the positions, emoji,
# accents, CJK, invalid UTF-8)
{
    tail -n +2 "$DATA/sst2/dev.tsv" | head -n 40 | cut -f2
    printf '\n'
    printf 'good\n'
    for i in $(seq 60); do printf 'the film is long and dull but the actors are wonderful '; done; printf '\n'
    printf 'loved it \360\237\230\215\360\237\216\211 so much\n'
    printf 'caf\303\251 na\303\257ve r\303\251sum\303\251 \346\227\245\346\234\254\350\252\236\n'
    printf 'broken \377\376 bytes \300\n'
} > "$TMP/texts.txt"
N=$(wc -l < "$TMP/texts.txt")

# ---- import, and the file against the folder ----------------------------------------------------
for a in bert distilbert roberta; do
    MK "$a" "$TMP/$a" > "$TMP/mk.out" 2>&1 || { not_ok "make_hf.py $a" "$(cat "$TMP/mk.out")"; continue; }
    for dt in f32 f16 int8; do
        check "$a: import --dtype $dt" "$SENTI" model import "$TMP/$a" -o "$TMP/$a.$dt.st" --dtype "$dt"
    done
    "$SENTI" predict --json --model "hf:$TMP/$a" < "$TMP/texts.txt" > "$TMP/$a.hf.jsonl" 2> "$TMP/$a.err"
    check "$a: hf:DIR scores every text" test "$(wc -l < "$TMP/$a.hf.jsonl")" -eq "$N"
    "$SENTI" predict --json --model "$TMP/$a.f32.st" < "$TMP/texts.txt" > "$TMP/$a.f32.jsonl" 2>&1
    same "$a: the f32 file gives exactly the answers of hf:DIR" "$TMP/$a.hf.jsonl" "$TMP/$a.f32.jsonl"
    "$SENTI" predict --json --model "transformer:$TMP/$a" < "$TMP/texts.txt" > "$TMP/$a.tf.jsonl" 2>&1
    same "$a: transformer:DIR is hf:DIR" "$TMP/$a.hf.jsonl" "$TMP/$a.tf.jsonl"
    for dt in f16 int8; do
        "$SENTI" predict --json --model "$TMP/$a.$dt.st" < "$TMP/texts.txt" > "$TMP/$a.$dt.jsonl" 2>&1
    done
    check "$a: f16 and int8 logits near f32's, labels mostly the same" python3 - "$TMP/$a" <<'EOF'
import json, sys
p = sys.argv[1]
f32, f16, i8 = ([json.loads(l) for l in open(p + s)] for s in (".f32.jsonl", ".f16.jsonl", ".int8.jsonl"))
def diff(a, b):
    return max(abs(x[k] - y[k]) for x, y in zip(a, b) for k in x if k.startswith("logit_"))
margin = [x["logit_positive"] - x["logit_negative"] for x in f32]
spread = max(margin) - min(margin)
same = sum(x["label"] == y["label"] for x, y in zip(f32, i8)) / len(f32)
print("f16", diff(f32, f16), "int8", diff(f32, i8), "int8 same label", same, "f32 margin spread", spread)
assert len(f32) == len(f16) == len(i8) > 40
assert spread > 0.3, "the logits hardly depend on the text: no test"
assert diff(f32, f16) < 0.02 * spread and diff(f32, i8) < 0.2 * spread and same >= 0.9
EOF
    "$SENTI" batch "$TMP/texts.txt" -f lines --model "$TMP/$a.int8.st" --threads 1 > "$TMP/$a.b1" 2>/dev/null
    "$SENTI" batch "$TMP/texts.txt" -f lines --model "$TMP/$a.int8.st" --threads 2 > "$TMP/$a.b2" 2>/dev/null
    same "$a: batch on 2 threads (packed chunks) = on 1 thread" "$TMP/$a.b1" "$TMP/$a.b2"
    "$SENTI" predict --model "$TMP/$a.int8.st" < "$TMP/texts.txt" 2>/dev/null | awk -F'\t' '{printf "%s\t%.4f\n", $1, $2}' > "$TMP/$a.p1"
    awk -F'\t' '{printf "%s\t%.4f\n", $1, $2}' "$TMP/$a.b2" > "$TMP/$a.b2n"
    same "$a: batch = predict text by text" "$TMP/$a.p1" "$TMP/$a.b2n"
    long="$(head -n 40 "$TMP/texts.txt" | tr '\n' ' ')"
    for dt in f32 int8; do
        "$SENTI" predict --json --model "$TMP/$a.$dt.st" "$long" > "$TMP/$a.t1" 2>&1
        "$SENTI" predict --json --model "$TMP/$a.$dt.st" --threads 3 "$long" > "$TMP/$a.t3" 2>&1
        check "$a $dt: a long text is cut to the positions" grep -q '"logit_' "$TMP/$a.t1"
        same "$a $dt: one long text on 3 threads = on 1 (the same bits)" "$TMP/$a.t1" "$TMP/$a.t3"
    done
done
expect_status "predict --threads 17 is refused" 2 "$SENTI" predict --model "$TMP/bert.f32.st" --threads 17 good
check "labels NEGATIVE/POSITIVE read as negative/positive" grep -q '"scores":{"negative":[0-9.]*,"positive"' "$TMP/bert.f32.jsonl"

# sizes: int8 at most 30% of f32 (a checkpoint where the weights dominate)
MK bert "$TMP/wide" --hidden 128 --ff 512 --heads 4 > /dev/null 2>&1
"$SENTI" model import "$TMP/wide" -o "$TMP/wide.f32.st" > /dev/null 2>&1
"$SENTI" model import "$TMP/wide" -o "$TMP/wide.int8.st" --dtype int8 > /dev/null 2>&1
s32=$(stat -c %s "$TMP/wide.f32.st"); s8=$(stat -c %s "$TMP/wide.int8.st")
echo "# sizes: f32 $s32, int8 $s8 bytes"
check "int8 file <= 30% of the f32 file ($s8 / $s32)" test $((s8 * 100)) -le $((s32 * 30))

# options: labels, 3 classes, max tokens, old names, f16/bf16 checkpoints
MK roberta "$TMP/r3" --labels LABEL_0,LABEL_1,LABEL_2 --act gelu_new > /dev/null 2>&1
check "3 labels: import --labels renames them" "$SENTI" model import "$TMP/r3" -o "$TMP/r3.st" --labels neg,neu,pos
"$SENTI" model info "$TMP/r3.st" > "$TMP/r3.info" 2>&1
check "3 labels: info shows the new names" grep -q '^labels	neg,neu,pos$' "$TMP/r3.info"
expect_status "import --labels with the wrong count" 2 "$SENTI" model import "$TMP/r3" -o "$TMP/x.st" --labels a,b
"$SENTI" model info "$TMP/bert.int8.st" > "$TMP/info" 2>&1
for k in 'arch	bert' 'layers	2' 'hidden	32' 'heads	4' 'dtype	int8' 'vocab_size	' 'max_tokens	40' 'labels	negative,positive'; do
    check "model info shows '$k'" grep -q "^$k" "$TMP/info"
done
"$SENTI" model info "hf:$TMP/distilbert" > "$TMP/info" 2>&1
check "model info hf:DIR shows the architecture" grep -q '^source_architecture	DistilBertForSequenceClassification' "$TMP/info"
check "import --max-tokens 16 is recorded" "$SENTI" model import "$TMP/bert" -o "$TMP/b16.st" --max-tokens 16
"$SENTI" predict --json --model "$TMP/b16.st" "$(head -n 1 "$TMP/texts.txt") and more words here to pass sixteen tokens" > "$TMP/b16.out" 2>&1
"$SENTI" predict --json --model "$TMP/bert.f32.st" --max-tokens 16 "$(head -n 1 "$TMP/texts.txt") and more words here to pass sixteen tokens" > "$TMP/m16.out" 2>&1
same "--max-tokens 16 at predict = import --max-tokens 16" "$TMP/b16.out" "$TMP/m16.out"
expect_status "import --max-tokens above the positions" 1 "$SENTI" model import "$TMP/bert" -o "$TMP/x.st" --max-tokens 41
expect_status "predict --max-tokens 2 (no room beside [CLS] [SEP])" 1 "$SENTI" predict --model "$TMP/bert.f32.st" --max-tokens 2 good
for act in relu gelu_pytorch_tanh; do
    MK distilbert "$TMP/act-$act" --act $act > /dev/null 2>&1
    "$SENTI" model import "$TMP/act-$act" -o "$TMP/act-$act.st" > /dev/null 2>&1
    "$SENTI" predict --json --model "$TMP/act-$act.st" < "$TMP/texts.txt" > "$TMP/act1" 2>&1
    "$SENTI" predict --json --model "hf:$TMP/act-$act" < "$TMP/texts.txt" > "$TMP/act2" 2>&1
    check "activation $act: the file scores every text as hf:DIR does" bash -c "[ \$(wc -l < '$TMP/act1') -eq $N ] && cmp -s '$TMP/act1' '$TMP/act2'"
    check "activation $act: recorded" bash -c "'$SENTI' model info '$TMP/act-$act.st' | grep -q '^hidden_act	$( [ $act = relu ] && echo relu || echo gelu_tanh)$'"
done
cp -r "$TMP/bert" "$TMP/bert-cased"
echo '{"do_lower_case": false}' > "$TMP/bert-cased/tokenizer_config.json"
d1=$("$SENTI" model info "hf:$TMP/bert" | grep xxh128); d2=$("$SENTI" model info "hf:$TMP/bert-cased" | grep xxh128)
check "hf:DIR's digest covers the tokenizer files ($d1 / $d2)" test -n "$d1" -a "$d1" != "$d2"
MK bert "$TMP/gb" --gamma-beta > /dev/null 2>&1
"$SENTI" predict --json --model "hf:$TMP/gb" < "$TMP/texts.txt" > "$TMP/gb.jsonl" 2>&1
same "BERT LayerNorms under gamma/beta names read as weight/bias" "$TMP/bert.hf.jsonl" "$TMP/gb.jsonl"
for dt in F16 BF16; do
    MK distilbert "$TMP/d$dt" --dtype $dt > /dev/null 2>&1
    check "a $dt checkpoint opens and scores" "$SENTI" predict --model "hf:$TMP/d$dt" "good film"
done

# ---- hostile checkpoints: a clear error, exit 1, no crash ----------------------------------------
# hostile NAME PATTERN MAKE_HF_ARGS...: hf:DIR and import both refuse with PATTERN in the message
hostile() {
    local n=$1 pat=$2 arch=$3; shift 3
    rm -rf "$TMP/h" "$TMP/h.st"
    MK "$arch" "$TMP/h" "$@" > "$TMP/mk.out" 2>&1 || { not_ok "$n (make_hf.py)" "$(cat "$TMP/mk.out")"; return; }
    "$SENTI" predict --model "hf:$TMP/h" "good film" > "$TMP/h.out" 2>&1
    local rc=$?
    "$SENTI" model import "$TMP/h" -o "$TMP/h.st" > "$TMP/h2.out" 2>&1
    local rc2=$?
    if [ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -q -- "$pat" "$TMP/h.out" && grep -q -- "$pat" "$TMP/h2.out" && [ ! -e "$TMP/h.st" ]; then
        ok "$n"
    else
        not_ok "$n" "exit $rc/$rc2: $(head -c 300 "$TMP/h.out")"
    fi
}
L1=bert.encoder.layer.1
hostile "missing tensor" "tensor '$L1.output.dense.weight' is missing" bert --drop $L1.output.dense.weight
hostile "missing classifier" "tensor 'classifier.weight' is missing" distilbert --drop classifier.weight
hostile "shape disagrees with config.json" "has shape \[65, 32\] where the configuration says \[64, 32\]" bert --reshape $L1.intermediate.dense.weight
hostile "intermediate_size disagrees" "where the configuration says" roberta --config intermediate_size=80
hostile "wrong dtype" "has dtype I32" bert --int32 bert.pooler.dense.weight
hostile "NaN weight" "holds NaN or infinity" bert --nan $L1.attention.self.key.weight
hostile "infinite f16 weight" "holds NaN or infinity" distilbert --dtype F16 --inf distilbert.embeddings.word_embeddings.weight
hostile "infinite LayerNorm bias" "holds NaN or infinity" roberta --inf roberta.embeddings.LayerNorm.bias
hostile "absurd vocab_size (2^40)" "vocab_size = 1099511627776 is outside" bert --config vocab_size=1099511627776
hostile "a 2^40-row embedding in the header" "model.safetensors" bert --huge-embedding
hostile "hidden not a multiple of heads" "hidden size 32 is not a multiple of the 5 attention heads" bert --heads 5
hostile "9 labels" "9 labels" bert --labels a,b,c,d,e,f,g,h,i
hostile "1 label" "1 labels" bert --config 'id2label={"0":"score"}'
hostile "unknown architecture" "BertForMaskedLM' is not supported" bert --config 'architectures=["BertForMaskedLM"]'
hostile "unknown activation" "activation 'swish' is not supported" bert --act swish
hostile "multi-label problem type" "problem_type" bert --config 'problem_type="multi_label_classification"'
hostile "relative positions" "position_embedding_type" bert --config 'position_embedding_type="relative_key"'
hostile "layer count as a string" "'num_hidden_layers' is not a non-negative integer" bert --config 'num_hidden_layers="2"'
hostile "malformed tokenizer.json" "tokenizer" bert --bad-tokenizer
hostile "tokenizer larger than the embeddings" "the tokenizer has 515 ids but the word embeddings only 100 rows" bert --rows 100
hostile "pytorch_model.bin only" "safe_serialization=True" bert --pytorch-only
rm -rf "$TMP/h"; MK bert "$TMP/h" > /dev/null 2>&1
printf '{"architectures": ["BertForSequ' > "$TMP/h/config.json"
expect_status "config.json not JSON" 1 "$SENTI" predict --model "hf:$TMP/h" good
rm -rf "$TMP/h"; MK bert "$TMP/h" > /dev/null 2>&1
head -c 5000 "$TMP/bert/model.safetensors" > "$TMP/h/model.safetensors"
expect_status "model.safetensors cut short" 1 "$SENTI" predict --model "hf:$TMP/h" good
rm -rf "$TMP/h"; MK bert "$TMP/h" > /dev/null 2>&1
mv "$TMP/h/model.safetensors" "$TMP/h/model-00001-of-00001.safetensors"; echo '{}' > "$TMP/h/model.safetensors.index.json"
"$SENTI" predict --model "hf:$TMP/h" good > "$TMP/h.out" 2>&1
check "a sharded checkpoint: refused with how to save it whole" grep -q "sharded checkpoint.*max_shard_size" "$TMP/h.out"
expect_status "hf: of a missing folder" 1 "$SENTI" predict --model "hf:$TMP/nothing" good
hostile "more positions than the attention scratch is bounded for" "outside 1..4096" bert --maxpos 5000
MK bert "$TMP/comma" --config 'id2label={"0":"x,y","1":"z"}' > /dev/null 2>&1
"$SENTI" model import "$TMP/comma" -o "$TMP/comma.st" > "$TMP/comma.out" 2>&1
check "import: a label with a comma is named in the message, no file written" \
    sh -c "grep -q 'id2label\\[\"0\"\\].*comma.*--labels' '$TMP/comma.out' && [ ! -e '$TMP/comma.st' ]"
check "import --labels renames a label with a comma" "$SENTI" model import "$TMP/comma" -o "$TMP/comma.st" --labels a,b
# finite weights whose logits overflow: each text fails (SENTI_ERANGE), never a label with NaN scores
MK bert "$TMP/big" --huge classifier.weight > /dev/null 2>&1
"$SENTI" predict --json --model "hf:$TMP/big" "good film" "bad" > "$TMP/big.out" 2> "$TMP/big.err"
rc=$?
if [ $rc -eq 3 ] && [ ! -s "$TMP/big.out" ] && [ "$(grep -c 'out of range' "$TMP/big.err")" -eq 2 ]; then
    ok "logits that overflow: no answer, each text reported"
else
    not_ok "logits that overflow: no answer, each text reported" "exit $rc: $(head -c 300 "$TMP/big.out" "$TMP/big.err")"
fi
# senti serve --model-map off reads hf:DIR's weights into memory: the file may then change
if command -v curl > /dev/null; then
    MK bert "$TMP/rd" > /dev/null 2>&1
    "$SENTI" serve --host 127.0.0.1 --port 0 --port-file "$TMP/rd.port" --model "hf:$TMP/rd" --model-map off \
        > /dev/null 2> "$TMP/rd.err" &
    rd_pid=$!
    PIDS+=("$rd_pid")
    for _ in $(seq 1 200); do [ -s "$TMP/rd.port" ] && break; sleep 0.05; done
    truncate -s 4096 "$TMP/rd/model.safetensors"
    code=$(curl -s -o "$TMP/rd.body" -w '%{http_code}' --max-time 20 -H 'Content-Type: application/json' \
        --data '{"text":"a good film"}' "http://127.0.0.1:$(cat "$TMP/rd.port")/v1/sentiment")
    check "serve --model-map off: hf:DIR's weights are read, so a truncated file does not hurt (got $code)" \
        grep -q '"label"' "$TMP/rd.body"
    kill -TERM "$rd_pid" 2> /dev/null
    wait "$rd_pid" 2> /dev/null
fi
expect_status "hf: of a linear model file" 1 "$SENTI" predict --model hf:models/default.safetensors good

# ---- hostile senti files: metadata edited in a file import wrote ----------------------------------
# retag IN OUT KEY=VALUE...: the same tensors under edited metadata (VALUE "" deletes KEY)
retag() {
    python3 - "$@" <<'EOF'
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    if k.startswith("rename:"):  # rename:NAME=NEW renames a tensor
        h[v] = h.pop(k[7:])
    elif v:
        h["__metadata__"][k] = v
    else:
        h["__metadata__"].pop(k, None)
t = json.dumps(h).encode()
t += b" " * ((64 - (8 + len(t)) % 64) % 64)
open(dst, "wb").write(struct.pack("<Q", len(t)) + t + b[8 + n:])
EOF
}
# bad_file NAME PATTERN KEY=VALUE...: the int8 file (SRC=FILE: another) edited by retag
# (EDIT=poke: by poke, below) is refused with PATTERN in the message, exit status 1
bad_file() {
    local n=$1 pat=$2; shift 2
    ${EDIT:-retag} "${SRC:-$TMP/bert.int8.st}" "$TMP/bad.st" "$@"
    "$SENTI" predict --model "$TMP/bad.st" "good film" > "$TMP/bad.out" 2>&1
    local rc=$?
    if [ $rc -eq 1 ] && grep -q -- "$pat" "$TMP/bad.out"; then ok "$n"; else not_ok "$n" "exit $rc: $(head -c 300 "$TMP/bad.out")"; fi
}
retag "$TMP/bert.int8.st" "$TMP/same.st"
check "file: the retag helper keeps a file valid" "$SENTI" predict --model "$TMP/same.st" good
bad_file "file: layers beyond the tensors" "tensor 'layer.2.q.weight' is missing" layers=3
bad_file "file: 999 layers" "layers = 999 is outside" layers=999
bad_file "file: hidden disagrees" "where the configuration says" hidden=64 heads=4
bad_file "file: unknown arch" "metadata 'arch'" arch=gpt2
bad_file "file: format_version 3" "format_version" format_version=3
bad_file "file: labels missing" "metadata 'labels'" labels=
SRC=$TMP/bert.f32.st bad_file "file: labels count disagrees" "cls.weight' has shape" labels=a,b,c
# int8: 2 and 3 outputs fill one 16-column panel alike, so the bias tells
bad_file "file: labels count disagrees (int8)" "cls.bias' has shape \[2\] where the configuration says \[3\]" labels=a,b,c
bad_file "file: max_tokens over the positions" "exceeds the 40 positions" max_tokens=41
bad_file "file: eps not a number" "layer_norm_eps" layer_norm_eps=small
bad_file "file: no tokenizer" "no tokenizer" rename:tok.vocab.txt=tok.other

retag "$TMP/bert.f32.st" "$TMP/v1.st" format_version=1
"$SENTI" predict --json --model "$TMP/v1.st" < "$TMP/texts.txt" > "$TMP/v1.jsonl" 2>&1
same "file: an f32 file of format_version 1 still reads" "$TMP/bert.f32.jsonl" "$TMP/v1.jsonl"

# ---- hostile int8 panels: the bytes the kernels trust, edited in a file import wrote ----------------
# poke IN OUT EDIT...: EDIT is NAME[i]=TYPE:VALUE (a value of the tensor, TYPE i8/i32/f32; i32:+N
# adds N), shape:NAME=d0,d1,.. (its shape, the bytes unchanged), rename:NAME=NEW, cut:BYTES
poke() {
    python3 - "$@" <<'EOF'
import json, re, struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = bytearray(open(src, "rb").read())
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
cut = None
for e in sys.argv[3:]:
    if e.startswith("shape:"):
        k, v = e[6:].split("=")
        h[k]["shape"] = [int(x) for x in v.split(",")]
    elif e.startswith("rename:"):
        k, v = e[7:].split("=")
        h[v] = h.pop(k)
    elif e.startswith("cut:"):
        cut = int(e[4:])
    else:
        name, i, t, v = re.fullmatch(r"(.+)\[(\d+)\]=(i8|i32|f32):(.+)", e).groups()
        fmt, size = {"i8": ("<b", 1), "i32": ("<i", 4), "f32": ("<f", 4)}[t]
        at = 8 + n + h[name]["data_offsets"][0] + int(i) * size
        if t == "i32" and v.startswith("+"):
            v = struct.unpack(fmt, b[at:at + 4])[0] + int(v)
        struct.pack_into(fmt, b, at, float(v) if t == "f32" else int(v))
t = json.dumps(h).encode()
t += b" " * ((64 - (8 + len(t)) % 64) % 64)
out = struct.pack("<Q", len(t)) + t + b[8 + n:]
open(dst, "wb").write(out[:cut] if cut else out)
EOF
}
poke "$TMP/bert.int8.st" "$TMP/same.st" 'layer.0.q.qsum[0]=i32:+0'
check "int8: the poke helper keeps a file valid" "$SENTI" predict --model "$TMP/same.st" good
check "int8: the file holds packed panels, format_version 2" python3 -c "
import json, struct, sys
b = open(sys.argv[1], 'rb').read(); h = json.loads(b[8:8 + struct.unpack('<Q', b[:8])[0]])
assert h['__metadata__']['format_version'] == '2'
assert h['layer.0.q.qpanels']['dtype'] == 'I8' and h['layer.0.q.qpanels']['shape'] == [2, 8, 64]
assert h['cls.qsum']['dtype'] == 'I32' and h['cls.qscale']['shape'] == [16]
assert 'layer.0.q.weight' not in h and h['emb.word.weight']['dtype'] == 'I8'" "$TMP/bert.int8.st"
# cls is 2 x 32: one panel of 16 columns, 14 of them padding (column 15, k 0 is byte 60)
EDIT=poke bad_file "int8: a nonzero padding byte" "cls.{qpanels,qscale,qsum}' hold padding that is not zero (column 0)" 'cls.qpanels[60]=i8:1'
EDIT=poke bad_file "int8: a nonzero padding scale" "padding that is not zero (column 5)" 'cls.qscale[5]=f32:0.5'
EDIT=poke bad_file "int8: a sum that lies" "layer.0.q.{qpanels,qscale,qsum}' hold a sum that is not its weights' sum (column 7)" 'layer.0.q.qsum[7]=i32:+1'
EDIT=poke bad_file "int8: a negative scale" "layer.1.ff1.{qpanels,qscale,qsum}' hold a scale that is negative, NaN" 'layer.1.ff1.qscale[3]=f32:-0.01'
EDIT=poke bad_file "int8: a NaN scale" "a scale that is negative, NaN, infinite" 'layer.0.o.qscale[0]=f32:nan'
EDIT=poke bad_file "int8: an infinite scale" "a scale that is negative, NaN, infinite" 'layer.0.o.qscale[31]=f32:inf'
EDIT=poke bad_file "int8: panels of another shape" "'layer.0.k.qpanels' has shape \[2, 8, 32, 2\] where the configuration says \[2, 8, 64\]" 'shape:layer.0.k.qpanels=2,8,32,2'
EDIT=poke bad_file "int8: sums of another shape" "'pool.qsum' has shape \[16, 2\]" 'shape:pool.qsum=16,2'
EDIT=poke bad_file "int8: scales missing" "tensor 'layer.1.v.qscale' is missing" 'rename:layer.1.v.qscale=x'
EDIT=poke bad_file "int8: the old I8 [out x in] layout" "before format_version 2" 'rename:layer.0.q.qpanels=layer.0.q.weight' 'shape:layer.0.q.weight=32,32'
off=$(python3 -c "import json,struct,sys; b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; print(8+n+json.loads(b[8:8+n])['layer.1.ff2.qpanels']['data_offsets'][0]+100)" "$TMP/bert.int8.st")
EDIT=poke bad_file "int8: the file cut inside a panel tensor" "bad.st" "cut:$off"
if grep -q avx512_vnni /proc/cpuinfo && grep -q avx512bw /proc/cpuinfo; then
    SENTI_KERNELS=avx512 "$SENTI" predict --json --model "$TMP/bert.int8.st" < "$TMP/texts.txt" > "$TMP/k1.jsonl" 2>&1
    SENTI_KERNELS=avx512vnni "$SENTI" predict --json --model "$TMP/bert.int8.st" < "$TMP/texts.txt" > "$TMP/k2.jsonl" 2>&1
    same "int8: the VNNI kernel (which reads the stored sums) answers as AVX-512BW does" "$TMP/k1.jsonl" "$TMP/k2.jsonl"
fi

# ---- the tiny SST-2 model: real weights, real answers ---------------------------------------------
TINY=$DATA/tiny-transformer
if [ -r "$TINY/weights_f32le.bin" ] && [ -r "$DATA/sst2/dev.tsv" ]; then
    for dt in f32 int8; do
        check "tiny: import --tiny --dtype $dt" "$SENTI" model import --tiny "$TINY" --vocab "$DATA/bert-base-uncased" -o "$TMP/tiny.$dt.st" --dtype $dt
        "$SENTI" eval "$TMP/tiny.$dt.st" "$DATA/sst2/dev.tsv" > "$TMP/tiny.$dt.eval" 2>&1
        grep '^accuracy' "$TMP/tiny.$dt.eval"
    done
    acc32=$(awk '/^accuracy/ {print $2}' "$TMP/tiny.f32.eval"); acc8=$(awk '/^accuracy/ {print $2}' "$TMP/tiny.int8.eval")
    check "tiny: f32 SST-2 dev accuracy $acc32 in [0.810, 0.820] (reported 0.8154, reproduced 0.8177)" \
        awk -v a="$acc32" 'BEGIN { exit !(a >= 0.810 && a <= 0.820) }'
    check "tiny: int8 accuracy $acc8 within 0.5 point of f32's" awk -v a="$acc32" -v b="$acc8" 'BEGIN { d = a - b; exit !(d <= 0.005 && d >= -0.005) }'
    tail -n +2 "$TINY/sst2_dev_logits.tsv" | cut -f5 | "$SENTI" predict --json --model "$TMP/tiny.f32.st" > "$TMP/tiny.jsonl" 2>&1
    check "tiny: the 872 reference logits to 1e-4" python3 - "$TINY/sst2_dev_logits.tsv" "$TMP/tiny.jsonl" <<'EOF'
import json, sys
ref = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8")][1:]
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(ref) == len(got) == 872, (len(ref), len(got))
d = max(max(abs(float(r[2]) - g["logit_negative"]), abs(float(r[3]) - g["logit_positive"])) for r, g in zip(ref, got))
print("max |logit difference|", d)
assert d <= 1e-4
EOF
    "$SENTI" model info "$TMP/tiny.int8.st" > "$TMP/tiny.info" 2>&1
    check "tiny: model info says preln, 2 layers, 64 tokens" grep -qz 'arch	preln.*layers	2.*max_tokens	64' "$TMP/tiny.info"
else
    echo "skip: $TINY or $DATA/sst2 absent (the tiny model checks)"
fi
finish
