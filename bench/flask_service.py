#!/usr/bin/python3
"""The Python peer of `senti serve` for `make loadtest`: Flask (Debian python3-flask) serving a
scikit-learn (python3-sklearn) model trained at start-up on the same SST-2 training data.

  /usr/bin/python3 bench/flask_service.py [--port N] [--data DIR] [--port-file FILE]

Model: word 1-2-gram TF-IDF + logistic regression (the usual scikit-learn baseline, close to
senti's hashed n-gram linear model). Its SST-2 dev accuracy is printed at start-up.
POST /v1/sentiment {"text": ...} -> {"label","score","scores","model","cached": false}, with the
same 400/415 errors as senti; GET /healthz. Served by Flask's own threaded server (werkzeug),
which is how a small Flask service is commonly run without a separate WSGI server.
"""
import argparse
import csv
import logging
import os
import sys
import time

from flask import Flask, jsonify, request
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline


def load_tsv(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        rd = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rd)
        for row in rd:
            if len(row) >= 2:
                labels.append(int(row[0]))
                texts.append(row[1])
    return texts, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8090)
    ap.add_argument("--port-file")
    ap.add_argument("--data", default=os.environ.get("DATA", "../shared/data"))
    args = ap.parse_args()

    t0 = time.time()
    tx, ty = load_tsv(os.path.join(args.data, "sst2", "train.tsv"))
    dx, dy = load_tsv(os.path.join(args.data, "sst2", "dev.tsv"))
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(C=4.0, max_iter=1000))
    model.fit(tx, ty)
    acc = sum(int(p == y) for p, y in zip(model.predict(dx), dy)) / len(dy)
    print("flask peer: trained on %d texts in %.1f s, SST-2 dev accuracy %.4f" % (len(tx), time.time() - t0, acc),
          file=sys.stderr, flush=True)
    labels = ["negative", "positive"]

    app = Flask("senti-flask-peer")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def error(status, code, msg):
        return jsonify({"error": {"code": code, "message": msg}}), status

    @app.post("/v1/sentiment")
    def sentiment():
        if not request.is_json:
            return error(415, "unsupported_media_type", "the body must be JSON")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "invalid_json", "malformed JSON or not an object")
        text = body.get("text")
        if not isinstance(text, str):
            return error(400, "missing_text", "\"text\" must be a string")
        p = model.predict_proba([text])[0]
        i = int(p[1] >= 0.5)
        return jsonify({"label": labels[i], "score": round(float(p[1]), 4),
                        "scores": {labels[0]: round(float(p[0]), 4), labels[1]: round(float(p[1]), 4)},
                        "model": "sklearn-tfidf-logreg", "cached": False})

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % args.port)
        os.rename(args.port_file + ".tmp", args.port_file)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
