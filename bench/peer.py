#!/usr/bin/python3
"""peer.py - the Python peers of `make benchmark-peers`, measured in process.

    /usr/bin/python3 bench/peer.py train-sklearn --train TRAIN.tsv --out MODEL.pkl
    /usr/bin/python3 bench/peer.py measure PEER --dev DEV.tsv --lines FILE [--runs N] [--model M]
    /usr/bin/python3 bench/peer.py one PEER TEXT [--model M]

PEER is one of
    sklearn    scikit-learn TF-IDF (word 1-2 grams, sublinear tf) + logistic regression, trained
               on SST-2 train by train-sklearn (Debian python3-sklearn)
    nltk       NLTK's VADER, nltk.sentiment.vader.SentimentIntensityAnalyzer with the lexicon
               from DATA/vader (Debian python3-nltk); --model is the lexicon folder
    fasttext   fastText's Python binding on a model trained by the fasttext CLI
               (Debian python3-fasttext); --model is the .bin

`measure` prints one JSON object: accuracy on DEV (binary: for VADER-style scores, positive if
pos >= neg, the rule `senti eval` uses for VADER), single-prediction latency (each call timed on
its own over the dev sentences: p50, p90, p99, max), and throughput over the lines of FILE
(the fastest way the library offers: one vectorized call for sklearn and fastText, a loop for
NLTK; best of RUNS; model load and imports excluded). `one` scores one text and prints the
label: the start-up measurement times the whole process. Run with /usr/bin/python3 (Debian's
packages are not visible to a pyenv python).
"""
import argparse
import json
import os
import pickle
import statistics
import sys
import time


def read_tsv(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        li = header.index("label")
        ti = next(i for i, h in enumerate(header) if h in ("text", "sentence", "content", "review"))
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) <= max(li, ti):
                continue
            texts.append(p[ti])
            labels.append(1 if p[li] in ("1", "positive", "pos") else 0)
    return texts, labels


def read_lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.rstrip("\n") for line in f]


# ---- peers: load() -> (predict_one(text) -> 0/1, predict_many(texts) -> list) ------------

def load_sklearn(model):
    with open(model, "rb") as f:
        pipe = pickle.load(f)

    def one(t):
        return int(pipe.predict_proba([t])[0][1] >= 0.5)

    def many(ts):
        return [int(p >= 0.5) for p in pipe.predict_proba(ts)[:, 1]]
    return one, many


def nltk_analyzer(lexdir):
    """NLTK's VADER with the lexicon in lexdir (also used by bench/vader_peer.py)."""
    from nltk.sentiment.vader import SentimentIntensityAnalyzer
    import tempfile
    # NLTK's make_lex_dict splits on "\n" without dropping the final newline, so it cannot read
    # the lexicon file as distributed: give it a copy without the trailing newline.
    with open(os.path.join(lexdir, "vader_lexicon.txt"), encoding="utf-8") as f:
        lex = f.read().rstrip("\n")
    tmp = tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False)
    tmp.write(lex)
    tmp.close()
    try:
        return SentimentIntensityAnalyzer(lexicon_file="file:" + tmp.name)
    finally:
        os.unlink(tmp.name)


def load_nltk(lexdir):
    sia = nltk_analyzer(lexdir)

    def one(t):
        s = sia.polarity_scores(t)
        return int(s["pos"] >= s["neg"])

    def many(ts):
        return [one(t) for t in ts]
    return one, many


def load_fasttext(model):
    import fasttext
    fasttext.FastText.eprint = lambda *a, **k: None  # silence the deprecation notice
    m = fasttext.load_model(model)

    def one(t):
        return int(m.predict(t)[0][0] == "__label__1")

    def many(ts):
        return [int(ls[0] == "__label__1") for ls in m.predict(ts)[0]]
    return one, many


LOADERS = {"sklearn": load_sklearn, "nltk": load_nltk, "fasttext": load_fasttext}


def train_sklearn(train, out):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    texts, labels = read_tsv(train)
    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                         LogisticRegression(C=4.0, max_iter=2000, solver="liblinear"))
    t0 = time.perf_counter()
    pipe.fit(texts, labels)
    with open(out, "wb") as f:
        pickle.dump(pipe, f)
    print("sklearn: trained on %d texts in %.1f s -> %s" % (len(texts), time.perf_counter() - t0, out))


def quant(a, q):
    i = max(0, min(len(a) - 1, int(-(-q * len(a) // 1)) - 1))
    return a[i]


def measure(peer, model, dev, lines, runs):
    one, many = LOADERS[peer](model)
    texts, labels = read_tsv(dev)
    pred = many(texts)
    acc = sum(int(p == y) for p, y in zip(pred, labels)) / len(labels)
    # latency: every call timed, after one warm-up pass
    for t in texts:
        one(t)
    lat = []
    for _ in range(max(1, runs // 2)):
        for t in texts:
            t0 = time.perf_counter()
            one(t)
            lat.append(time.perf_counter() - t0)
    lat.sort()
    work = read_lines(lines)
    nbytes = sum(len(t.encode("utf-8")) for t in work)
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        many(work)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    return {
        "peer": peer, "accuracy": acc, "dev_texts": len(texts),
        "latency": {"p50": quant(lat, 0.5), "p90": quant(lat, 0.9), "p99": quant(lat, 0.99),
                    "max": lat[-1], "mean": statistics.fmean(lat), "calls": len(lat)},
        "throughput": {"texts": len(work), "bytes": nbytes, "best_s": best,
                       "texts_per_s": len(work) / best, "mb_per_s": nbytes / best / 1e6,
                       "runs": runs},
        "python": sys.version.split()[0],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("train-sklearn")
    a.add_argument("--train", required=True)
    a.add_argument("--out", required=True)
    a = sub.add_parser("measure")
    a.add_argument("peer", choices=sorted(LOADERS))
    a.add_argument("--model", required=True)
    a.add_argument("--dev", required=True)
    a.add_argument("--lines", required=True)
    a.add_argument("--runs", type=int, default=3)
    a = sub.add_parser("one")
    a.add_argument("peer", choices=sorted(LOADERS))
    a.add_argument("text")
    a.add_argument("--model", required=True)
    args = ap.parse_args()
    if args.cmd == "train-sklearn":
        train_sklearn(args.train, args.out)
    elif args.cmd == "measure":
        print(json.dumps(measure(args.peer, args.model, args.dev, args.lines, args.runs)))
    else:
        one, _ = LOADERS[args.peer](args.model)
        print("positive" if one(args.text) else "negative")
    return 0


if __name__ == "__main__":
    sys.exit(main())
