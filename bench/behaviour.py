#!/usr/bin/python3
"""behaviour.py - senti's behavioural test suite (issue 14), after CheckList (Ribeiro et al.,
ACL 2020): cases generated from the templates and word lists of bench/behaviour/suite.json,
grouped by capability, each with an expectation; the pass rate per capability for senti's
model and its peers, and the failing examples. Run by bench/behaviour.sh.

    /usr/bin/python3 bench/behaviour.py --senti build/senti --model default [--vader DIR]
        [--train A.tsv B.tsv ...] [--peers fasttext,sklearn] [--md FILE] [--failures N]

Generation is deterministic: a template gives every combination of the lists it names, in list
order (the first placeholder varies slowest); a test with "max" keeps that many of its cases,
evenly spaced (case i * n / max); the typo perturbation swaps two adjacent letters of one word,
both picked by a generator seeded with the CRC-32 of the text. Nothing is random between runs.

Expectations (a case passes when):
  mft   the predicted label is "expect" (or, for "not-LABEL", anything but LABEL)
  inv   the perturbed text gets the same label as the original; fairness tests ("swap") also
        need every class probability to move by at most "bound" from the first variant's
  dir   "up": P(positive) of the changed text >= the original's - 0.01; "down": <= the
        original's + 0.01 (DIR_TOL: a text already at P(positive) 0.001 may drift by rounding
        and dilution without a human calling it a change; CheckList used 0.1). For VADER the
        P(positive) analogue is senti's vader score, (compound + 1) / 2.
Peers: fastText and scikit-learn trained on the --train files exactly as bench/quality_peers.py
trains them (fastText 1-2 grams; tf-idf + logistic regression, C given by --sklearn-c), and VADER
(senti's vader kind).
"""
import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quality_peers as qp  # noqa: E402

LABELS = qp.LABELS
DIR_TOL = 0.01  # directional tests: P(positive) may move the wrong way by at most this
SLOT = re.compile(r"\{(\w+)\}")


def expand(template, lists, fixed=None):
    """[(text, values)] for every combination of the lists the template names."""
    names = []
    for n in SLOT.findall(template):
        if n not in names and not (fixed and n in fixed):
            names.append(n)
    out = []
    for combo in itertools.product(*(lists[n] for n in names)):
        vals = dict(fixed or {}, **dict(zip(names, combo)))
        out.append((SLOT.sub(lambda m: vals[m.group(1)], template), vals))
    return out


