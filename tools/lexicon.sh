#!/bin/sh
# lexicon.sh DATA OUT: the lexicon the default model is tied to (senti train --lexicon), written
# to OUT/lexicon.tsv: VADER's word lexicon (DATA/vader/vader_lexicon.txt, as it is) followed by
# its emoji, rated. VADER reads an emoji as its description (DATA/vader/emoji_utf8_lexicon.txt:
# "😠<TAB>angry face"); here an emoji gets the sum of the valences its description's words
# (split at spaces and hyphens, lower-cased) have in the word lexicon, clipped to [-4, 4]; an
# emoji whose words are unrated (sum 0) or which the word lexicon already rates is left out.
# So "😠" gets angry's -2.3 and "❤️" heart's 3.2: the training data has few emoji, and the tie
# lets each one share what the data teaches about the words of its valence. Deterministic.
set -eu
DATA=${1:-../shared/data}
OUT=${2:-build/data}
mkdir -p "$OUT"
awk -F'\t' '
    FNR == NR { print; if (NF >= 2) v[tolower($1)] = $2; next }
    NF >= 2 && !($1 in v) {
        n = split(tolower($2), w, /[ -]/); s = 0
        for (i = 1; i <= n; i++) if (w[i] in v) s += v[w[i]]
        if (s > 4) s = 4
        if (s < -4) s = -4
        if (s != 0) printf "%s\t%.1f\n", $1, s
    }' "$DATA/vader/vader_lexicon.txt" "$DATA/vader/emoji_utf8_lexicon.txt" > "$OUT/lexicon.tsv.tmp"
mv "$OUT/lexicon.tsv.tmp" "$OUT/lexicon.tsv"
