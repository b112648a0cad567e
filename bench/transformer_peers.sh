#!/usr/bin/env bash
# `make benchmark-transformer`: senti's transformer kind against PyTorch (f32 and dynamic int8)
# and ONNX Runtime (f32 and int8, npm onnxruntime-node 1.17.0) on DistilBERT-base- and
# BERT-base-shaped checkpoints with random weights; bench/transformer_peers.py says what is
# measured and how. Needs build/senti, build/test-tokenize and the Python binding (build/python).
#   OUT (build/bench/transformer) keeps the checkpoints, the imported files, the ONNX graphs
#   and transformer.json between runs; BENCH_ARGS passes options (--quick, --rounds N, ...).
set -eu
cd "$(dirname "$0")/.."
B=${B:-build}
OUT=${OUT:-$B/bench/transformer}
(cd bench/transformer && { [ -d node_modules/onnxruntime-node ] || npm ci --no-audit --no-fund; })
# one pool of threads per library: OpenMP's workers sleep when idle instead of spinning against
# OpenBLAS's (Debian's torch has both) and against the other peers, which take turns
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2
export PYTHONPATH=$B/python${PYTHONPATH:+:$PYTHONPATH}
# shellcheck disable=SC2086
exec nice -n 5 /usr/bin/python3 bench/transformer_peers.py --out "$OUT" --senti "$B/senti" \
    --tokenize "$B/test-tokenize" --data "${DATA:-../shared/data}" ${BENCH_ARGS:-}
