#!/bin/sh
# eval_suite.sh MODEL [senti eval options]: the table of the model card, one row per data set:
# SST-2 dev, the IMDB and SemEval validation splits (tools/splits.sh), the ICWSM tweets and
# Amazon snippets (rated -4..4: accuracy on the sign, Pearson r on the rating), the validation
# splits of the eight corpora of issue 14, and MELD (TV dialogue, evaluation only: never trained on).
set -eu
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
MODEL=$1
shift
[ -f build/data/sentfin_valid.tsv ] || tools/splits.sh "$DATA" build/data
exec "$SENTI" eval "$MODEL" "$@" \
    --name sst2-dev "$DATA/sst2/dev.tsv" \
    --name imdb-valid build/data/imdb_valid.tsv \
    --name semeval-valid build/data/semeval_valid.tsv \
    --name tse-valid build/data/tse_valid.tsv \
    --name goemo-valid build/data/goemo_valid.tsv \
    --name proscons-valid build/data/proscons_valid.tsv \
    --name subjobj-valid build/data/subjobj_valid.tsv \
    --name clothing-valid build/data/clothing_valid.tsv \
    --name druglib-valid build/data/druglib_valid.tsv \
    --name finnews-valid build/data/finnews_valid.tsv \
    --name sentfin-valid build/data/sentfin_valid.tsv \
    --name meld "$DATA/meld_sentiment/eval.tsv" \
    --no-header --label-col 2 --text-col 3 --name icwsm-tweets "$DATA/icwsm/tweets_GroundTruth.txt" \
    --no-header --label-col 2 --text-col 3 --name icwsm-amazon "$DATA/icwsm/amazonReviewSnippets_GroundTruth.txt"
