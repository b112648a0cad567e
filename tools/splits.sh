#!/bin/sh
# splits.sh DATA OUT: the validation splits senti uses, carved from the shared data sets
# (which ship without their official test halves). Deterministic; files keep their headers.
#   imdb:    validation = the last 2,500 ids of each class (ids 10000-12499), 5,000 reviews
#   semeval: validation = the twitter-2016dev and twitter-2016devtest tweets, 3,999 tweets
#   semeval_iid: a second, random split for comparison (`make semeval-iid`): validation = the
#            tweets whose id hashes to 0 mod 10 (h = h * 31 + digit, mod 1000003), 4,992 tweets
# SST-2 needs no carving: its dev.tsv is the validation/test set.
set -eu
DATA=${1:-../shared/data}
OUT=${2:-build/data}
mkdir -p "$OUT"
awk -F'\t' -v out="$OUT" 'NR == 1 { print > (out "/imdb_train.tsv"); print > (out "/imdb_valid.tsv"); next }
    { print > (out ($2 + 0 >= 10000 ? "/imdb_valid.tsv" : "/imdb_train.tsv")) }' "$DATA/imdb/train.tsv"
awk -F'\t' -v out="$OUT" 'NR == 1 { print > (out "/semeval_train.tsv"); print > (out "/semeval_valid.tsv"); next }
    { print > (out ($3 == "twitter-2016dev" || $3 == "twitter-2016devtest" ? "/semeval_valid.tsv" : "/semeval_train.tsv")) }' \
    "$DATA/semeval2017/train.tsv"
awk -F'\t' -v out="$OUT" 'NR == 1 { print > (out "/semeval_iid_train.tsv"); print > (out "/semeval_iid_valid.tsv"); next }
    { h = 0; for (i = 1; i <= length($2); i++) h = (h * 31 + substr($2, i, 1)) % 1000003
      print > (out (h % 10 == 0 ? "/semeval_iid_valid.tsv" : "/semeval_iid_train.tsv")) }' \
    "$DATA/semeval2017/train.tsv"
