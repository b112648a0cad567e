#!/usr/bin/env python3
"""Random-weight Hugging Face sequence-classification checkpoints, and their forward pass in PyTorch.

The transformer kind's parity tests (tests/cli/transformer.sh) and its benchmark
(bench/transformer_peers.sh) need BERT, DistilBERT and RoBERTa checkpoints laid out exactly as the
hub's, and logits computed from them by an implementation that is not senti's. No checkpoint can
be downloaded here and the `transformers` library is not installed, so this file writes both from
the Hugging Face module layouts (modeling_bert.py, modeling_distilbert.py, modeling_roberta.py).
The files' layout (tensor names and shapes, config.json, safetensors, tokenizer files) is
tools/hf_layout.py's, shared with tests/transformer/make_hf.py; this file draws the weights.

    hf_checkpoint.py make --arch bert|distilbert|roberta --out DIR [options]
        DIR/config.json        the fields `transformers` writes for the architecture (DistilBERT
                               has its own names: dim, n_layers, n_heads, hidden_dim, activation)
        DIR/model.safetensors  the tensors under their hub names (written by hand: 8-byte
                               little-endian header length, JSON header, data), float32
        DIR/tokenizer.json ... BERT/DistilBERT: bert-base-uncased's WordPiece (tokenizer.json
                               from vocab.txt by tools/hf_tokenizers.py, and vocab.txt itself);
                               RoBERTa: the byte-level BPE of tests/tokenizer/bpe
        options: --layers --hidden --heads --ff --vocab (rows; default the tokenizer's size, more
        is allowed) --max-pos (max_position_embeddings; RoBERTa's positions start at
        pad_token_id + 1 = 2, so its texts get max-pos - 2 tokens, as on the hub with 514)
        --act gelu|gelu_new|relu --labels A,B[,C...] --seed --eps --legacy (LayerNorm weights
        named gamma/beta and an int64 position_ids buffer, as older checkpoints have)
        --dtype f32|f16 (the checkpoint's own dtype) --vocab-txt FILE.

    hf_checkpoint.py logits DIR [--batch N] [--round f16] [--emulate int8] [--calibrate S]
                         [--all PREFIX] < ids > logits.tsv
        The logits of the reference modules below for each line of token ids (space-separated,
        framed and truncated: tests/tokenize_main.c prints them from senti's tokenizer, so that
        both sides see the same ids; tokenization parity is tested on its own). Texts go through
        in batches of N (default 16) padded to the longest with pad_token_id and an attention
        mask, so padding is exercised; one TSV line of logits (%.9g) per text. --round f16
        rounds the matrices to float16 first (what `senti model import --dtype f16` stores;
        biases and LayerNorm stay float32) and computes in float32. --emulate int8 runs the
        int8 scheme of `--dtype int8` (weights and embeddings per row, activations per token,
        symmetric, max|x| / 127; exact integer products). --calibrate S first rewrites the
        checkpoint's classifier from these texts (below). --all PREFIX writes PREFIX.f32,
        PREFIX.f32-1 (one text at a time), PREFIX.f16 and PREFIX.int8 (the two above) in one
        run instead of printing.

Weights: numpy's generator with --seed, normal(0, std) for embeddings and linear layers with std
= 0.02 * sqrt(768 / hidden) (HF's 0.02 at BERT-base's width; a narrow test model gets the same
signal per layer; --init-std sets it), linear biases normal(0, 0.02), LayerNorm weights
1 + normal(0, 0.1) and biases normal(0, 0.05) (near HF's 1 and 0, but not equal to them, so a
loader that drops or swaps them is caught). Deterministic: the same options give the same bytes.

The classifier: with random weights every text's [CLS] features are mostly the same vector (the
[CLS] token's own embedding, position 0, the biases), and a random classifier gives every text
nearly the same logits and label. `logits --calibrate S` therefore rewrites it from the texts
a test uses: its rows mix the top principal components of the features it reads (each scaled
to S standard deviations over the texts), its bias puts each logit's median at 0, so the
labels split between texts and the logits spread by several units, as a trained classifier's
would. `make` alone writes a random one (std --cls-scale / sqrt(hidden)).

The reference modules (BertRef, DistilBertRef, RobertaRef) hold their parameters under the hub's
names and load the file with strict=True, so a name written wrong, or missing, fails here too.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import hf_layout  # noqa: E402  the names, shapes, config.json, safetensors and tokenizer files
from hf_layout import ARCHS  # noqa: E402

# ---- the file: safetensors -------------------------------------------------------------------------

DT_NAME = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64"}
DT_NP = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def write_safetensors(path, tensors):
    """tensors: name -> numpy array, written in name order by hf_layout's writer."""
    items = []
    for n in sorted(tensors):
        x = np.ascontiguousarray(tensors[n])
        items.append((n, DT_NAME[x.dtype], x.shape, x.astype(x.dtype.newbyteorder("<")).tobytes()))
    hf_layout.write_safetensors(path, items)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype=np.dtype(DT_NP[t["dtype"]]).newbyteorder("<"))
        out[name] = out[name].reshape(t["shape"]).astype(DT_NP[t["dtype"]])
    return out

