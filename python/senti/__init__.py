"""Sentiment analysis at C speed: the Python package of libsenti.

    >>> import senti
    >>> m = senti.Model()                      # the embedded default model
    >>> r = m.predict("what a wonderful, moving film")
    >>> r.label, r.score                       # ('positive', 0.9992735571029822)
    >>> r.scores                               # {'negative': 0.0006..., 'neutral': 0.0001..., 'positive': 0.9992...}
    >>> m.predict_batch(texts)                 # list in, list out, order kept, all cores, GIL released
    >>> m.predict_batch(texts, as_columns=True)   # {'label': [...], 'score': array, ...}
    >>> m.explain("not bad at all")            # what each word and word pair adds

docs/python.md in the source tree is the guide.

Models (the spec of Model(spec)):
    None or "default"   the linear model embedded in the library
    "PATH"              a senti model file (of the kind its metadata names)
    "linear:PATH"       a linear model file
    "vader:DIR"         the VADER rules over the lexicons in DIR (vader_lexicon.txt and
                        emoji_utf8_lexicon.txt); also senti.vader.SentimentIntensityAnalyzer

Text: str or bytes. A str is scored as UTF-8; lone surrogates (which UTF-8 cannot carry)
are read as U+FFFD, as the library reads each byte of invalid UTF-8 in bytes. Texts longer
than max_text_bytes (1 MiB by default) are scored on their start (Result.truncated).

Errors: ModelError (a model cannot be opened or used; .status, .status_name), ValueError
(bad arguments, a closed model), TypeError (a text that is neither str nor bytes).

Threads: scoring releases the GIL; one Model may be shared by any number of threads.

Submodules: senti.vader (a drop-in for vaderSentiment / NLTK's SentimentIntensityAnalyzer),
senti.sklearn (SentiClassifier, a scikit-learn estimator over the trainer), senti.pandas
(score a DataFrame column), senti.dask (the same over a dask DataFrame, on a Dask cluster).
"""
from . import _senti
from ._senti import ModelError, Result, kinds, memory_stats

__all__ = ["Model", "Result", "Contribution", "ModelError", "version", "kinds", "memory_stats"]
__version__ = _senti.version()


def version():
    """The version of the libsenti linked into this module, e.g. '0.2.0'."""
    return _senti.version()


def _column_arrays(block, ncols, n):
    """The ncols columns of n doubles in block (a bytearray), as arrays that share it (numpy)
    or copies of it (array.array, without numpy)."""
    try:
        import numpy
    except ImportError:
        import array
        flat = memoryview(block).cast("d")
        return [array.array("d", flat[k * n:(k + 1) * n]) for k in range(ncols)]
    return list(numpy.frombuffer(block, dtype=numpy.float64)[:ncols * n].reshape(ncols, n))


class Contribution(tuple):
    """One feature's part in a decision (see Model.explain).

    text      the words the feature covers ('' for the bias)
    start     character offset of the span in the text (str input; byte offset for bytes)
    end       character offset of the span's end
    order     1 a word, 2 a word pair, 3 a triple, 0 a pair with the text's start or end,
              255 the bias
    negated   True if the feature is read inside a negation's scope
    logits    what it adds to each output's logit (binary models: one value, toward
              'positive'); binary: P(positive) = sigmoid(sum of logits[0])
    """
    __slots__ = ()
    _fields = ("text", "start", "end", "order", "negated", "logits")

    def __new__(cls, text, start, end, order, negated, logits):
        return tuple.__new__(cls, (text, start, end, order, negated, logits))

    text = property(lambda self: self[0])
    start = property(lambda self: self[1])
    end = property(lambda self: self[2])
    order = property(lambda self: self[3])
    negated = property(lambda self: self[4])
    logits = property(lambda self: self[5])

    @property
    def weight(self):
        """The contribution toward the first output (binary models: toward 'positive')."""
        return self[5][0]

    def __repr__(self):
        return "Contribution(text=%r, start=%d, end=%d, order=%d, negated=%r, logits=%r)" % self


class Explanation(tuple):
    """(result, contributions): Model.explain's answer."""
    __slots__ = ()

    def __new__(cls, result, contributions):
        return tuple.__new__(cls, (result, contributions))

    result = property(lambda self: self[0], doc="the Result, as predict gives it")
    contributions = property(lambda self: self[1], doc="list of Contribution, bias first")


class Model(_senti.Model):
    """A sentiment model of libsenti.

    Model(spec=None, *, max_text_bytes=0, max_tokens=0, lexicon_dir=None, read=False)

    spec            None/"default" (the embedded model), "PATH", "linear:PATH", "vader:DIR"
                    (str or os.PathLike)
    max_text_bytes  texts are scored on at most this many bytes (0: 1 MiB)
    max_tokens      tokens past this are ignored (0: 65536)
    lexicon_dir     VADER's lexicon folder when the spec is "vader:" with no path
    read            read the model file into memory instead of mapping it

    Methods: predict(text) -> Result; predict_batch(texts, threads=0, as_columns=False);
    values(text) -> dict of the model's own values; explain(text) -> Explanation;
    close(); use as a context manager ("with senti.Model(...) as m:").
    Properties: kind, labels, value_names, path, size, digest, metadata, card, closed.
    """

    @property
    def card(self):
        """A short description of the model: kind, labels, where it came from, metadata."""
        return {"kind": self.kind, "labels": list(self.labels), "value_names": list(self.value_names),
                "path": self.path, "size": self.size, "digest": self.digest, "metadata": self.metadata}

    def predict_batch(self, texts, threads=0, *, as_columns=False):
        """Score many texts: a list of Result in input order (or columns, see below).

        texts       any iterable of str or bytes: a list, a tuple, a generator, a numpy
                    array of str or objects, a pandas Series
        threads     scoring threads of the library (0: all online cores); the GIL is
                    released while they work, and this thread builds the Python results
                    of one chunk while the next is scored
        as_columns  return {"label": [str, ...], "score": array, <each label>: array of its
                    probability, <each value name>: array} instead: no Python object per
                    number, the fastest way to fill a data frame. The arrays are numpy
                    float64 arrays if numpy is importable, else array.array('d').
        """
        if not as_columns:
            return _senti.Model.predict_batch(self, texts, threads)
        labels, block, ncols = _senti.Model.predict_batch(self, texts, threads, _columns=True)
        names = ("score",) + self.labels + self.value_names
        out = {"label": labels}
        out.update(zip(names, _column_arrays(block, ncols, len(labels))))
        return out

    def explain(self, text):
        """Score text as predict() does and say why: Explanation(result, contributions).

        The contributions are the bias first, then one per word, word pair and triple in text
        order; for linear models they add up exactly to the logits. Spans are character
        offsets into a str (byte offsets for bytes). ModelError for kinds without
        explanations (vader).
        """
        result, raw, items = self._explain(text)
        as_str = isinstance(text, str)
        out = []
        for start, end, order, flags, logits in items:
            piece = raw[start:end].decode("utf-8", "replace")
            if as_str:
                start = len(raw[:start].decode("utf-8", "replace"))
                end = start + len(piece)
            out.append(Contribution(piece, start, end, order, bool(flags & 1), logits))
        return Explanation(result, out)

    def __repr__(self):
        if self.closed:
            return "<senti.Model closed>"
        return "<senti.Model kind=%r labels=%r path=%r>" % (self.kind, self.labels, self.path)
