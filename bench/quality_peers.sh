#!/usr/bin/env bash
# bench/quality_peers.sh [--autotune SECONDS] [MODEL]: the default model (or MODEL) against
# fastText and scikit-learn trained on exactly the files `make model` trains on, evaluated on
# the same validation splits and test sets with the same metrics, printed as one table
# (issue 6). Details of every peer's settings: bench/quality_peers.py.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
AUTOTUNE=0
if [ "${1:-}" = "--autotune" ]; then AUTOTUNE=$2; shift 2; fi
MODEL=${1:-default}
tools/apt-ensure fasttext python3-sklearn >/dev/null
[ -x "$SENTI" ] || make -s all
tools/splits.sh "$DATA" build/data
# the training files: those of the Makefile's MODEL_ARGS
TRAIN=$(make -s model-files DATA="$DATA")
exec /usr/bin/python3 bench/quality_peers.py --senti "$SENTI" --model "$MODEL" --autotune "$AUTOTUNE" \
    --train $TRAIN \
    --eval sst2-dev="$DATA/sst2/dev.tsv" imdb-valid=build/data/imdb_valid.tsv \
           semeval-valid=build/data/semeval_valid.tsv \
           tse-valid=build/data/tse_valid.tsv goemo-valid=build/data/goemo_valid.tsv \
           proscons-valid=build/data/proscons_valid.tsv subjobj-valid=build/data/subjobj_valid.tsv \
           clothing-valid=build/data/clothing_valid.tsv druglib-valid=build/data/druglib_valid.tsv \
           finnews-valid=build/data/finnews_valid.tsv sentfin-valid=build/data/sentfin_valid.tsv \
           meld="$DATA/meld_sentiment/eval.tsv" \
           icwsm-tweets="$DATA/icwsm/tweets_GroundTruth.txt:rating" \
           icwsm-amazon="$DATA/icwsm/amazonReviewSnippets_GroundTruth.txt:rating"
