#!/usr/bin/env python3
"""Write a small Hugging Face sequence-classification checkpoint with random weights, for the
transformer kind's file tests (tests/cli/transformer_files.sh). Standard library only: the
safetensors file is written by hand (8-byte little-endian header length, JSON header, data).

    make_hf.py ARCH OUT_DIR --vocab VOCAB_TXT [--bpe BPE_DIR] [options]

ARCH: bert, distilbert, roberta. The tensors carry the Hugging Face module names; config.json
says the sizes. bert and distilbert use a WordPiece vocab.txt cut from VOCAB_TXT (bert-base-
uncased's: the special tokens, punctuation and letters, the first common words); roberta uses
the byte-level BPE tokenizer.json of BPE_DIR.

Options that make a hostile checkpoint (each changes one thing):
    --dtype F32|F16|BF16      weights' dtype (default F32)
    --hidden N --heads N --ff N --layers N --labels a,b,...   sizes and id2label
    --drop NAME               leave tensor NAME out
    --reshape NAME            give tensor NAME one row more than config.json implies
    --int32 NAME              store tensor NAME as I32
    --nan NAME / --inf NAME   put a NaN / an infinity into tensor NAME
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
import json
import math
import os
import random
import struct

DT_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4}


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


def write_safetensors(path, tensors, huge=None):
    """tensors: list of (name, dtype, shape, packed bytes)."""
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if huge:
        header[huge] = {"dtype": "F32", "shape": [1 << 40, 32], "data_offsets": [0, (1 << 40) * 32 * 4]}
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def cut_vocab(src, full):
    lines = open(src, encoding="utf-8").read().split("\n")
    if full:
        return "\n".join(l for l in lines if l) + "\n"
    keep = lines[0:106] + lines[999:1100] + lines[1996:2300] + ["##s", "##ing", "##ed", "##ly"]
    return "\n".join(keep) + "\n"


def names(arch, layers):
    """(name, role, layer) for every tensor of arch; roles give shapes."""
    if arch == "distilbert":
        e, L = "distilbert.embeddings.", "distilbert.transformer.layer.%d."
        out = [(e + "word_embeddings.weight", "word"), (e + "position_embeddings.weight", "pos"),
               (e + "LayerNorm.weight", "g"), (e + "LayerNorm.bias", "b")]
        parts = [("attention.q_lin", "hh"), ("attention.k_lin", "hh"), ("attention.v_lin", "hh"),
                 ("attention.out_lin", "hh"), ("sa_layer_norm", "ln"), ("ffn.lin1", "fh"),
                 ("ffn.lin2", "hf"), ("output_layer_norm", "ln")]
        head = [("pre_classifier", "hh"), ("classifier", "ch")]
    else:
        p = "bert" if arch == "bert" else "roberta"
        e, L = p + ".embeddings.", p + ".encoder.layer.%d."
        out = [(e + "word_embeddings.weight", "word"), (e + "position_embeddings.weight", "pos"),
               (e + "token_type_embeddings.weight", "type"), (e + "LayerNorm.weight", "g"),
               (e + "LayerNorm.bias", "b")]
        parts = [("attention.self.query", "hh"), ("attention.self.key", "hh"),
                 ("attention.self.value", "hh"), ("attention.output.dense", "hh"),
                 ("attention.output.LayerNorm", "ln"), ("intermediate.dense", "fh"),
                 ("output.dense", "hf"), ("output.LayerNorm", "ln")]
        head = [("bert.pooler.dense", "hh"), ("classifier", "ch")] if arch == "bert" else \
               [("classifier.dense", "hh"), ("classifier.out_proj", "ch")]
    mods = [(L % i + m, r) for i in range(layers) for m, r in parts] + head
    for m, r in mods:
        if r == "ln":
            out += [(m + ".weight", "g"), (m + ".bias", "b")]
        else:
            out += [(m + ".weight", r), (m + ".bias", "bias_" + r[0])]
    return out


def shape_of(role, a, vocab, maxpos):
    h, f, c = a.hidden, a.ff, len(a.labels.split(","))
    rows = {"h": h, "f": f, "c": c}
    return {"word": (vocab, h), "pos": (maxpos, h), "type": (2 if a.arch == "bert" else 1, h),
            "g": (h,), "b": (h,)}.get(role) or \
        ((rows[role[-1]],) if role.startswith("bias_") else (rows[role[0]], rows[role[1]]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch", choices=["bert", "distilbert", "roberta"])
    ap.add_argument("out")
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--bpe")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", default="F32")
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--maxpos", type=int, default=40)
    ap.add_argument("--labels", default="NEGATIVE,POSITIVE")
    ap.add_argument("--act", default="gelu")
    ap.add_argument("--rows", type=int, help="word embedding rows (and vocab_size), not the vocabulary's")
    for o in ("drop", "reshape", "int32", "nan", "inf"):
        ap.add_argument("--" + o, action="append", default=[])
    ap.add_argument("--config", action="append", default=[])
    for o in ("gamma-beta", "huge-embedding", "bad-tokenizer", "pytorch-only", "full-vocab"):
        ap.add_argument("--" + o, action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rnd = random.Random(a.seed)

    if a.arch == "roberta":
        tok = json.load(open(os.path.join(a.bpe, "tokenizer.json"), encoding="utf-8"))
        vocab = len(tok["model"]["vocab"])
        for f in ("tokenizer.json", "tokenizer_config.json"):
            with open(os.path.join(a.bpe, f), encoding="utf-8") as src, \
                    open(os.path.join(a.out, f), "w", encoding="utf-8") as dst:
                dst.write(src.read())
        maxpos = a.maxpos + 2  # positions start at pad_token_id + 1
    else:
        text = cut_vocab(a.vocab, a.full_vocab)
        vocab = text.count("\n")
        open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8").write(text)
        json.dump({"do_lower_case": True}, open(os.path.join(a.out, "tokenizer_config.json"), "w"))
        maxpos = a.maxpos
    if a.bad_tokenizer:
        open(os.path.join(a.out, "tokenizer.json"), "w").write('{"model": {"type": "WordPiece", "vocab": [1, 2')

    if a.rows:
        vocab = a.rows
    labels = a.labels.split(",")
    if a.arch == "distilbert":
        config = {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert",
                  "dim": a.hidden, "n_layers": a.layers, "n_heads": a.heads, "hidden_dim": a.ff,
                  "activation": a.act, "max_position_embeddings": maxpos, "vocab_size": vocab}
    else:
        cls = "BertForSequenceClassification" if a.arch == "bert" else "RobertaForSequenceClassification"
        config = {"architectures": [cls], "model_type": a.arch, "hidden_size": a.hidden,
                  "num_hidden_layers": a.layers, "num_attention_heads": a.heads, "intermediate_size": a.ff,
                  "hidden_act": a.act, "max_position_embeddings": maxpos, "vocab_size": vocab,
                  "type_vocab_size": 2 if a.arch == "bert" else 1, "layer_norm_eps": 1e-12 if a.arch == "bert" else 1e-5,
                  "pad_token_id": 0 if a.arch == "bert" else 1}
    config["id2label"] = {str(i): l for i, l in enumerate(labels)}
    config["label2id"] = {l: i for i, l in enumerate(labels)}
    for kv in a.config:
        k, v = kv.split("=", 1)
        config[k] = json.loads(v)
    json.dump(config, open(os.path.join(a.out, "config.json"), "w"), indent=2)

    tensors = []
    for name, role in names(a.arch, a.layers):
        if name in a.drop:
            continue
        shape = list(shape_of(role, a, vocab, maxpos))
        if name in a.reshape:
            shape[0] += 1
        n = 1
        for d in shape:
            n *= d
        if role == "g":
            vals = [1.0 + rnd.gauss(0, 0.1) for _ in range(n)]
        elif role in ("word", "pos", "type"):
            vals = [rnd.gauss(0, 0.5) for _ in range(n)]
        else:
            scale = 1.0 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.1
            if role == "ch" or "query" in name or "key" in name or "q_lin" in name or "k_lin" in name:
                scale *= 4  # sharp attention and a wide classifier: random models that disagree across texts
            vals = [rnd.gauss(0, scale) for _ in range(n)]
        if name in a.nan:
            vals[n // 2] = float("nan")
        if name in a.inf:
            vals[n // 3] = float("inf")
        if a.gamma_beta and "LayerNorm" in name:
            name = name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        dtype = "I32" if name in a.int32 else a.dtype
        tensors.append((name, dtype, shape, pack(vals, dtype)))
    if a.pytorch_only:
        open(os.path.join(a.out, "pytorch_model.bin"), "wb").write(b"PK\x03\x04 not read by senti")
    else:
        write_safetensors(os.path.join(a.out, "model.safetensors"), tensors,
                          huge="huge.weight" if a.huge_embedding else None)


if __name__ == "__main__":
    main()
