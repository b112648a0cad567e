"""senti.pandas - score a DataFrame's text column at C speed.

    >>> import senti.pandas
    >>> out = senti.pandas.score(df, "text")                    # + label, score, scores columns
    >>> out = senti.pandas.score(df, "text", expand=True)       # + one column per label/value
    >>> senti.pandas.score(df, "text", model=senti.Model("vader:DIR"), prefix="vader_")

One predict_batch call over the column (the library's threads, the GIL released). Missing
values (None, NaN) are not scored: their rows get <NA>/NaN. Any other value that is not str
or bytes raises TypeError naming its row position.
"""
import pandas as _pd

from . import Model

__all__ = ["score"]

_default = None


def _default_model():
    global _default
    if _default is None:
        _default = Model()
    return _default


def score(df, column, model=None, *, prefix="", expand=False, threads=0, copy=True):
    """A DataFrame with df's columns and the scores of df[column].

    model    a senti.Model (default: the embedded model, opened once)
    prefix   prepended to the new columns' names
    expand   False: columns label, score, scores (a dict per row); True: label, score, then
             one float column per label and per model value (VADER: neg, neu, pos, compound)
    threads  library threads (0: all cores)
    copy     False: add the columns to df itself
    """
    m = model if model is not None else _default_model()
    col = df[column]
    present = col.notna().to_numpy()
    texts = col[present].tolist()
    cols = m.predict_batch(texts, threads, as_columns=True)
    out = df.copy() if copy else df
    index = col.index[present]

    def put(name, values, dtype):
        s = _pd.Series(values, index=index, dtype=dtype)
        out[prefix + name] = s.reindex(col.index)

    put("label", cols["label"], "string")
    put("score", cols["score"], "float64")
    if expand:
        for name in list(m.labels) + list(m.value_names):
            put(name, cols[name], "float64")
    else:
        labels = m.labels
        rows = [dict(zip(labels, r)) for r in zip(*(cols[lab].tolist() for lab in labels))]
        put("scores", rows, "object")
    return out
