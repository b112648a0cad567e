"""The files of a Hugging Face sequence-classification checkpoint, written in one place for the
two generators of random-weight checkpoints: tools/hf_checkpoint.py `make` (numpy weights, the
parity tests and the benchmark) and tests/transformer/make_hf.py (standard library weights, the
file tests' normal and hostile checkpoints). Standard library only, so make_hf.py needs nothing
more; the weights themselves are drawn by the callers, as bytes.

What lives here, from the Hugging Face module layouts (modeling_bert.py, modeling_distilbert.py,
modeling_roberta.py):
    tensors()           every tensor's hub name, role and shape, in the modules' order
    config()            config.json as `transformers` writes it per architecture (DistilBERT has
                        its own names: dim, n_layers, n_heads, hidden_dim, activation)
    write_config()      config.json, sorted and indented, with keys set over it (hostile tests)
    write_safetensors() model.safetensors by hand: 8-byte little-endian header length, JSON header
                        padded with spaces to a multiple of 8 bytes, data in the order given
    write_tokenizer()   RoBERTa: the byte-level BPE files of a folder (tests/tokenizer/bpe);
                        BERT/DistilBERT: vocab.txt from bert-base-uncased's (all of it, or a cut
                        of its first words), with tokenizer.json (tools/hf_tokenizers.py) or
                        without (vocab.txt + tokenizer_config.json only, as older checkpoints)
"""
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ARCHS = ("bert", "distilbert", "roberta")
CLASS = {"bert": "BertForSequenceClassification", "distilbert": "DistilBertForSequenceClassification",
         "roberta": "RobertaForSequenceClassification"}
TORCH_DTYPE = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def tensors(arch, layers, hidden, ff, vocab, max_pos, n_labels, gamma_beta=False, position_ids=False):
    """[(name, role, shape)]. Roles: emb (an embedding), ln_w / ln_b (a LayerNorm), w / b (a
    linear layer), head_w / head_b (the last linear layer, the logits'), ids (the int64
    position_ids buffer of older checkpoints: position_ids=True). gamma_beta: the embeddings' and
    BERT/RoBERTa layers' LayerNorms under the old names gamma/beta."""
    out = []

    def linear(name, o, i, head=False):
        out.extend([(name + ".weight", "head_w" if head else "w", (o, i)),
                    (name + ".bias", "head_b" if head else "b", (o,))])

    def norm(name):
        w, b = ("gamma", "beta") if gamma_beta and name.endswith("LayerNorm") else ("weight", "bias")
        out.extend([(f"{name}.{w}", "ln_w", (hidden,)), (f"{name}.{b}", "ln_b", (hidden,))])

    p = arch
    out.append((f"{p}.embeddings.word_embeddings.weight", "emb", (vocab, hidden)))
    out.append((f"{p}.embeddings.position_embeddings.weight", "emb", (max_pos, hidden)))
    if arch != "distilbert":
        out.append((f"{p}.embeddings.token_type_embeddings.weight", "emb", (2 if arch == "bert" else 1, hidden)))
    norm(f"{p}.embeddings.LayerNorm")
    if position_ids:
        out.append((f"{p}.embeddings.position_ids", "ids", (1, max_pos)))
    for i in range(layers):
        if arch == "distilbert":
            q = f"{p}.transformer.layer.{i}"
            for x in ("q_lin", "k_lin", "v_lin", "out_lin"):
                linear(f"{q}.attention.{x}", hidden, hidden)
            norm(f"{q}.sa_layer_norm")
            linear(f"{q}.ffn.lin1", ff, hidden)
            linear(f"{q}.ffn.lin2", hidden, ff)
            norm(f"{q}.output_layer_norm")
            continue
        q = f"{p}.encoder.layer.{i}"
        for x in ("query", "key", "value"):
            linear(f"{q}.attention.self.{x}", hidden, hidden)
        linear(f"{q}.attention.output.dense", hidden, hidden)
        norm(f"{q}.attention.output.LayerNorm")
        linear(f"{q}.intermediate.dense", ff, hidden)
        linear(f"{q}.output.dense", hidden, ff)
        norm(f"{q}.output.LayerNorm")
    first, last = {"bert": ("bert.pooler.dense", "classifier"),
                   "roberta": ("classifier.dense", "classifier.out_proj"),
                   "distilbert": ("pre_classifier", "classifier")}[arch]
    linear(first, hidden, hidden)
    linear(last, n_labels, hidden, head=True)
    return out


