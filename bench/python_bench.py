#!/usr/bin/python3
"""python_bench.py - the Python binding's speed on the 872 SST-2 dev sentences, in one run.

    make bench-python          (PYTHONPATH=build/python DATA=../shared/data /usr/bin/python3 bench/python_bench.py)

Measures, on the same sentences and machine (each figure the best of --passes passes,
the things compared run in alternation so that a busy machine slows both alike):
  - the C call, senti_predict in a C loop in this process (Model._c_loop, one context, as
    build/bench-latency does), against senti.Model().predict per call (in a for loop, and
    with the loop in C: deque(map(...)), the binding's own cost), for the embedded model
    and for the vader kind (polarity_scores);
  - predict_batch throughput (texts/s; all cores and one thread; list of Result and
    as_columns) over the sentences repeated --repeat times, against `senti batch` on a file of
    the same lines (its own records/s summary, the in-process figure);
  - senti.vader's polarity_scores per call against NLTK's VADER (Debian python3-nltk), and
    vaderSentiment's if it is importable (it is not packaged by Debian);
  - scikit-learn TF-IDF + logistic regression (trained here on SST-2 train) predict_proba,
    one text per call and the whole list in one call;
  - fastText's Python binding (trained here on SST-2 train), if importable;
  - with --instructions (valgrind), the instructions per text, which a busy machine does not
    change: `senti batch -j 1` (the whole process: read, score, write) against this process
    scoring the same lines by the C loop, predict_batch (list and columns) and a predict loop
    (each beyond a baseline that only reads the lines).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)


def read_dev(path):
    with open(path, encoding="utf-8") as f:
        next(f)
        return [line.rstrip("\n").split("\t", 1)[1] for line in f]


def best(fn, passes):
    out = []
    for _ in range(passes):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def per_call_us(fn, texts, passes):
    """Microseconds per call in a plain for loop (what a user's loop costs)."""
    def loop():
        for t in texts:
            fn(t)
    return best(loop, passes) / len(texts) * 1e6


def per_call_vs_c(model, fn, texts, passes):
    """(C, for loop, map) microseconds per call, interleaved pass by pass in this process:
    Model._c_loop times senti_predict over the same texts in C (one context, as bench-latency)."""
    c, loop, mapped = [], [], []
    for _ in range(passes):
        c.append(model._c_loop(texts))
        t0 = time.perf_counter()
        for t in texts:
            fn(t)
        loop.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        collections.deque(map(fn, texts), 0)
        mapped.append(time.perf_counter() - t0)
    return [min(x) / len(texts) * 1e6 for x in (c, loop, mapped)]


def senti_batch_once(senti, lines_file, threads):
    """One `senti batch` run: its own records/s (the in-process figure) and its CPU seconds."""
    before = os.times()
    p = subprocess.run([senti, "batch", lines_file, "-f", "lines", "-o", os.devnull, "--no-progress",
                        "-j", str(threads)],
                       capture_output=True, text=True, check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return float(re.search(r"([\d.]+) records/s", p.stderr).group(1)), cpu


def timed(fn):
    """(wall seconds, CPU seconds of this process) of fn()."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def row(name, value, unit, note=""):
    print("%-48s %12.3f %-10s %s" % (name, value, unit, note))


def bench_senti(args, texts, lines_file):
    import senti
    m = senti.Model()
    c_us, us, us_map = per_call_vs_c(m, m.predict, texts, args.passes)
    row("C senti_predict (in process)", c_us, "us/call")
    row("senti.Model().predict (for loop)", us, "us/call", "overhead %.3f us" % (us - c_us))
    row("senti.Model().predict (map)", us_map, "us/call", "overhead %.3f us" % (us_map - c_us))
    big = texts * args.repeat
    senti = os.path.join(args.build, "senti")
    # interleaved passes (the machine may be shared): best rate and least CPU of each
    ways = {}
    for threads in (0, 1):
        ways["senti batch -j %d" % threads] = ("cli", threads)
        for cols in (False, True):
            ways["predict_batch threads=%d%s" % (threads, " as_columns" if cols else "")] = (threads, cols)
    rate = {k: 0.0 for k in ways}
    cpu = {k: float("inf") for k in ways}
    for _ in range(args.passes):
        for k, how in ways.items():
            if how[0] == "cli":
                r, c = senti_batch_once(senti, lines_file, how[1])
            else:
                w, c = timed(lambda: m.predict_batch(big, how[0], as_columns=how[1]))
                r = len(big) / w
            rate[k], cpu[k] = max(rate[k], r), min(cpu[k], c)
    for k, how in ways.items():
        base = rate["senti batch -j %d" % (how[1] if how[0] == "cli" else how[0])]
        row(k + " [%d texts]" % len(big), rate[k], "texts/s",
            "%.1f%% of senti batch; %.3f us CPU/text" % (100 * rate[k] / base, cpu[k] / len(big) * 1e6))


def bench_vader(args, texts):
    from senti.vader import SentimentIntensityAnalyzer
    sia = SentimentIntensityAnalyzer(os.path.join(args.data, "vader"))
    c_us, ours, ours_map = per_call_vs_c(sia.model, sia.polarity_scores, texts, args.passes)
    row("C vader senti_predict (in process)", c_us, "us/call")
    row("senti.vader polarity_scores (for loop)", ours, "us/call", "overhead %.3f us" % (ours - c_us))
    row("senti.vader polarity_scores (map)", ours_map, "us/call", "overhead %.3f us" % (ours_map - c_us))
    try:
        from peer import nltk_analyzer
        nl = nltk_analyzer(os.path.join(args.data, "vader"))
        theirs = per_call_us(nl.polarity_scores, texts, 1)
        row("NLTK VADER polarity_scores", theirs, "us/call", "senti.vader is %.0fx faster" % (theirs / ours))
    except ImportError as e:
        print("NLTK VADER: not importable (%s)" % e)
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer as Ref
        ref = Ref()
        theirs = per_call_us(ref.polarity_scores, texts, 1)
        row("vaderSentiment polarity_scores", theirs, "us/call", "senti.vader is %.0fx faster" % (theirs / ours))
    except ImportError:
        print("vaderSentiment: not installed (not packaged by Debian; no PyPI here)")


def bench_sklearn(args, texts):
    try:
        from peer import read_tsv
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
    except ImportError as e:
        print("scikit-learn: not importable (%s)" % e)
        return
    X, y = read_tsv(os.path.join(args.data, "sst2", "train.tsv"))
    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                         LogisticRegression(C=4.0, max_iter=2000, solver="liblinear")).fit(X, y)
    row("sklearn TF-IDF+LR predict_proba([t])", per_call_us(lambda t: pipe.predict_proba([t]), texts, 1), "us/call")
    t = best(lambda: pipe.predict_proba(texts * args.repeat), 1)
    row("sklearn TF-IDF+LR predict_proba(list)", len(texts) * args.repeat / t, "texts/s")


def bench_fasttext(args, texts):
    """fastText's Python binding (Debian python3-fasttext) on a model it trains here on SST-2
    train (word pairs, 5 epochs): predict per call and on the whole list."""
    try:
        import fasttext
        from peer import read_tsv
    except ImportError:
        print("fastText's Python binding: not installed (Debian python3-fasttext)")
        return
    fasttext.FastText.eprint = lambda *a, **k: None  # the deprecation notice
    X, y = read_tsv(os.path.join(args.data, "sst2", "train.tsv"))
    with tempfile.NamedTemporaryFile("w", suffix=".ft", encoding="utf-8") as f:
        f.write("".join("__label__%d %s\n" % (label, t.replace("\n", " ")) for t, label in zip(X, y)))
        f.flush()
        m = fasttext.train_supervised(input=f.name, epoch=5, wordNgrams=2, verbose=0, thread=2)
    row("fastText predict(t)", per_call_us(m.predict, texts, args.passes), "us/call")
    big = texts * args.repeat
    t = best(lambda: m.predict(big), 3)
    row("fastText predict(list)", len(big) / t, "texts/s")


def instruction_mode(mode, lines_file):
    """Run one workload of --instructions (this script run under callgrind by itself)."""
    import numpy  # noqa: F401  (imported in the baseline too, so its cost cancels)
    import senti
    with open(lines_file, encoding="utf-8") as f:
        texts = f.read().split("\n")[:-1]
    m = senti.Model()
    if mode == "cloop":
        m._c_loop(texts)
    elif mode == "list":
        m.predict_batch(texts, 1)
    elif mode == "columns":
        m.predict_batch(texts, 1, as_columns=True)
    elif mode == "loop":
        for t in texts:
            m.predict(t)


def collected(cmd):
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.devnull] + cmd,
                       capture_output=True, text=True, env=dict(os.environ))
    return int(re.search(r"Collected : (\d+)", p.stderr).group(1))


def bench_instructions(args, lines_file, n):
    senti = collected([os.path.join(args.build, "senti"), "batch", lines_file, "-f", "lines", "-o", os.devnull,
                       "-j", "1", "-q", "--no-progress"])
    me = [sys.executable, os.path.abspath(__file__), "--mode"]
    base = collected(me + ["none", lines_file])
    row("senti batch -j 1 (whole process)", senti / n, "instr/text")
    for mode in ("cloop", "list", "columns", "loop"):
        v = (collected(me + [mode, lines_file]) - base) / n
        row("python: %s" % mode, v, "instr/text", "%+.1f%% vs senti batch" % (100 * (v / (senti / n) - 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=100, help="copies of the 872 sentences for throughput")
    ap.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    ap.add_argument("--mode", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mode:
        return instruction_mode(*args.mode)
    texts = read_dev(os.path.join(args.data, "sst2", "dev.tsv"))
    print("python %s, %d SST-2 dev sentences, %d cores, load average %.1f at the start"
          % (sys.version.split()[0], len(texts), os.cpu_count(), os.getloadavg()[0]))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as f:
        f.write("\n".join(texts * args.repeat) + "\n")
        f.flush()
        bench_senti(args, texts, f.name)
        if args.instructions:
            bench_instructions(args, f.name, len(texts) * args.repeat)
    bench_vader(args, texts)
    bench_sklearn(args, texts)
    bench_fasttext(args, texts)
    print("load average %.1f at the end" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
