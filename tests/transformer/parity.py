#!/usr/bin/env python3
"""The texts of the transformer parity tests (tests/cli/transformer.sh), senti's logits for them,
and the comparisons with the PyTorch reference (tools/hf_checkpoint.py logits).

    parity.py texts DATA_DIR > texts.hex
        One text a line in hexadecimal: SST-2 dev sentences, SemEval 2017 tweets (emoji,
        mentions, URLs), the hand-written texts and invalid UTF-8 of the tokenizer corpus
        (tests/tokenizer/corpus.py: empty, one word, accents, CJK, scripts, control characters,
        very long words, a 700-word text), texts past any position limit, and random mixtures
        with a fixed seed. Texts holding a NUL byte are left out (they travel as command-line
        arguments). Deterministic.
    parity.py senti SENTI MODEL LABELS [--batch [--threads N]] < texts.hex > logits.tsv
        senti's logits (the values logit_LABEL, LABELS comma-separated, in that order) as
        printed: `senti predict --json --model MODEL -- TEXT...` with every text as an argument,
        or with --batch `senti batch` over a file of one text a line (lines format, JSONL out;
        texts holding a newline or carriage return cannot be lines and give "-").
    parity.py compare REF GOT --max-abs T [--fraction F]
        The largest |REF - GOT| over the texts; fails past T plus half a unit of the last
        decimal GOT prints (6 decimals: 0.0000005), the rounding of the printing itself; with
        --fraction, fails when fewer than F of the texts are within that.
    parity.py agree F32 INT8 --min-all A --min-decided D --decided R --max-median M
        The int8 logits against the f32 ones: the same label on >= A of all texts, and on >= D
        of the texts whose f32 margin (top logit minus the next) is at least R times the spread
        (standard deviation) of the margins; the median |int8 - f32| at most M times the spread
        of the f32 logits.
Each command prints one line saying what it measured; compare and agree exit 1 on failure.
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tokenizer"))


def texts(data):
    import corpus
    column = corpus.column
    t = column(f"{data}/sst2/dev.tsv", 6, 140)
    t += column(f"{data}/semeval2017/train.tsv", 97, 100)
    t += [h.encode("utf-8") for h in corpus.HAND] + corpus.INVALID
    long_ones = column(f"{data}/sst2/dev.tsv", 50, 6)
    t += [b" ".join([s] * 6) for s in long_ones]  # past 64 tokens: truncation
    t += ["😀 émoji 中文 ".encode() * 20, b"a " * 300, b"\xff " * 100]
    rng = random.Random(13)
    t += [corpus.random_text(rng) for _ in range(40)]
    for x in t:
        if b"\x00" not in x:
            sys.stdout.write(x.hex() + "\n")


def read_texts():
    return [bytes.fromhex(line.strip()) for line in sys.stdin]


def logits_of(obj, labels):
    if "error" in obj:
        raise SystemExit(f"parity.py: senti reported an error: {obj['error']}")
    return [obj["logit_" + l] for l in labels]


def senti(argv):
    prog, model, labels = argv[0], argv[1], argv[2].split(",")
    ts = read_texts()
    # floats kept as printed (parse_float=str): compare counts their decimals
    if "--batch" not in argv:
        r = subprocess.run([prog, "predict", "--json", "--model", model, "--"] + ts,
                           stdout=subprocess.PIPE, check=True)
        rows = [logits_of(json.loads(l, parse_float=str), labels) for l in r.stdout.splitlines()]
    else:
        threads = argv[argv.index("--threads") + 1] if "--threads" in argv else "2"
        ok = [b"\n" not in x and b"\r" not in x for x in ts]
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "in.txt"), "wb") as f:
                f.write(b"".join(x + b"\n" for x, k in zip(ts, ok) if k))
            subprocess.run([prog, "batch", os.path.join(d, "in.txt"), "-f", "lines", "-F", "jsonl", "-q",
                            "--threads", threads, "--model", model, "-o", os.path.join(d, "out.jsonl")],
                           check=True)
            with open(os.path.join(d, "out.jsonl"), "rb") as f:
                got = iter([logits_of(json.loads(l, parse_float=str), labels) for l in f])
        rows = [next(got) if k else None for k in ok]
    if len(rows) != len(ts):
        raise SystemExit(f"parity.py: {len(rows)} results for {len(ts)} texts")
    for r in rows:
        print("-" if r is None else "\t".join(str(v) for v in r))


def read_tsv(path):
    with open(path) as f:
        return [None if l.strip() == "-" else l.rstrip("\n").split("\t") for l in f]


def compare(argv):
    ref, got, tol = read_tsv(argv[0]), read_tsv(argv[1]), float(argv[argv.index("--max-abs") + 1])
    frac = float(argv[argv.index("--fraction") + 1]) if "--fraction" in argv else 1.0
    if len(ref) != len(got):
        print(f"{len(ref)} reference rows, {len(got)} rows")
        return 1
    decimals = max((len(v.split(".")[1]) if "." in v else 0) for r in got if r for v in r)
    limit = tol + 0.5 * 10.0 ** -decimals if decimals < 9 else tol
    diffs = [(max(abs(float(x) - float(y)) for x, y in zip(a, b)), i)
             for i, (a, b) in enumerate(zip(ref, got)) if b is not None]
    worst, at = max(diffs) if diffs else (0.0, -1)
    inside = sum(d <= limit for d, _ in diffs)
    print(f"max |logit difference| {worst:.3g} over {len(diffs)} texts (text {at + 1}), {inside} within "
          f"{limit:.3g} (printed with {decimals} decimals)")
    return 0 if diffs and inside >= frac * len(diffs) else 1


def agree(argv):
    opt = lambda k: float(argv[argv.index(k) + 1])
    f32 = [[float(v) for v in r] for r in read_tsv(argv[0])]
    q8 = [[float(v) for v in r] for r in read_tsv(argv[1])]
    top = lambda r: max(range(len(r)), key=lambda j: r[j])
    same = [top(a) == top(b) for a, b in zip(f32, q8)]
    margins = [sorted(r)[-1] - sorted(r)[-2] for r in f32]
    cut = opt("--decided") * statistics.pstdev(margins)
    decided = [s for s, m in zip(same, margins) if m >= cut]
    spread = statistics.pstdev([v for r in f32 for v in r])
    med = statistics.median(abs(x - y) for a, b in zip(f32, q8) for x, y in zip(a, b))
    all_rate, dec_rate = sum(same) / len(same), sum(decided) / max(1, len(decided))
    shares = [sum(top(r) == j for r in f32) for j in range(len(f32[0]))]
    print(f"same label on {sum(same)}/{len(same)} texts ({100 * all_rate:.1f}%), on {sum(decided)}/"
          f"{len(decided)} with a margin >= {cut:.3g} ({100 * dec_rate:.1f}%); median |difference| "
          f"{med:.3g} (spread {spread:.3g}); labels of the first file {shares}")
    good = (len(same) == len(q8) and all_rate >= opt("--min-all") and dec_rate >= opt("--min-decided")
            and med <= opt("--max-median") * spread and min(shares) > 0)
    return 0 if good else 1


def main(argv):
    cmd = argv[0] if argv else ""
    if cmd == "texts" and len(argv) == 2:
        return texts(argv[1])
    if cmd == "senti" and len(argv) >= 4:
        return senti(argv[1:])
    if cmd == "compare" and len(argv) >= 5:
        return compare(argv[1:])
    if cmd == "agree" and len(argv) >= 3:
        return agree(argv[1:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
