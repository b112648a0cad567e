"""senti.sklearn.SentiClassifier in scikit-learn's machinery."""
import pickle

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

from senti.sklearn import SentiClassifier  # noqa: E402


@pytest.fixture(scope="module")
def sst2_train(data):
    texts, labels = [], []
    with open(data + "/sst2/train.tsv", encoding="utf-8") as f:
        next(f)
        for i, line in enumerate(f):
            if i == 6000:
                break
            label, text = line.rstrip("\n").split("\t", 1)
            texts.append(text)
            labels.append("pos" if label == "1" else "neg")
    return texts, np.array(labels)


def test_fit_predict_score(sst2_train, sst2_dev):
    X, y = sst2_train
    clf = SentiClassifier(epochs=5, threads=2).fit(X, y)
    assert list(clf.classes_) == ["neg", "pos"]
    Xd = sst2_dev[0]
    yd = np.array(["pos" if v else "neg" for v in sst2_dev[1]])
    p = clf.predict_proba(Xd)
    assert p.shape == (len(Xd), 2) and np.allclose(p.sum(axis=1), 1)
    assert set(clf.predict(Xd)) <= {"neg", "pos"}
    assert clf.score(Xd, yd) > 0.7
    assert (clf.predict(["a wonderful, moving film"]) == ["pos"]).all()
    assert clf.report_["n_train"] + clf.report_["n_valid"] == len(X)
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(again.predict_proba(Xd), p)
    assert clf.predict([]).shape == (0,)


def test_same_data_same_model(sst2_train):
    X, y = sst2_train
    a = SentiClassifier(epochs=2).fit(X[:2000], y[:2000])
    b = clone(a).fit(X[:2000], y[:2000])
    assert a.model_bytes_ == b.model_bytes_


def test_three_classes_and_weights():
    X = ["great", "awful", "okay"] * 40
    y = [2, 0, 1] * 40
    clf = SentiClassifier(epochs=20, valid_fraction=0.1).fit(X, y, sample_weight=[1.0] * 120)
    assert list(clf.classes_) == [0, 1, 2] and clf.model_.labels == ("0", "1", "2")
    assert list(clf.predict(["great", "awful", "okay"])) == [2, 0, 1]


def test_pipeline_cross_val_grid(sst2_train):
    X, y = sst2_train
    X, y = X[:3000], y[:3000]
    pipe = Pipeline([("lower", FunctionTransformer(lambda xs: [x.lower() for x in xs])),
                     ("clf", SentiClassifier(epochs=3))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert len(scores) == 3 and min(scores) > 0.6
    g = GridSearchCV(SentiClassifier(epochs=3), {"ngram": [1, 2]}, cv=2).fit(X, y)
    assert g.best_params_["ngram"] in (1, 2)


def test_bad_arguments():
    with pytest.raises(ValueError):
        SentiClassifier().fit(["a", "b"], [1])
    with pytest.raises(ValueError):
        SentiClassifier().fit(["a", "b"], [1, 1])
    with pytest.raises(ValueError):
        SentiClassifier(norm="l2").fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError):  # the trainer's own check
        SentiClassifier(bits=40).fit(["a", "b"] * 20, [0, 1] * 20)
    with pytest.raises(TypeError):
        SentiClassifier().fit(["a", None] * 20, [0, 1] * 20)


def test_binary_model_explains():
    import math
    X = ["great film", "awful film", "great", "awful", "good movie", "bad movie"] * 20
    clf = SentiClassifier(epochs=5).fit(X, [1, 0, 1, 0, 1, 0] * 20)
    e = clf.model_.explain("great film")
    assert all(len(c.logits) == 1 for c in e.contributions)
    z = sum(c.weight for c in e.contributions)
    assert math.isclose(1 / (1 + math.exp(-z)), e.result.scores["positive"], abs_tol=1e-6)
