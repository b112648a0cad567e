#!/usr/bin/python3
"""The Python peer of `senti serve` with a transformer model, for `make loadtest-transformer`:
FastAPI (Debian python3-fastapi) on uvicorn (python3-uvicorn), scoring with PyTorch
(python3-torch) the same Hugging Face checkpoint that senti imported.

  /usr/bin/python3 bench/torch_service.py DIR [--port N] [--port-file FILE] [--threads T]

DIR is a checkpoint folder of tools/hf_checkpoint.py (config.json, model.safetensors, vocab.txt);
the model is its reference module (hf_checkpoint.load_reference: the Hugging Face layouts
written in PyTorch, since `transformers` is not in Debian), run in float32 under no_grad with T
intra-op threads (torch.set_num_threads, default 2).

POST /v1/sentiment {"text": ...} -> {"label","score","scores","model","cached": false}; 400 for a
body without a string "text"; GET /healthz. One uvicorn process; the endpoint is a plain `def`,
so FastAPI runs it on its thread pool, one text per forward pass: the way such a service is
usually written (no request batching).

Tokenizer: BERT's uncased WordPiece in pure Python below (clean, lower-case, strip accents,
split on whitespace and punctuation, greedy longest match with ##, [CLS] ... [SEP], truncated to
the positions), for bert and distilbert checkpoints; Hugging Face's Rust tokenizers are not in
Debian. It costs tens of microseconds a sentence, small beside the forward pass it feeds.
"""
import argparse
import json
import os
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))


class WordPiece:
    def __init__(self, vocab_path, max_tokens):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = {line.rstrip("\n"): i for i, line in enumerate(f)}
        self.max_tokens = max_tokens
        self.cls, self.sep, self.unk = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]

    @staticmethod
    def is_punct(ch):
        cp = ord(ch)
        if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
            return True
        return unicodedata.category(ch).startswith("P")

    @staticmethod
    def is_cjk(cp):
        return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
                or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
                or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)

    def words(self, text):
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
                out.append(" ")
            elif self.is_cjk(cp):
                out.append(" %s " % ch)
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out).lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        for word in text.split():
            cur = ""
            for ch in word:
                if self.is_punct(ch):
                    if cur:
                        yield cur
                    yield ch
                    cur = ""
                else:
                    cur += ch
            if cur:
                yield cur

    def pieces(self, word):
        if len(word) > 100:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.vocab:
                    ids.append(self.vocab[sub])
                    break
                end -= 1
            if end == start:
                return [self.unk]
            start = end
        return ids

    def encode(self, text):
        ids = [self.cls]
        for w in self.words(text):
            ids += self.pieces(w)
            if len(ids) >= self.max_tokens - 1:
                break
        return ids[:self.max_tokens - 1] + [self.sep]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--port", type=int, default=8091)
    ap.add_argument("--port-file")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    import torch
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    import hf_checkpoint as hf

    torch.set_num_threads(a.threads)
    model = hf.load_reference(a.folder)
    with open(os.path.join(a.folder, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    labels = [config["id2label"][str(i)].lower() for i in range(len(config["id2label"]))]
    tok = WordPiece(os.path.join(a.folder, "vocab.txt"), model.max_tokens)
    name = os.path.basename(os.path.normpath(a.folder))
    app = FastAPI()

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/v1/sentiment")
    def sentiment(body: dict):
        text = body.get("text")
        if not isinstance(text, str):
            return JSONResponse({"error": {"code": "missing_text", "message": "the body needs a string \"text\""}},
                                status_code=400)
        ids = tok.encode(text)
        with torch.no_grad():
            logits = model(torch.tensor([ids]), torch.ones((1, len(ids)), dtype=torch.long))[0]
        p = torch.softmax(logits, -1).tolist()
        top = max(range(len(p)), key=p.__getitem__)
        score = p[labels.index("positive")] if "positive" in labels else p[top]
        return {"label": labels[top], "score": round(score, 4),
                "scores": {l: round(v, 4) for l, v in zip(labels, p)}, "model": name, "cached": False}

    if a.port_file:
        @app.on_event("startup")
        def written():
            with open(a.port_file + ".tmp", "w") as f:
                f.write("%d\n" % a.port)
            os.replace(a.port_file + ".tmp", a.port_file)

    uvicorn.run(app, host="127.0.0.1", port=a.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
