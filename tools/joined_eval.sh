#!/bin/sh
# joined_eval.sh MODEL [senti eval options]: how a model scores long texts that are not movie
# reviews. IMDB's reviews are the only long texts in the training data, so short texts of one
# polarity that the default model never trained on are joined into long ones: 6 ICWSM Amazon
# snippets, 6 ICWSM tweets, 6 polar SemEval validation tweets, and, as the movie-review control,
# 4 SST-2 dev sentences (218 texts, about a fifth of them under 64 tokens). Each class's texts
# are shuffled with seed 1 and cut into groups; the files land in build/data/joined_*.tsv. The
# model card's "Long texts" table was measured with these files.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: tools/joined_eval.sh MODEL [senti eval options]  (MODEL: default, a file, KIND:PATH)" >&2
    exit 2
fi
MODEL=$1
shift
case $MODEL in /* | default | *:*) ;; *) [ -e "$MODEL" ] && MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL") ;; esac
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
OUT=build/data
[ -f "$OUT/semeval_valid.tsv" ] || tools/splits.sh "$DATA" "$OUT"
python3 - "$DATA" "$OUT" <<'PY'
import random, sys
data, out = sys.argv[1], sys.argv[2]

def icwsm(path):  # id <TAB> mean rating <TAB> text; the sign of the rating is the label
    rows = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) >= 3 and float(p[1]) != 0:
                rows.append((1 if float(p[1]) > 0 else 0, " ".join(p[2:])))
    return rows

def tsv(path, polar):  # a header with label and text columns
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.readline().rstrip("\n").split("\t")
        li = head.index("label")
        ti = next(head.index(h) for h in ("text", "sentence", "content", "review") if h in head)
        rows = []
        for line in f:
            p = line.rstrip("\n").split("\t")
            lab = polar.get(p[li])
            if lab is not None:
                rows.append((lab, p[ti]))
    return rows

def join(rows, name, k, order=(0, 1)):  # order: which class is shuffled (and written) first
    random.seed(1)
    with open("%s/joined_%s.tsv" % (out, name), "w", encoding="utf-8") as g:
        g.write("label\ttext\n")
        for lab in order:
            texts = [t for l, t in rows if l == lab]
            random.shuffle(texts)
            for i in range(0, len(texts) - k + 1, k):
                g.write("%d\t%s\n" % (lab, " ".join(texts[i:i + k])))

join(icwsm(data + "/icwsm/amazonReviewSnippets_GroundTruth.txt"), "amazon6", 6, (1, 0))
join(icwsm(data + "/icwsm/tweets_GroundTruth.txt"), "tweets6", 6, (1, 0))
join(tsv(out + "/semeval_valid.tsv", {"negative": 0, "positive": 1}), "semeval6", 6)
join(tsv(data + "/sst2/dev.tsv", {"0": 0, "1": 1}), "sst2dev4", 4)
PY
exec "$SENTI" eval "$MODEL" "$@" \
    --name joined-amazon-x6 "$OUT/joined_amazon6.tsv" \
    --name joined-tweets-x6 "$OUT/joined_tweets6.tsv" \
    --name joined-semeval-x6 "$OUT/joined_semeval6.tsv" \
    --name joined-sst2dev-x4 "$OUT/joined_sst2dev4.tsv"