def config(arch, layers, hidden, heads, ff, vocab, max_pos, labels, act, eps=None, dtype="F32"):
    """config.json's fields for arch; eps: layer_norm_eps (default BERT 1e-12, RoBERTa 1e-5;
    DistilBERT's is fixed in its code, not in its config)."""
    common = {"architectures": [CLASS[arch]], "model_type": arch, "initializer_range": 0.02,
              "max_position_embeddings": max_pos, "vocab_size": vocab, "torch_dtype": TORCH_DTYPE[dtype],
              "transformers_version": "4.36.2",
              "id2label": {str(i): l for i, l in enumerate(labels)},
              "label2id": {l: i for i, l in enumerate(labels)}}
    if arch == "distilbert":
        return {**common, "activation": act, "attention_dropout": 0.1, "dim": hidden, "dropout": 0.1,
                "hidden_dim": ff, "n_heads": heads, "n_layers": layers, "pad_token_id": 0,
                "qa_dropout": 0.1, "seq_classif_dropout": 0.2, "sinusoidal_pos_embds": False,
                "tie_weights_": True}
    if eps is None:
        eps = 1e-5 if arch == "roberta" else 1e-12
    cfg = {**common, "attention_probs_dropout_prob": 0.1, "classifier_dropout": None,
           "hidden_act": act, "hidden_dropout_prob": 0.1, "hidden_size": hidden,
           "intermediate_size": ff, "layer_norm_eps": eps, "num_attention_heads": heads,
           "num_hidden_layers": layers, "position_embedding_type": "absolute", "use_cache": True}
    if arch == "bert":
        return {**cfg, "pad_token_id": 0, "type_vocab_size": 2}
    return {**cfg, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "type_vocab_size": 1}


def write_config(folder, cfg, overrides=()):
    """folder/config.json; overrides: KEY=JSON strings set over cfg."""
    cfg = dict(cfg)
    for kv in overrides:
        k, v = kv.split("=", 1)
        cfg[k] = json.loads(v)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def write_safetensors(path, items, extra=None):
    """items: [(name, dtype, shape, data bytes)] written in this order; extra: header entries
    added as they are (a hostile test's entry that points past the data)."""
    header, at = {"__metadata__": {"format": "pt"}}, 0
    for name, dtype, shape, data in items:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(data)]}
        at += len(data)
    header.update(extra or {})
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for item in items:
            f.write(item[3])


def wordpiece_lines(vocab_txt, cut):
    """bert-base-uncased's vocab.txt lines; cut: only the special tokens, punctuation and letters
    and the first common words (a small model's vocabulary)."""
    with open(vocab_txt, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if cut:
        return lines[0:106] + lines[999:1100] + lines[1996:2300] + ["##s", "##ing", "##ed", "##ly"]
    return [l for l in lines if l]


def write_tokenizer(arch, folder, vocab_txt, bpe_dir=None, cut=False, tokenizer_json=True):
    """The tokenizer files of arch into folder; returns the tokenizer's number of ids."""
    if arch == "roberta":
        bpe_dir = bpe_dir or os.path.join(ROOT, "tests", "tokenizer", "bpe")
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(bpe_dir, f), os.path.join(folder, f))
        with open(os.path.join(folder, "tokenizer.json"), encoding="utf-8") as f:
            return len(json.load(f)["model"]["vocab"])
    lines = wordpiece_lines(vocab_txt, cut)
    vocab = os.path.join(folder, "vocab.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if tokenizer_json:
        sys.path.insert(0, HERE)
        import hf_tokenizers
        hf_tokenizers.bert(vocab, folder)
    else:
        with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump({"do_lower_case": True}, f)
    return len(lines)
