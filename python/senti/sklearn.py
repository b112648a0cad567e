"""senti.sklearn - SentiClassifier, a scikit-learn estimator over senti's linear trainer.

    >>> from senti.sklearn import SentiClassifier
    >>> clf = SentiClassifier(ngram=2, epochs=10).fit(texts, labels)
    >>> clf.predict(["a wonderful film"]), clf.predict_proba(["a wonderful film"])
    >>> cross_val_score(SentiClassifier(), texts, labels, cv=5)      # or in a Pipeline, GridSearchCV

fit calls the library's trainer (the one `senti train` runs) on the texts and labels in
memory, with the GIL released, and keeps the trained model file's bytes: the fitted estimator
pickles (and clones) like any other. X is any iterable of str or bytes (a list, a numpy
array, a pandas Series); y any labels, 2 to 8 distinct values (classes_ keeps them sorted, as
scikit-learn does). predict_proba's columns follow classes_; score is the accuracy.
The parameters are `senti train`'s options (senti train --help says more).
"""
import os
import re
import tempfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from . import Model, _senti

__all__ = ["SentiClassifier"]

_QUANTIZE = {"f32": 0, "int8": 1, "int8-row": 2}
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,31}$")


def _label_names(classes):
    """The label names the model file carries: binary models are negative,positive (the
    library's rule); others the classes' own names where they are plain, else class0.."""
    if len(classes) == 2:
        return ["negative", "positive"]
    names = [str(c) for c in classes]
    if all(_NAME.match(n) for n in names) and len(set(names)) == len(names):
        return names
    return ["class%d" % i for i in range(len(classes))]


def _texts(X):
    if isinstance(X, (str, bytes)):
        raise TypeError("X must be an iterable of texts, not one text")
    return list(X)


class SentiClassifier(ClassifierMixin, BaseEstimator):
    """A linear n-gram text classifier trained and scored by libsenti.

    bits          log2 of the hashed feature buckets (10..26)
    ngram         1..3: words, word pairs, triples
    negation      mark the words in a negation's scope
    bounds        pairs with the text's start and end
    norm          "none" or "sqrt" (divide by the square root of the feature count)
    mentions      read @handles as one token
    epochs, patience, lr, l2, seed
                  the AdaGrad trainer's schedule (early stopping on a held-out part)
    valid_fraction  the part of the training data held out for early stopping
    quantize      "int8", "int8-row" or "f32" weights
    calibrate     fit a temperature on the held-out part
    nb            NB feature scaling's smoothing count (0: none)
    ensemble      members averaged into the model
    threads       trainer threads (0: all cores)
    """

    def __init__(self, bits=20, ngram=2, negation=True, bounds=True, norm="none", mentions=False,
                 epochs=10, patience=3, lr=0.05, l2=1e-4, seed=1, valid_fraction=0.05,
                 quantize="int8", calibrate=False, nb=0.0, ensemble=1, threads=0):
        self.bits, self.ngram, self.negation, self.bounds = bits, ngram, negation, bounds
        self.norm, self.mentions, self.epochs, self.patience = norm, mentions, epochs, patience
        self.lr, self.l2, self.seed, self.valid_fraction = lr, l2, seed, valid_fraction
        self.quantize, self.calibrate, self.nb, self.ensemble = quantize, calibrate, nb, ensemble
        self.threads = threads

    def _options(self):
        if self.norm not in ("none", "sqrt"):
            raise ValueError("norm must be 'none' or 'sqrt', not %r" % (self.norm,))
        if self.quantize not in _QUANTIZE:
            raise ValueError("quantize must be one of %s, not %r" % (sorted(_QUANTIZE), self.quantize))
        return dict(bits=int(self.bits), ngram=int(self.ngram), negation=int(bool(self.negation)),
                    bounds=int(bool(self.bounds)), norm=int(self.norm == "sqrt"),
                    mentions=int(bool(self.mentions)), epochs=int(self.epochs),
                    patience=int(self.patience), lr=float(self.lr), l2=float(self.l2),
                    seed=int(self.seed), threads=int(self.threads),
                    valid_fraction=float(self.valid_fraction), quantize=_QUANTIZE[self.quantize],
                    calibrate=int(bool(self.calibrate)), nb=float(self.nb), ensemble=int(self.ensemble))

    def fit(self, X, y, sample_weight=None):
        """Train on texts X and labels y (sample_weight: one weight per text, optional)."""
        texts = _texts(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(texts):
            raise ValueError("X and y differ in length (%d texts, %d labels)" % (len(texts), len(y)))
        self.classes_, idx = np.unique(y, return_inverse=True)
        if not 2 <= len(self.classes_) <= 8:
            raise ValueError("SentiClassifier needs 2 to 8 classes, not %d" % len(self.classes_))
        weights = None if sample_weight is None else [float(w) for w in sample_weight]
        with tempfile.TemporaryDirectory(prefix="senti-") as tmp:
            path = os.path.join(tmp, "model.safetensors")
            self.report_ = _senti.train(texts, idx.tolist(), _label_names(self.classes_), path,
                                        weights=weights, **self._options())
            with open(path, "rb") as f:
                self.model_bytes_ = f.read()
            self.model_ = Model(path, read=True)
        self.n_features_in_ = 1
        return self

    def _proba(self, X):
        check_is_fitted(self, "model_")
        cols = self.model_.predict_batch(_texts(X), as_columns=True)
        labels = self.model_.labels
        if not cols["label"]:
            return np.zeros((0, len(labels)))
        return np.column_stack([np.asarray(cols[lab], dtype=float) for lab in labels])

    def predict_proba(self, X):
        """Class probabilities, one row per text, columns in the order of classes_."""
        return self._proba(X)

    def predict(self, X):
        """The most probable class of each text."""
        p = self._proba(X)
        return self.classes_[np.argmax(p, axis=1)] if len(p) else self.classes_[:0]

    def save(self, path):
        """Write the trained model file (senti predict --model PATH reads it)."""
        check_is_fitted(self, "model_bytes_")
        with open(path, "wb") as f:
            f.write(self.model_bytes_)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("model_", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "model_bytes_" in state:
            with tempfile.TemporaryDirectory(prefix="senti-") as tmp:
                path = os.path.join(tmp, "model.safetensors")
                with open(path, "wb") as f:
                    f.write(self.model_bytes_)
                self.model_ = Model(path, read=True)

    def _more_tags(self):
        return {"X_types": ["string"], "requires_y": True}