def keep(cases, m):
    if not m or len(cases) <= m:
        return cases
    return [cases[i * len(cases) // m] for i in range(m)]


def typo(text):
    rng = random.Random(zlib.crc32(text.encode()))
    words = [m for m in re.finditer(r"[A-Za-z]{4,}", text)]
    w = words[rng.randrange(len(words))]
    j = w.start() + rng.randrange(len(w.group()) - 1)
    return text[:j] + text[j + 1] + text[j] + text[j + 2:]


PERTURB = {
    "url": lambda t: t + " https://example.com/item/4711",
    "handle": lambda t: "@jordan_88 " + t,
    "lower": str.lower,
    "upper": str.upper,
    "typo": typo,
    "punct": lambda t: t.rstrip(".!?") + "!!!",
}


def generate(suite):
    """Cases: dicts with capability, test, type and the texts it needs."""
    lists, cases = suite["lists"], []
    for t in suite["tests"]:
        base = dict(capability=t["capability"], test=t["name"], type=t["type"])
        got = []
        for tpl in t["templates"]:
            if t["type"] == "mft":
                got += [dict(base, text=x, expect=t["expect"]) for x, _ in expand(tpl, lists)]
            elif t["type"] == "inv" and "perturb" in t:
                got += [dict(base, text=x, text2=PERTURB[t["perturb"]](x)) for x, _ in expand(tpl, lists)]
            elif t["type"] == "inv":
                s = t["swap"]
                others = expand(SLOT.sub(lambda m: "" if m.group(1) == s else m.group(0), tpl), lists)
                for _, vals in others:
                    variants = [x for x, _ in expand(tpl, lists, fixed=vals)]
                    got += [dict(base, text=variants[0], text2=v, bound=t["bound"]) for v in variants[1:]]
            elif "base" in t:
                got += [dict(base, text=SLOT.sub(lambda m: v[m.group(1)], t["base"]), text2=x,
                             direction=t["direction"]) for x, v in expand(tpl, lists)]
            else:
                got += [dict(base, text=x, text2=x + " " + p, direction=t["direction"])
                        for x, _ in expand(tpl, lists) for p in lists[t["append"]]]
        cases += keep(got, t.get("max"))
    return cases


def senti_predict(senti, model, texts):
    out = subprocess.run([senti, "predict", "--model", model, "--json"], input="\n".join(texts) + "\n",
                         check=True, capture_output=True, text=True).stdout.splitlines()
    res = {}
    for t, line in zip(texts, out):
        o = json.loads(line)
        res[t] = (o["label"], o["score"], [o["scores"].get(c, 0.0) for c in LABELS])
    return res


def probs_predict(texts, probs):
    return {t: (LABELS[max(range(3), key=lambda j: p[j])], p[2], p) for t, p in zip(texts, probs)}


def passes(c, pred):
    lab, score, pr = pred[c["text"]]
    if c["type"] == "mft":
        e = c["expect"]
        return lab != e[4:] if e.startswith("not-") else lab == e
    lab2, score2, pr2 = pred[c["text2"]]
    if c["type"] == "inv":
        return lab == lab2 and ("bound" not in c or max(abs(a - b) for a, b in zip(pr, pr2)) <= c["bound"])
    return score2 >= score - DIR_TOL if c["direction"] == "up" else score2 <= score + DIR_TOL


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--suite", default=os.path.join(here, "behaviour", "suite.json"))
    ap.add_argument("--senti", default="build/senti")
    ap.add_argument("--model", default="default")
    ap.add_argument("--vader", default="", help="VADER lexicon folder (senti's vader kind as a peer)")
    ap.add_argument("--train", nargs="*", default=[])
    ap.add_argument("--peers", default="fasttext,sklearn")
    ap.add_argument("--sklearn-c", type=float, default=8.0,
                    help="C of the scikit-learn peer (bench/quality_peers.py picks it on the validation splits)")
    ap.add_argument("--fasttext-model", default="",
                    help="a fastText model trained by bench/quality_peers.py on the same files, instead of training one")
    ap.add_argument("--work", default="build/bench/behaviour")
    ap.add_argument("--md", default="", help="write the pass-rate table as Markdown to this file")
    ap.add_argument("--failures", type=int, default=3, help="failing examples shown per test (first system)")
    ap.add_argument("--cases", default="", help="write the generated cases (JSON lines) to this file")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    with open(a.suite, encoding="utf-8") as f:
        cases = generate(json.load(f))
    if a.cases:
        with open(a.cases, "w", encoding="utf-8") as f:
            for c in cases:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
    texts = sorted({c[k] for c in cases for k in ("text", "text2") if k in c})
    systems = {"senti " + a.model: senti_predict(a.senti, a.model, texts)}
    if a.vader:
        systems["vader"] = senti_predict(a.senti, "vader:" + a.vader, texts)
    peers = [p for p in a.peers.split(",") if p] if a.train else []
    if peers:
        tr_t, tr_y = [], []
        for p in a.train:
            t, y = qp.read_labeled(p)
            tr_t += t
            tr_y += y
    if a.fasttext_model:
        systems["fasttext"] = probs_predict(texts, qp.ft_probs(a.fasttext_model, texts, a.work))
    elif "fasttext" in peers:
        qp.ft_write(os.path.join(a.work, "train.ft"), tr_t, tr_y)
        base = os.path.join(a.work, "ft")
        subprocess.run(["fasttext", "supervised", "-input", os.path.join(a.work, "train.ft"), "-output", base,
                        "-wordNgrams", "2", "-epoch", "10", "-lr", "0.5", "-dim", "50", "-bucket", "2000000",
                        "-thread", "1", "-seed", "1", "-verbose", "0"], check=True)
        systems["fasttext"] = probs_predict(texts, qp.ft_probs(base + ".bin", texts, a.work))
    if "sklearn" in peers:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=2_000_000)
        clf = LogisticRegression(C=a.sklearn_c, max_iter=300, class_weight="balanced")
        clf.fit(vec.fit_transform(tr_t), tr_y)
        P = clf.predict_proba(vec.transform(texts))
        order = list(clf.classes_)
        systems["sklearn (C=%g)" % a.sklearn_c] = probs_predict(
            texts, [[P[i][order.index(c)] if c in order else 0.0 for c in range(3)] for i in range(len(texts))])
    report(cases, systems, a)


def report(cases, systems, a):
    caps = list(dict.fromkeys(c["capability"] for c in cases))
    names = list(systems)
    res = {s: [passes(c, systems[s]) for c in cases] for s in names}
    rows = []
    for cap in caps + ["all"]:
        idx = [i for i, c in enumerate(cases) if cap == "all" or c["capability"] == cap]
        rows.append((cap, len(idx), [sum(res[s][i] for i in idx) / len(idx) for s in names]))
    w = max(len(n) for n in names) + 2
    print("%-28s %6s" % ("capability", "cases") + "".join("%*s" % (w, n) for n in names))
    for cap, n, r in rows:
        print("%-28s %6d" % (cap, n) + "".join("%*.3f" % (w, x) for x in r))
    if a.md:
        with open(a.md, "w", encoding="utf-8") as f:
            f.write("| capability | cases | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names) + "\n")
            for cap, n, r in rows:
                f.write("| %s | %d | %s |\n" % (cap, n, " | ".join("%.3f" % x for x in r)))
    first = names[0]
    print("\nfailing examples (%s, at most %d per test):" % (first, a.failures))
    shown = {}
    for c, ok in zip(cases, res[first]):
        if ok or shown.get(c["test"], 0) >= a.failures:
            continue
        shown[c["test"]] = shown.get(c["test"], 0) + 1
        p = systems[first]
        got = "%s %.3f" % (p[c["text"]][0], p[c["text"]][1])
        if "text2" in c:
            got += " -> %r: %s %.3f" % (c["text2"], p[c["text2"]][0], p[c["text2"]][1])
        print("  [%s / %s] %r: %s%s" % (c["capability"], c["test"], c["text"], got,
                                        " (expected %s)" % c["expect"] if "expect" in c else ""))


if __name__ == "__main__":
    main()
