#!/usr/bin/env python3
"""Write the Hugging Face tokenizer files of the tokenizer parity tests (tests/cli/tokenizer.sh).

    hf_tokenizers.py bert VOCAB_TXT OUT_DIR
        OUT_DIR/tokenizer.json (+ tokenizer_config.json): bert-base-uncased's tokenizer as the
        `tokenizers` library serializes it (BertNormalizer lower-case, BertPreTokenizer,
        WordPiece, [CLS] $A [SEP]), built from its vocab.txt.
    hf_tokenizers.py bpe MERGES OUT_DIR [--prefix-space] TEXT_FILE...
        A byte-level BPE tokenizer (RoBERTa's layout: <s> <pad> </s> <unk>, the 256 byte
        characters, then one token per merge) trained here with MERGES merges on the last column
        of the TSV files given. Writes OUT_DIR/tokenizer.json, and the older files vocab.json +
        merges.txt + tokenizer_config.json in OUT_DIR/legacy.

Deterministic: the same inputs give byte-identical files (pairs of equal count are merged in
their sort order). The training's pre-tokenizer only approximates GPT-2's pattern (Python's re
has no \\p{L}); the tokenizer written uses the real pattern, and the parity tests are about
applying a merge table, whatever table it is.
"""
import collections
import heapq
import json
import os
import re
import sys


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def special(i, s):
    return {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


def bert(vocab_txt, out):
    with open(vocab_txt, encoding="utf-8") as f:
        toks = [line.rstrip("\n") for line in f]
    vocab = {t: i for i, t in enumerate(toks)}
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(vocab[s], s) for s in specials],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {s: {"id": s, "ids": [vocab[s]], "tokens": [s]} for s in ["[CLS]", "[SEP]"]}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    os.makedirs(out, exist_ok=True)
    dump(os.path.join(out, "tokenizer.json"), tj)
    dump(os.path.join(out, "tokenizer_config.json"),
         {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512})


PRETOK = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")


def word_counts(files):
    b2u = bytes_to_unicode()
    counts = collections.Counter()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            next(f)  # header
            for line in f:
                text = line.rstrip("\n").split("\t")[-1]
                for piece in PRETOK.findall(text):
                    counts["".join(b2u[b] for b in piece.encode("utf-8"))] += 1
    return counts


def train(files, n_merges):
    """The merges, most frequent pair first (ties: the smaller pair)."""
    counts = word_counts(files)
    words = [list(w) for w in sorted(counts)]
    freq = [counts[w] for w in sorted(counts)]
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for p in zip(w, w[1:]):
            pairs[p] += freq[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    merges = []
    while heap and len(merges) < n_merges:
        c, p = heapq.heappop(heap)
        if pairs.get(p, 0) != -c or c == 0:
            continue
        merges.append(p)
        changed = set()
        for i in sorted(where.pop(p, ())):
            w = words[i]
            for q in zip(w, w[1:]):
                pairs[q] -= freq[i]
                changed.add(q)
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and (w[j], w[j + 1]) == p:
                    out.append(w[j] + w[j + 1])
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for q in zip(out, out[1:]):
                pairs[q] += freq[i]
                where[q].add(i)
                changed.add(q)
        for q in sorted(changed):
            if pairs[q] > 0:
                heapq.heappush(heap, (-pairs[q], q))
    return merges


def bpe(n_merges, out, prefix_space, files):
    merges = train(files, n_merges)
    toks = ["<s>", "<pad>", "</s>", "<unk>"] + [bytes_to_unicode()[b] for b in range(256)]
    for a, b in merges:
        if a + b not in toks:
            toks.append(a + b)
    vocab = {t: i for i, t in enumerate(toks)}
    tj = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [special(i, s) for i, s in enumerate(toks[:4])],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": prefix_space, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": prefix_space},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }
    config = {"tokenizer_class": "RobertaTokenizer", "add_prefix_space": prefix_space,
              "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>", "sep_token": "</s>",
              "unk_token": "<unk>", "pad_token": "<pad>", "model_max_length": 512}
    os.makedirs(os.path.join(out, "legacy"), exist_ok=True)
    dump(os.path.join(out, "tokenizer.json"), tj)
    dump(os.path.join(out, "tokenizer_config.json"), config)
    dump(os.path.join(out, "legacy", "vocab.json"), vocab)
    dump(os.path.join(out, "legacy", "tokenizer_config.json"), config)
    with open(os.path.join(out, "legacy", "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(a + " " + b + "\n")


def main(argv):
    if len(argv) == 3 and argv[0] == "bert":
        bert(argv[1], argv[2])
    elif len(argv) >= 4 and argv[0] == "bpe":
        rest = argv[3:]
        prefix = "--prefix-space" in rest
        bpe(int(argv[1]), argv[2], prefix, [a for a in rest if a != "--prefix-space"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
