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
# The eight corpora of issue 14 (../shared/data/*/train.tsv, label<TAB>text, each SOURCE.md
# gives its origin and licence) have no validation half of their own. Each is split by its text:
# validation = the rows whose first 200 bytes hash to 0 mod 10 (h = h * 31 + byte, mod 1000003,
# bytes read in the C locale), about 10%; the rest is for training. The hash of the text, not
# the line number, decides, so a row keeps its side when others are added or reordered.
#   tweet_sentiment_extraction -> tse_{train,valid}       goemotions_polarity -> goemo_*
#   pros_cons -> proscons_*   subjectivity_objective -> subjobj_*   womens_clothing_reviews -> clothing_*
#   druglib_reviews -> druglib_*   twitter_financial_news -> finnews_*   sentfin_headlines -> sentfin_*
# meld_sentiment is for evaluation only and is not split (its eval.tsv is used whole).
split_by_text() { # CORPUS NAME
    LC_ALL=C awk -F'\t' -v out="$OUT/$2" '
        BEGIN { for (i = 1; i < 256; i++) ord[sprintf("%c", i)] = i }
        NR == 1 { print > (out "_train.tsv"); print > (out "_valid.tsv"); next }
        { h = 0; n = length($2) < 200 ? length($2) : 200
          for (i = 1; i <= n; i++) h = (h * 31 + ord[substr($2, i, 1)]) % 1000003
          print > (out (h % 10 == 0 ? "_valid.tsv" : "_train.tsv")) }' "$DATA/$1/train.tsv"
}
split_by_text tweet_sentiment_extraction tse
split_by_text goemotions_polarity goemo
split_by_text pros_cons proscons
split_by_text subjectivity_objective subjobj
split_by_text womens_clothing_reviews clothing
split_by_text druglib_reviews druglib
split_by_text twitter_financial_news finnews
split_by_text sentfin_headlines sentfin