# ---- making a checkpoint ---------------------------------------------------------------------------


def make_tensors(a):
    """The random tensors of hf_layout.tensors(), drawn in the modules' order."""
    rng = np.random.default_rng(a.seed)
    std = a.init_std if a.init_std else 0.02 * math.sqrt(768.0 / a.hidden)
    stds = {"emb": std, "w": std, "head_w": a.cls_scale / math.sqrt(a.hidden), "b": 0.02, "head_b": 0.02,
            "ln_b": 0.05}
    t = {}
    for name, role, shape in hf_layout.tensors(a.arch, a.layers, a.hidden, a.ff, a.vocab, a.max_pos, len(a.labels),
                                               gamma_beta=a.legacy, position_ids=a.legacy):
        if role == "ids":
            t[name] = np.arange(a.max_pos, dtype=np.int64)[None, :]
        elif role == "ln_w":
            t[name] = (1.0 + rng.normal(0.0, 0.1, shape)).astype(np.float32)
        else:
            t[name] = rng.normal(0.0, stds[role], shape).astype(np.float32)
    return t


def make(argv):
    p = argparse.ArgumentParser(prog="hf_checkpoint.py make")
    p.add_argument("--arch", choices=ARCHS, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ff", type=int, default=None, help="default 4 x hidden")
    p.add_argument("--vocab", type=int, default=None, help="default: the tokenizer's size")
    p.add_argument("--max-pos", type=int, default=None, help="default 64 (RoBERTa 66)")
    p.add_argument("--act", default="gelu", choices=("gelu", "gelu_new", "gelu_pytorch_tanh", "relu"))
    p.add_argument("--labels", default="negative,positive")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--eps", type=float, default=None, help="layer_norm_eps (BERT 1e-12, RoBERTa 1e-5)")
    p.add_argument("--cls-scale", type=float, default=8.0)
    p.add_argument("--init-std", type=float, default=None)
    p.add_argument("--legacy", action="store_true")
    p.add_argument("--dtype", choices=("f32", "f16"), default="f32")
    p.add_argument("--vocab-txt", default=os.path.join(os.environ.get("DATA", os.path.join(ROOT, "..", "shared", "data")),
                                                       "bert-base-uncased", "vocab.txt"))
    a = p.parse_args(argv)
    a.labels = a.labels.split(",")
    a.ff = a.ff or 4 * a.hidden
    a.max_pos = a.max_pos or (66 if a.arch == "roberta" else 64)
    a.eps = a.eps if a.eps is not None else (1e-5 if a.arch == "roberta" else 1e-12)
    if a.hidden % a.heads:
        p.error("--hidden must be a multiple of --heads")
    if a.legacy and a.arch == "distilbert":
        p.error("--legacy: DistilBERT checkpoints never had gamma/beta names")
    os.makedirs(a.out, exist_ok=True)
    n_tok = hf_layout.write_tokenizer(a.arch, a.out, a.vocab_txt)
    a.vocab = a.vocab or n_tok
    if a.vocab < n_tok:
        p.error(f"--vocab {a.vocab} is smaller than the tokenizer's {n_tok} ids")
    t = make_tensors(a)
    if a.dtype == "f16":
        t = {n: (x.astype(np.float16) if x.dtype == np.float32 else x) for n, x in t.items()}
    write_safetensors(os.path.join(a.out, "model.safetensors"), t)
    hf_layout.write_config(a.out, hf_layout.config(a.arch, a.layers, a.hidden, a.heads, a.ff, a.vocab, a.max_pos,
                                                   a.labels, a.act, a.eps, a.dtype.upper()))

# ---- the reference forward pass ------------------------------------------------------------------


def reference_modules():
    """The modules, defined on first use so that `make` does not need torch."""
    import torch
    from torch import nn
    F = nn.functional

    def activation(name):
        if name == "gelu":
            return lambda x: F.gelu(x)  # the erf form
        if name in ("gelu_new", "gelu_pytorch_tanh"):
            return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
        if name == "relu":
            return F.relu
        raise ValueError(f"activation {name!r}")

    def attend(q, k, v, heads, mask):
        """q, k, v [B, T, H]; mask [B, T] of 1 (token) and 0 (padding): softmax(q k^T / sqrt(d)
        + (1 - mask) * min) v per head, as modeling_bert.py's extended attention mask."""
        b, t, h = q.shape
        d = h // heads
        split = lambda x: x.view(b, t, heads, d).transpose(1, 2)
        s = split(q) @ split(k).transpose(-1, -2) / math.sqrt(d)
        s = s + (1.0 - mask[:, None, None, :].to(s.dtype)) * torch.finfo(s.dtype).min
        return (s.softmax(-1) @ split(v)).transpose(1, 2).reshape(b, t, h)

    class Embeddings(nn.Module):
        def __init__(self, c, types):
            super().__init__()
            self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
            self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
            if types:
                self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
            self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

        def forward(self, ids, pos):
            x = self.word_embeddings(ids) + self.position_embeddings(pos)
            if hasattr(self, "token_type_embeddings"):  # a single text: token type 0 everywhere
                x = x + self.token_type_embeddings(torch.zeros_like(ids))
            return self.LayerNorm(x)

    class SelfAttention(nn.Module):
        def __init__(self, h):
            super().__init__()
            self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    class DenseNorm(nn.Module):
        def __init__(self, i, o, eps):
            super().__init__()
            self.dense = nn.Linear(i, o)
            self.LayerNorm = nn.LayerNorm(o, eps=eps)

    class Attention(nn.Module):
        def __init__(self, h, eps):
            super().__init__()
            self.self = SelfAttention(h)
            self.output = DenseNorm(h, h, eps)

    class Dense(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.dense = nn.Linear(i, o)

    class BertLayer(nn.Module):  # post-LN
        def __init__(self, c):
            super().__init__()
            h, eps = c["hidden_size"], c["layer_norm_eps"]
            self.heads, self.act = c["num_attention_heads"], activation(c["hidden_act"])
            self.attention = Attention(h, eps)
            self.intermediate = Dense(h, c["intermediate_size"])
            self.output = DenseNorm(c["intermediate_size"], h, eps)

        def forward(self, x, mask):
            sa, ao = self.attention.self, self.attention.output
            a = attend(sa.query(x), sa.key(x), sa.value(x), self.heads, mask)
            x = ao.LayerNorm(x + ao.dense(a))
            f = self.output.dense(self.act(self.intermediate.dense(x)))
            return self.output.LayerNorm(x + f)

    class Encoder(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.layer = nn.ModuleList(BertLayer(c) for _ in range(c["num_hidden_layers"]))

    class BertModel(nn.Module):
        def __init__(self, c, pooler):
            super().__init__()
            self.embeddings = Embeddings(c, True)
            self.encoder = Encoder(c)
            if pooler:
                self.pooler = Dense(c["hidden_size"], c["hidden_size"])

        def forward(self, ids, pos, mask):
            x = self.embeddings(ids, pos)
            for layer in self.encoder.layer:
                x = layer(x, mask)
            return x

    class BertRef(nn.Module):
        pad_key = "pad_token_id"

        def __init__(self, c):
            super().__init__()
            self.bert = BertModel(c, True)
            self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

        def forward(self, ids, mask):
            pos = torch.arange(ids.shape[1])[None, :].expand_as(ids)
            h = self.bert(ids, pos, mask)
            return self.classifier(torch.tanh(self.bert.pooler.dense(h[:, 0])))

    class Head(nn.Module):
        def __init__(self, h, n):
            super().__init__()
            self.dense, self.out_proj = nn.Linear(h, h), nn.Linear(h, n)

    class RobertaRef(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.pad = c["pad_token_id"]
            self.roberta = BertModel(c, False)
            self.classifier = Head(c["hidden_size"], len(c["id2label"]))

        def forward(self, ids, mask):
            # create_position_ids_from_input_ids: non-pad tokens count from pad + 1, pads get pad
            m = ids.ne(self.pad).long()
            pos = torch.cumsum(m, 1) * m + self.pad
            h = self.roberta(ids, pos, mask)
            return self.classifier.out_proj(torch.tanh(self.classifier.dense(h[:, 0])))

    class DistilAttention(nn.Module):
        def __init__(self, h):
            super().__init__()
            self.q_lin, self.k_lin, self.v_lin, self.out_lin = (nn.Linear(h, h) for _ in range(4))

    class FFN(nn.Module):
        def __init__(self, h, ff):
            super().__init__()
            self.lin1, self.lin2 = nn.Linear(h, ff), nn.Linear(ff, h)

    class DistilLayer(nn.Module):
        def __init__(self, c):
            super().__init__()
            h = c["dim"]
            self.heads, self.act = c["n_heads"], activation(c["activation"])
            self.attention = DistilAttention(h)
            self.sa_layer_norm = nn.LayerNorm(h, eps=1e-12)
            self.ffn = FFN(h, c["hidden_dim"])
            self.output_layer_norm = nn.LayerNorm(h, eps=1e-12)

        def forward(self, x, mask):
            at = self.attention
            a = at.out_lin(attend(at.q_lin(x), at.k_lin(x), at.v_lin(x), self.heads, mask))
            x = self.sa_layer_norm(a + x)
            return self.output_layer_norm(self.ffn.lin2(self.act(self.ffn.lin1(x))) + x)

    class DistilTransformer(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.layer = nn.ModuleList(DistilLayer(c) for _ in range(c["n_layers"]))

    class DistilModel(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.embeddings = Embeddings({"vocab_size": c["vocab_size"], "hidden_size": c["dim"],
                                          "max_position_embeddings": c["max_position_embeddings"],
                                          "layer_norm_eps": 1e-12}, False)
            self.transformer = DistilTransformer(c)

    class DistilBertRef(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.distilbert = DistilModel(c)
            self.pre_classifier = nn.Linear(c["dim"], c["dim"])
            self.classifier = nn.Linear(c["dim"], len(c["id2label"]))

        def forward(self, ids, mask):
            pos = torch.arange(ids.shape[1])[None, :].expand_as(ids)
            x = self.distilbert.embeddings(ids, pos)
            for layer in self.distilbert.transformer.layer:
                x = layer(x, mask)
            return self.classifier(F.relu(self.pre_classifier(x[:, 0])))

    return {"bert": BertRef, "distilbert": DistilBertRef, "roberta": RobertaRef}


def q8_rows(x):
    """Symmetric int8 per row (the last dimension): (q, scale) with x ~ q * scale, q an integer
    in [-127, 127] held in x's dtype, scale = max|x| / 127 (0 for a zero row), ties to even."""
    import torch
    s = x.abs().amax(-1, keepdim=True) / 127.0
    q = torch.where(s > 0, torch.round(x / torch.where(s > 0, s, torch.ones_like(s))), torch.zeros_like(x))
    return q.clamp(-127, 127), s


def emulate_int8(model):
    """The int8 path as tf_import.c and forward.c describe it: every linear layer's weights
    quantized per output row, its input per row (token) at run time, the integer products
    exact (float64 holds them), both scales and the bias applied in float32; embedding rows
    quantized per row; everything else float32."""
    import torch
    from torch import nn

    def qlinear(self, x):
        qx, sx = q8_rows(x)
        acc = (qx.double() @ self.qw.double().T).float()
        return acc * (sx * self.sw.T) + self.bias

    for mod in model.modules():
        with torch.no_grad():
            if isinstance(mod, nn.Linear):
                mod.qw, mod.sw = q8_rows(mod.weight)
                mod.forward = qlinear.__get__(mod)
            elif isinstance(mod, nn.Embedding):
                q, s = q8_rows(mod.weight)
                mod.weight.copy_(q * s)


def load_reference(folder, round_f16=False):
    """The reference module of a checkpoint folder, in eval mode, its weights loaded strictly.
    round_f16: the matrices (linear weights, embeddings) rounded to float16 as an f16 import
    stores them; vectors (biases, LayerNorm) stay float32 as there."""
    import torch
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        c = json.load(f)
    arch = c["model_type"]
    if arch not in ARCHS:
        raise ValueError(f"model_type {arch!r}: not one of {ARCHS}")
    model = reference_modules()[arch](c)
    state = {}
    for name, x in read_safetensors(os.path.join(folder, "model.safetensors")).items():
        if name.endswith(".position_ids"):
            continue  # a buffer of older checkpoints: 0..max_pos-1, implied
        name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
        if round_f16 and x.dtype == np.float32 and x.ndim == 2:
            x = x.astype(np.float16)
        state[name] = torch.from_numpy(x.astype(np.float32))
    model.load_state_dict(state, strict=True)
    model.eval()
    model.arch = arch
    model.pad_id = c.get("pad_token_id", 0)
    model.max_tokens = c["max_position_embeddings"] - (model.pad_id + 1 if arch == "roberta" else 0)
    return model


def batch_tensors(model, rows):
    """Token id rows -> (ids [B, T] padded with the pad id, mask [B, T])."""
    import torch
    t = max(len(r) for r in rows)
    ids = torch.full((len(rows), t), model.pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), t), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, :len(r)] = 1
    return ids, mask


def run(model, rows, batch):
    """The logits of the id rows, in batches of `batch` padded to their longest."""
    import torch
    out = []
    with torch.no_grad():
        for i in range(0, len(rows), batch):
            out += model(*batch_tensors(model, rows[i:i + batch])).tolist()
    return out


def write_logits(f, rows):
    for row in rows:
        f.write("\t".join("%.9g" % v for v in row) + "\n")


def head_name(arch):
    return "classifier.out_proj" if arch == "roberta" else "classifier"


def calibrate(folder, rows, scale, seed):
    """Rewrite the classifier from the features it reads on these texts: its rows mix the top
    principal components of those features (each scaled to `scale` standard deviations over
    the texts), its bias puts each logit's median over the texts at 0, so every label is the
    answer for a fair share of the texts and the logits spread by several units, as a trained
    classifier's would."""
    import torch
    model = load_reference(folder)
    head = model.get_submodule(head_name(model.arch))
    feats = []
    hook = head.register_forward_hook(lambda mod, inp, out: feats.append(inp[0].double()))
    run(model, rows, 32)
    hook.remove()
    x = torch.cat(feats)
    _, sv, vt = torch.linalg.svd(x - x.mean(0), full_matrices=False)
    n = head.weight.shape[0]
    k = max(1, n - 1)
    comp = vt[:k] / (sv[:k, None] / math.sqrt(len(rows)))  # unit spread over the texts
    mix = np.random.default_rng(seed).normal(0.0, 1.0, (n, k))
    mix -= mix.mean(0)  # only the differences between logits decide
    w = torch.from_numpy(mix) @ comp * scale
    b = -(x @ w.T).median(0).values
    path = os.path.join(folder, "model.safetensors")
    t = read_safetensors(path)
    dt = t[head_name(model.arch) + ".weight"].dtype
    t[head_name(model.arch) + ".weight"] = w.numpy().astype(dt)
    t[head_name(model.arch) + ".bias"] = b.numpy().astype(dt)
    write_safetensors(path, t)


def logits(argv):
    import torch
    p = argparse.ArgumentParser(prog="hf_checkpoint.py logits")
    p.add_argument("folder")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--round", choices=("f16",), default=None)
    p.add_argument("--emulate", choices=("int8",), default=None)
    p.add_argument("--calibrate", type=float, default=None, metavar="SCALE")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--all", metavar="PREFIX")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    rows = [[int(x) for x in line.split()] for line in sys.stdin]
    if a.calibrate:
        calibrate(a.folder, rows, a.calibrate, a.seed)
    model = load_reference(a.folder, a.round == "f16")
    for r in rows:
        if not 1 <= len(r) <= model.max_tokens:
            sys.exit(f"hf_checkpoint.py: a text of {len(r)} ids: 1 to {model.max_tokens} expected")
    if a.emulate == "int8":
        emulate_int8(model)
    if not a.all:
        return write_logits(sys.stdout, run(model, rows, a.batch))
    f16, q8 = load_reference(a.folder, True), load_reference(a.folder)
    emulate_int8(q8)
    for ext, m, batch in (("f32", model, a.batch), ("f32-1", model, 1), ("f16", f16, a.batch),
                          ("int8", q8, a.batch)):
        with open(f"{a.all}.{ext}", "w") as f:
            write_logits(f, run(m, rows, batch))


def main(argv):
    if argv and argv[0] == "make":
        return make(argv[1:])
    if argv and argv[0] == "logits":
        return logits(argv[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
