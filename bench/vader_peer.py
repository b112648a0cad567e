#!/usr/bin/python3
"""Peer benchmark for senti's `vader` model: the Python VADER on the SST-2 dev sentences.

    /usr/bin/python3 bench/vader_peer.py [--data ../shared/data] [--reps 5]

Runs Debian's python3-nltk port, nltk.sentiment.vader.SentimentIntensityAnalyzer(lexicon_file=...),
with the lexicon in DATA/vader, over the SST-2 dev sentences (DATA/vader/reference/sst2_dev.jsonl,
the same texts senti's test scores) and prints the median microseconds per sentence over REPS
passes (one sentence at a time, single thread). It also reports how often NLTK's port agrees
with the reference outputs stored beside the sentences: the port is an older variant of the
algorithm (different tokenizer, no emoji handling, a different "but" rule, ...), so it is a
speed peer, not a parity oracle. If the reference package (vaderSentiment) is importable it
is timed as well.
"""
import argparse
import json
import os
import statistics
import sys
import time


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def time_per_sentence(fn, texts, reps):
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        runs.append((time.perf_counter() - t0) / len(texts))
    return statistics.median(runs) * 1e6


def agreement(fn, records):
    same = 0
    for r in records:
        out = fn(r["text"])
        if all(out[k] == r[k] for k in ("neg", "neu", "pos", "compound")):
            same += 1
    return same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                   "shared", "data"))
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    vdir = os.path.abspath(os.path.join(args.data, "vader"))
    records = load(os.path.join(vdir, "reference", "sst2_dev.jsonl"))
    texts = [r["text"] for r in records]

    from peer import nltk_analyzer  # bench/peer.py, beside this script
    nltk_sia = nltk_analyzer(vdir)
    us = time_per_sentence(nltk_sia.polarity_scores, texts, args.reps)
    print("nltk %s  %.2f us/sentence  (%d SST-2 dev sentences, median of %d passes, python %s)"
          % (__import__("nltk").__version__, us, len(texts), args.reps, sys.version.split()[0]))
    for name in ("edge_cases", "icwsm_tweets", "icwsm_amazon", "sst2_dev", "fuzz_public"):
        recs = load(os.path.join(vdir, "reference", name + ".jsonl"))
        print("  nltk agrees with the reference on %d/%d of %s" % (agreement(nltk_sia.polarity_scores, recs), len(recs), name))

    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as RefSIA
    except ImportError:
        print("vaderSentiment (the reference) is not installed; skipped")
        return
    ref = RefSIA()
    us = time_per_sentence(ref.polarity_scores, texts, args.reps)
    print("vaderSentiment  %.2f us/sentence" % us)


if __name__ == "__main__":
    main()
