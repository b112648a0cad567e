#!/usr/bin/env python3
"""Write a small Hugging Face sequence-classification checkpoint with random weights, for the
transformer kind's file tests (tests/cli/transformer_files.sh). Standard library only. The
files' layout (tensor names and shapes, config.json, model.safetensors, tokenizer files) is
tools/hf_layout.py's, shared with tools/hf_checkpoint.py `make`; this file draws the weights
(random.gauss, packed by struct) and makes the hostile changes below.

    make_hf.py ARCH OUT_DIR --vocab VOCAB_TXT [--bpe BPE_DIR] [options]

ARCH: bert, distilbert, roberta. The tensors carry the Hugging Face module names; config.json
says the sizes. bert and distilbert use a WordPiece vocab.txt cut from VOCAB_TXT (bert-base-
uncased's: the special tokens, punctuation and letters, the first common words) with no
tokenizer.json; roberta uses the byte-level BPE tokenizer.json of BPE_DIR.

Options that make a hostile checkpoint (each changes one thing):
    --dtype F32|F16|BF16      weights' dtype (default F32)
    --hidden N --heads N --ff N --layers N --labels a,b,...   sizes and id2label
    --drop NAME               leave tensor NAME out
    --reshape NAME            give tensor NAME one row more than config.json implies
    --int32 NAME              store tensor NAME as I32
    --nan NAME / --inf NAME   put a NaN / an infinity into tensor NAME
    --huge NAME               set every value of tensor NAME to 3e38 (finite, but the logits overflow)
    --config KEY=JSON         set a config.json key (e.g. vocab_size=1099511627776)
    --rows N                  N word embedding rows (and vocab_size), whatever the vocabulary
    --gamma-beta              BERT LayerNorms under the old gamma/beta names
    --huge-embedding          a header declaring a 2^40-row word embedding
    --bad-tokenizer           a malformed tokenizer.json
    --pytorch-only            pytorch_model.bin instead of model.safetensors
    --full-vocab              all of VOCAB_TXT (a model of the real size: --hidden 768 ...)
Deterministic for a given --seed.
"""
import argparse
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import hf_layout  # noqa: E402  the names, shapes, config.json, safetensors and tokenizer files


def pack(values, dtype):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "I32":
        return struct.pack("<%di" % len(values), *[int(v * 100) for v in values])
    out = bytearray()  # BF16: the high half of the float32, rounded to nearest even
    for v in values:
        (u,) = struct.unpack("<I", struct.pack("<f", v))
        if math.isfinite(v):
            u += 0x7FFF + ((u >> 16) & 1)
        out += struct.pack("<H", (u >> 16) & 0xFFFF)
    return bytes(out)


def draw(rnd, name, role, n, width):
    """n random values of a tensor: LayerNorm weights near 1, embeddings wide, the rest scaled to
    the input width (0.1 for vectors), sharper for attention's query/key and the logits."""
    if role == "ln_w":
        return [1.0 + rnd.gauss(0, 0.1) for _ in range(n)]
    if role == "emb":
        return [rnd.gauss(0, 0.5) for _ in range(n)]
    scale = 1.0 / math.sqrt(width) if role in ("w", "head_w") else 0.1
    if role == "head_w" or "query" in name or "key" in name or "q_lin" in name or "k_lin" in name:
        scale *= 4  # sharp attention and a wide classifier: random models that disagree across texts
    return [rnd.gauss(0, scale) for _ in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch", choices=["bert", "distilbert", "roberta"])
    ap.add_argument("out")
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--bpe")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", default="F32", choices=["F32", "F16", "BF16"])
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--maxpos", type=int, default=40)
    ap.add_argument("--labels", default="NEGATIVE,POSITIVE")
    ap.add_argument("--act", default="gelu")
    ap.add_argument("--rows", type=int, help="word embedding rows (and vocab_size), not the vocabulary's")
    for o in ("drop", "reshape", "int32", "nan", "inf", "huge"):
        ap.add_argument("--" + o, action="append", default=[])
    ap.add_argument("--config", action="append", default=[])
    for o in ("gamma-beta", "huge-embedding", "bad-tokenizer", "pytorch-only", "full-vocab"):
        ap.add_argument("--" + o, action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rnd = random.Random(a.seed)

    vocab = hf_layout.write_tokenizer(a.arch, a.out, a.vocab, a.bpe, cut=not a.full_vocab, tokenizer_json=False)
    maxpos = a.maxpos + 2 if a.arch == "roberta" else a.maxpos  # RoBERTa's positions start at pad + 1
    if a.bad_tokenizer:
        open(os.path.join(a.out, "tokenizer.json"), "w").write('{"model": {"type": "WordPiece", "vocab": [1, 2')
    if a.rows:
        vocab = a.rows
    labels = a.labels.split(",")
    cfg = hf_layout.config(a.arch, a.layers, a.hidden, a.heads, a.ff, vocab, maxpos, labels, a.act, dtype=a.dtype)
    hf_layout.write_config(a.out, cfg, a.config)

    items = []
    for name, role, shape in hf_layout.tensors(a.arch, a.layers, a.hidden, a.ff, vocab, maxpos, len(labels),
                                               gamma_beta=a.gamma_beta):
        if name in a.drop:
            continue
        shape = list(shape)
        if name in a.reshape:
            shape[0] += 1
        n = math.prod(shape)
        vals = draw(rnd, name, role, n, shape[-1])
        if name in a.nan:
            vals[n // 2] = float("nan")
        if name in a.inf:
            vals[n // 3] = float("inf")
        if name in a.huge:
            vals = [3e38] * n
        dtype = "I32" if name in a.int32 else a.dtype
        items.append((name, dtype, shape, pack(vals, dtype)))
    if a.pytorch_only:
        open(os.path.join(a.out, "pytorch_model.bin"), "wb").write(b"PK\x03\x04 not read by senti")
    else:
        huge = {"huge.weight": {"dtype": "F32", "shape": [1 << 40, 32], "data_offsets": [0, (1 << 40) * 32 * 4]}}
        hf_layout.write_safetensors(os.path.join(a.out, "model.safetensors"), items,
                                    extra=huge if a.huge_embedding else None)


if __name__ == "__main__":
    main()
