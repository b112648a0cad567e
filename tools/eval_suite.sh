#!/bin/sh
# eval_suite.sh MODEL [senti eval options]: the table of the model card, one row per data set:
# SST-2 dev, the IMDB and SemEval validation splits (tools/splits.sh), the ICWSM tweets and
# Amazon snippets (rated -4..4: accuracy on the sign, Pearson r on the rating).
set -eu
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
MODEL=$1
shift
[ -f build/data/imdb_valid.tsv ] || tools/splits.sh "$DATA" build/data
exec "$SENTI" eval "$MODEL" "$@" \
    --name sst2-dev "$DATA/sst2/dev.tsv" \
    --name imdb-valid build/data/imdb_valid.tsv \
    --name semeval-valid build/data/semeval_valid.tsv \
    --no-header --label-col 2 --text-col 3 --name icwsm-tweets "$DATA/icwsm/tweets_GroundTruth.txt" \
    --no-header --label-col 2 --text-col 3 --name icwsm-amazon "$DATA/icwsm/amazonReviewSnippets_GroundTruth.txt"
