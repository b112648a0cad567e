#!/usr/bin/python3
"""quality_peers.py - senti's model against fastText and scikit-learn on the same data, the
same splits and the same metrics, in one run (issue 6). Run by bench/quality_peers.sh.

    /usr/bin/python3 bench/quality_peers.py --senti build/senti --model default \
        --train A.tsv B.tsv ... --eval NAME=FILE[:rating] ... [--work DIR] [--autotune S]

Training data: the same files `make model` trains on (labels negative/neutral/positive or 0/1);
every peer sees exactly these rows, with class-balanced weights where the peer supports them
(scikit-learn class_weight="balanced"; fastText has none).
Peers (all 3-class, like the default model):
  fasttext        `fasttext supervised` (Debian fasttext), word 1-2 grams, 10 epochs, lr 0.5,
                  dim 50, 2M buckets, thread 1 (deterministic); the text lower-cased with
                  punctuation split off (fastText does no tokenization of its own)
  fasttext-auto   (--autotune S) fastText's autotune for S seconds, validated on the union of
                  the validation splits (it sees them, as senti train --search does)
  sklearn         TfidfVectorizer(word 1-2 grams, min_df 2, sublinear tf) + LogisticRegression
                  (lbfgs, class_weight balanced); C picked from {0.5, 2, 8} on the validation
                  splits (mean of the per-split scores, as senti train --search)
Metrics, computed here the same way for every system (= what `senti eval` prints):
  binary data: accuracy of the binary view P(pos) >= P(neg); 3-class data: average recall
  (the SemEval-2017 metric) and accuracy; rated data (ICWSM): binary accuracy on rating != 0
  and Pearson r of P(pos) - P(neg) with the rating.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

LABELS = ["negative", "neutral", "positive"]
LABEL_MAP = {"0": 0, "1": 2, "negative": 0, "neg": 0, "positive": 2, "pos": 2, "neutral": 1, "neu": 1}


def read_labeled(path, rating=False):
    """(texts, labels) where labels are class ids or (rating) floats."""
    texts, labels = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        if rating:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) >= 3:
                    labels.append(float(p[1]))
                    texts.append(p[2])
            return texts, labels
        header = f.readline().rstrip("\n").split("\t")
        li = header.index("label")
        ti = next(i for i, h in enumerate(header) if h in ("text", "sentence", "content", "review"))
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) > max(li, ti) and p[li] in LABEL_MAP:
                labels.append(LABEL_MAP[p[li]])
                texts.append(p[ti])
    return texts, labels


def metrics(probs, labels, rating):
    """probs: [n][3] (neg, neu, pos). Returns a dict of the table's columns."""
    n = len(labels)
    if rating:
        pol = [p[2] - p[0] for p in probs]
        mx, my = sum(pol) / n, sum(labels) / n
        sxy = sum((a - mx) * (b - my) for a, b in zip(pol, labels))
        sxx = sum((a - mx) ** 2 for a in pol)
        syy = sum((b - my) ** 2 for b in labels)
        r = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")
        pairs = [(p[2] >= p[0], y > 0) for p, y in zip(probs, labels) if y != 0]
        acc = sum(a == b for a, b in pairs) / len(pairs)
        return {"n": len(pairs), "accuracy": acc, "pearson": r}
    three = any(y == 1 for y in labels)
    if not three:
        ok = sum((p[2] >= p[0]) == (y == 2) for p, y in zip(probs, labels))
        return {"n": n, "accuracy": ok / n}
    pred = [max(range(3), key=lambda j: p[j]) for p in probs]
    rec = []
    for c in range(3):
        sup = sum(1 for y in labels if y == c)
        if sup:
            rec.append(sum(1 for a, y in zip(pred, labels) if y == c and a == c) / sup)
    return {"n": n, "accuracy": sum(a == y for a, y in zip(pred, labels)) / n,
            "avg_recall": sum(rec) / len(rec)}


def headline(m):
    """The number each row is judged on: avg recall for 3-class data, else accuracy."""
    return m.get("avg_recall", m["accuracy"])


# ---- fastText -------------------------------------------------------------------------------

_tok = re.compile(r"\w+(?:'\w+)?|[^\w\s]", re.UNICODE)


def ft_text(t):
    return " ".join(_tok.findall(t.lower().replace("<br />", " ")))


def ft_write(path, texts, labels):
    with open(path, "w", encoding="utf-8") as f:
        for t, y in zip(texts, labels):
            f.write("__label__%s %s\n" % (LABELS[y], ft_text(t)))


