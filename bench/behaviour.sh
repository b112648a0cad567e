#!/usr/bin/env bash
# bench/behaviour.sh [MODEL]: the behavioural test suite (bench/behaviour/suite.json, issue 14)
# for the default model (or MODEL) and its peers: VADER (senti's vader kind), and fastText and
# scikit-learn trained on exactly the files `make model` trains on (as bench/quality_peers.sh).
# Prints the pass rate per capability and senti's failing examples; writes the table to
# bench/behaviour/results.md, which `make model-card` puts into models/MODEL_CARD.md.
# PEERS=none skips fastText and scikit-learn (seconds instead of minutes); FASTTEXT_MODEL=FILE
# reuses the fastText model bench/quality_peers.sh trained on the same files (build/bench/quality/
# ft.bin) instead of training another; SKLEARN_C=C sets scikit-learn's C (default 8; take the
# one bench/quality_peers.sh picks on the validation splits).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
SENTI=${SENTI:-build/senti}
MODEL=${1:-default}
PEERS=${PEERS:-fasttext,sklearn}
[ -x "$SENTI" ] || make -s all
TRAIN=""
if [ "$PEERS" != none ]; then
    tools/apt-ensure fasttext python3-sklearn >/dev/null
    tools/splits.sh "$DATA" build/data
    TRAIN=$(make -s model-files DATA="$DATA")
fi
MD=bench/behaviour/results.md
[ "$MODEL" = default ] || MD=build/bench/behaviour/results.md
mkdir -p build/bench/behaviour
# shellcheck disable=SC2086
exec /usr/bin/python3 bench/behaviour.py --senti "$SENTI" --model "$MODEL" --vader "$DATA/vader" \
    --peers "$([ "$PEERS" = none ] || echo "$PEERS")" --md "$MD" --sklearn-c "${SKLEARN_C:-8}" \
    ${FASTTEXT_MODEL:+--fasttext-model "$FASTTEXT_MODEL"} ${TRAIN:+--train $TRAIN}
