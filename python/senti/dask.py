"""senti.dask - score a dask DataFrame's text column on a Dask cluster.

    >>> import dask.dataframe as dd, senti.dask
    >>> ddf = dd.read_csv("reviews/*.csv")
    >>> out = senti.dask.score(ddf, "text")                       # lazy: + label, score, scores
    >>> out = senti.dask.score(ddf, "text", model="vader:/data/vader", expand=True, prefix="v_")
    >>> out.to_csv("scored/part-*.csv", index=False)              # or .compute(), .to_parquet()

Each partition goes through senti.pandas.score on the worker that holds it, so the columns,
their types and the missing-value rules are exactly senti.pandas's (label, score, scores; or
with expand=True one float column per label and model value). map_partitions keeps the index,
the divisions and the order of the rows.

The model is named by its spec (a str: "default", a file path, "linear:PATH", "vader:DIR"),
never pickled: each worker process opens it on first use and keeps it in a per-process cache
keyed by the spec and the open options, so a thousand partitions on eight worker processes
open the model eight times. A file path must be readable on every worker (a shared
filesystem, or the same image everywhere). models_opened() says how many opens this process
did (a test asks the workers through Client.run).

Failures are Dask's: a worker that dies loses its partitions and the scheduler computes them
again elsewhere (scoring has no side effects, so a partition scored twice gives the same rows);
a model that does not open raises senti.ModelError in the task, which fails the computation.
"""
import os as _os
import threading as _threading

import dask.dataframe as _dd

from . import Model
from . import pandas as _spd

__all__ = ["score", "models_opened"]

_lock = _threading.Lock()
_models = {}
_opened = 0


def _key(model, opts):
    spec = "default" if model is None else _os.fspath(model)
    return spec, tuple(sorted(opts.items()))


def _model(key):
    """The model of key in this process: opened on first use, then shared by every partition
    (and every worker thread; a senti.Model may be used by any number of threads)."""
    global _opened
    with _lock:
        m = _models.get(key)
        if m is None:
            spec, opts = key
            m = Model(None if spec == "default" else spec, **dict(opts))
            _models[key] = m
            _opened += 1
        return m


def models_opened():
    """How many models this process has opened for senti.dask (once per spec and options)."""
    return _opened


def _score_partition(df, column, key, prefix, expand, threads):
    return _spd.score(df, column, _model(key), prefix=prefix, expand=expand, threads=threads)


def score(ddf, column, model="default", *, prefix="", expand=False, threads=1, max_text_bytes=0,
          max_tokens=0, lexicon_dir=None):
    """A dask DataFrame with ddf's columns and the scores of ddf[column] (lazy).

    model      a model spec (str or os.PathLike): "default", "PATH", "linear:PATH",
               "vader:DIR"; not a senti.Model (which cannot travel to the workers)
    prefix, expand
               as senti.pandas.score
    threads    library threads per partition (default 1: Dask's worker threads already
               score partitions in parallel; 0: all cores of the worker's machine)
    max_text_bytes, max_tokens, lexicon_dir
               passed to senti.Model on each worker
    """
    if isinstance(model, Model):
        raise TypeError("senti.dask.score takes a model spec (str), not a senti.Model: each "
                        "worker opens the model itself (model=m.path for a model file)")
    if column not in ddf.columns:
        raise KeyError(column)
    opts = {}
    if max_text_bytes:
        opts["max_text_bytes"] = int(max_text_bytes)
    if max_tokens:
        opts["max_tokens"] = int(max_tokens)
    if lexicon_dir is not None:
        opts["lexicon_dir"] = str(lexicon_dir)
    key = _key(model, opts)
    # the output's empty frame (columns and dtypes), from the client's copy of the model
    meta = _score_partition(ddf._meta, column, key, prefix, expand, threads)
    return _dd.map_partitions(_score_partition, ddf, column, key, prefix, expand, threads,
                              meta=meta, align_dataframes=False)