def ft_probs(model, texts, work):
    inp = os.path.join(work, "predict.txt")
    with open(inp, "w", encoding="utf-8") as f:
        for t in texts:
            f.write(ft_text(t) + "\n")
    out = subprocess.run(["fasttext", "predict-prob", model, inp, "3"], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    probs = []
    for line in out:
        p = [0.0, 0.0, 0.0]
        toks = line.split()
        for i in range(0, len(toks) - 1, 2):
            p[LABELS.index(toks[i][len("__label__"):])] = float(toks[i + 1])
        probs.append(p)
    return probs


# ---- senti ----------------------------------------------------------------------------------

def senti_eval(senti, model, evals):
    rows = {}
    for name, path, rating in evals:
        args = [senti, "eval", model, "--json"]
        if rating:
            args += ["--no-header", "--label-col", "2", "--text-col", "3"]
        out = json.loads(subprocess.run(args + [path], check=True, capture_output=True, text=True).stdout)
        m = {"n": out["n"], "accuracy": out["accuracy"]}
        if rating:
            m["pearson"] = out["pearson"]
        elif not out.get("binary_view", True) and "avg_recall" in out:
            m["avg_recall"] = out["avg_recall"]
        rows[name] = m
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--senti", default="build/senti")
    ap.add_argument("--model", default="default")
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--eval", nargs="+", required=True, help="NAME=FILE or NAME=FILE:rating")
    ap.add_argument("--work", default="build/bench/quality")
    ap.add_argument("--autotune", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated subset of senti,fasttext,sklearn")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    only = set(a.only.split(",")) if a.only else {"senti", "fasttext", "sklearn"}

    tr_t, tr_y = [], []
    for p in a.train:
        t, y = read_labeled(p)
        tr_t += t
        tr_y += y
    evals, data = [], {}
    for e in a.eval:
        name, spec = e.split("=", 1)
        rating = spec.endswith(":rating")
        path = spec[: -len(":rating")] if rating else spec
        evals.append((name, path, rating))
        data[name] = read_labeled(path, rating)
    # the validation splits (C of scikit-learn is picked on them); never the test sets, nor MELD
    valid = [n for n, _, r in evals if not r and not n.startswith("icwsm") and n != "meld"]
    print("training rows: %d (%s)" % (len(tr_t), ", ".join(os.path.basename(p) for p in a.train)),
          file=sys.stderr)

    results = {}  # system -> {dataset: metrics}
    if "senti" in only:
        results["senti " + a.model] = senti_eval(a.senti, a.model, evals)

    if "fasttext" in only:
        t0 = time.time()
        ft_write(os.path.join(a.work, "train.ft"), tr_t, tr_y)
        base = os.path.join(a.work, "ft")
        subprocess.run(["fasttext", "supervised", "-input", os.path.join(a.work, "train.ft"), "-output", base,
                        "-wordNgrams", "2", "-epoch", "10", "-lr", "0.5", "-dim", "50", "-bucket", "2000000",
                        "-thread", "1", "-seed", "1", "-verbose", "0"], check=True)
        results["fasttext (1-2 grams)"] = {n: metrics(ft_probs(base + ".bin", data[n][0], a.work), data[n][1], r)
                                           for n, _, r in evals}
        print("fasttext: %.0f s" % (time.time() - t0), file=sys.stderr)
        if a.autotune:
            vt, vy = [], []
            for n in valid:
                vt += data[n][0]
                vy += data[n][1]
            ft_write(os.path.join(a.work, "valid.ft"), vt, vy)
            base = os.path.join(a.work, "ft_auto")
            subprocess.run(["fasttext", "supervised", "-input", os.path.join(a.work, "train.ft"), "-output", base,
                            "-autotune-validation", os.path.join(a.work, "valid.ft"), "-autotune-duration",
                            str(a.autotune), "-thread", "2", "-verbose", "0"], check=True)
            results["fasttext autotune (%d s)" % a.autotune] = {
                n: metrics(ft_probs(base + ".bin", data[n][0], a.work), data[n][1], r) for n, _, r in evals}

    if "sklearn" in only:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        t0 = time.time()
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=2_000_000)
        X = vec.fit_transform(tr_t)
        Xe = {n: vec.transform(data[n][0]) for n, _, _ in evals}
        best = None
        for C in (0.5, 2.0, 8.0):
            clf = LogisticRegression(C=C, max_iter=300, class_weight="balanced")
            clf.fit(X, tr_y)
            order = list(clf.classes_)
            rows = {}
            for n, _, r in evals:
                P = clf.predict_proba(Xe[n])
                rows[n] = metrics([[P[i][order.index(c)] if c in order else 0.0 for c in range(3)]
                                   for i in range(P.shape[0])], data[n][1], r)
            score = sum(headline(rows[n]) for n in valid) / len(valid)
            print("sklearn C=%g: mean validation score %.4f" % (C, score), file=sys.stderr)
            if best is None or score > best[0]:
                best = (score, C, rows)
        results["sklearn tfidf+LR (C=%g)" % best[1]] = best[2]
        print("sklearn: %.0f s" % (time.time() - t0), file=sys.stderr)

    # one table: a row per system, a column per data set (avg recall for 3-class data;
    # accuracy otherwise; Pearson for rated data)
    cols = []
    for n, _, r in evals:
        cols.append((n, "avg_recall" if any(y == 1 for y in data[n][1]) and not r else "accuracy"))
        if r:
            cols.append((n, "pearson"))
    w = max(len(s) for s in results) + 2
    print("%-*s" % (w, "system") + "".join(" %16s" % ("%s:%s" % (n[:8], {"accuracy": "acc", "avg_recall": "avgrec",
                                                                          "pearson": "r"}[k])) for n, k in cols))
    for s, rows in results.items():
        print("%-*s" % (w, s) + "".join(" %16.4f" % rows[n].get(k, float("nan")) for n, k in cols))
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
