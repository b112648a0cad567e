"""senti.vader - a drop-in for vaderSentiment's SentimentIntensityAnalyzer (and NLTK's), in C.

    >>> from senti.vader import SentimentIntensityAnalyzer
    >>> SentimentIntensityAnalyzer().polarity_scores("VADER is smart, handsome, and funny.")
    {'neg': 0.0, 'neu': 0.254, 'pos': 0.746, 'compound': 0.8316}

polarity_scores gives the numbers of vaderSentiment (the reference implementation, at the
commit ../shared/data/vader/SOURCE.md names) exactly, rounding included: the library's `vader` kind is checked against the reference's
outputs on 28,895 texts (python/tests/test_vader.py). NLTK's port is an older variant of the
algorithm (another tokenizer, no emoji handling, another "but" rule), so where it disagrees
with vaderSentiment this class answers as vaderSentiment does.

The lexicons (vader_lexicon.txt and emoji_utf8_lexicon.txt, side by side) are found as the
C side finds them: the lexicon_file argument (the file or its folder), else
$SENTI_VADER_LEXICON, else $SENTI_DATA_DIR/vader, else ../shared/data/vader (from the current
folder, then from the source tree this package was built in).

Text: str (or bytes, read as UTF-8). Lone surrogates in a str are read as U+FFFD. A text that
is neither is a TypeError, where vaderSentiment fails in its own ways.
"""
import os

from . import Model

__all__ = ["SentimentIntensityAnalyzer", "find_lexicon_dir"]

# default arguments of vaderSentiment and NLTK: they name the packaged lexicon, not a path here
_DEFAULT_NAMES = ("vader_lexicon.txt", "sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt")
_EMOJI = "emoji_utf8_lexicon.txt"


def find_lexicon_dir():
    """The folder of the VADER lexicons by the search order above, or None."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.environ.get("SENTI_VADER_LEXICON")]
    if os.environ.get("SENTI_DATA_DIR"):
        candidates.append(os.path.join(os.environ["SENTI_DATA_DIR"], "vader"))
    candidates += [os.path.join("..", "shared", "data", "vader"),
                   os.path.join(here, "..", "..", "..", "shared", "data", "vader")]
    for c in candidates:
        if c and os.path.exists(os.path.join(c, "vader_lexicon.txt") if os.path.isdir(c) else c):
            return os.path.abspath(c)
    return None


def _resolve(lexicon_file, emoji_lexicon):
    if lexicon_file is not None and os.path.exists(lexicon_file):
        path = os.fspath(lexicon_file)
    elif lexicon_file is None or lexicon_file in _DEFAULT_NAMES:
        path = find_lexicon_dir()
        if path is None:
            raise FileNotFoundError(
                "no VADER lexicon found: pass lexicon_file=PATH (vader_lexicon.txt or its folder) "
                "or set SENTI_VADER_LEXICON or SENTI_DATA_DIR")
    else:
        raise FileNotFoundError("VADER lexicon %r: no such file or folder" % (lexicon_file,))
    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    if emoji_lexicon not in (None, _EMOJI) and \
            os.path.abspath(emoji_lexicon) != os.path.abspath(os.path.join(folder, _EMOJI)):
        raise ValueError("the emoji lexicon must be %s beside the word lexicon (%s)" % (_EMOJI, folder))
    return path


class SentimentIntensityAnalyzer:
    """VADER (Hutto and Gilbert, 2014) with vaderSentiment's API, scored by libsenti.

    SentimentIntensityAnalyzer(lexicon_file=None, emoji_lexicon=None)

    lexicon_file    vader_lexicon.txt or its folder (None, or vaderSentiment's / NLTK's
                    default names: search as the module docstring says)
    emoji_lexicon   accepted for compatibility; must be emoji_utf8_lexicon.txt beside
                    the word lexicon

    polarity_scores(text) -> {'neg', 'neu', 'pos', 'compound'}; the lexicon and emojis
    dictionaries are read from the files on first use, as vaderSentiment exposes them.
    The object may be shared by threads (the GIL is released while scoring).
    """

    def __init__(self, lexicon_file=None, emoji_lexicon=None):
        path = _resolve(lexicon_file, emoji_lexicon)
        self.model = Model("vader:" + path)
        self.lexicon_dir = path if os.path.isdir(path) else os.path.dirname(path) or "."
        # the C method itself: no Python frame per call
        self.polarity_scores = self.model.values
        self._lexicon = self._emojis = None

    def polarity_scores(self, text):  # replaced per instance by Model.values (same answer)
        """{'neg': float, 'neu': float, 'pos': float, 'compound': float} for one text, rounded
        as vaderSentiment rounds (3 and 4 decimals)."""
        return self.model.values(text)

    def polarity_scores_batch(self, texts, threads=0):
        """polarity_scores over many texts with the library's threads; a list of dicts."""
        cols = self.model.predict_batch(texts, threads, as_columns=True)
        keys = ("neg", "neu", "pos", "compound")
        return [dict(zip(keys, row)) for row in zip(*(cols[k].tolist() for k in keys))]

    def _read(self, name):
        with open(os.path.join(self.lexicon_dir, name), encoding="utf-8") as f:
            for line in f.read().rstrip("\n").split("\n"):
                if line:
                    yield line.strip().split("\t")[0:2]

    @property
    def lexicon(self):
        """{word: valence} as vaderSentiment's make_lex_dict reads vader_lexicon.txt."""
        if self._lexicon is None:
            self._lexicon = {w: float(v) for w, v in self._read("vader_lexicon.txt")}
        return self._lexicon

    @property
    def emojis(self):
        """{emoji: description} as vaderSentiment's make_emoji_dict reads the emoji lexicon."""
        if self._emojis is None:
            self._emojis = {e: d for e, d in self._read(_EMOJI)}
        return self._emojis

    def __repr__(self):
        return "<senti.vader.SentimentIntensityAnalyzer lexicon=%r>" % self.lexicon_dir
