"""The Model and Result API: opening, properties, predict, explain, close."""
import math
import pathlib

import pytest

import senti


def test_predict_default(model):
    r = model.predict("what a wonderful, moving film")
    assert r.label == "positive" and r.label in model.labels
    assert 0.0 <= r.score <= 1.0
    assert set(r.scores) == set(model.labels)
    assert math.isclose(sum(r.scores.values()), 1.0, rel_tol=1e-9)
    assert r.scores["positive"] == r.score
    assert r.index == model.labels.index(r.label)
    assert r.n_tokens == 6 and r.truncated is False  # what a wonderful , moving film
    assert model.predict("a dull, lifeless mess").label == "negative"


def test_result_is_immutable_and_converts(model):
    r = model.predict("good")
    with pytest.raises(AttributeError):
        r.label = "negative"
    d = r.to_dict()
    assert d["label"] == r.label and d["score"] == r["score"] == r.score and d["scores"] == r.scores
    assert r == model.predict("good") and r != model.predict("bad")
    assert repr(r).startswith("Result({'label': ")
    with pytest.raises(KeyError):
        r["nothing"]
    with pytest.raises(AttributeError):
        r.nothing


def test_str_and_bytes_agree(model):
    t = "très bien, un film émouvant 👍"
    assert model.predict(t) == model.predict(t.encode("utf-8"))
    assert model.predict(t) == model.predict(bytearray(t.encode("utf-8")))


def test_model_properties(model, tmp_path):
    assert model.kind == "linear"
    assert model.path is None and model.size > 0 and len(model.digest) == 32
    assert isinstance(model.metadata, dict) and model.metadata.get("kind") == "linear"
    card = model.card
    assert card["labels"] == list(model.labels) and card["digest"] == model.digest
    assert model.value_names == ()
    assert senti.version() == senti.__version__ and senti.version().count(".") == 2
    assert [k for k, _ in senti.kinds()][:2] == ["linear", "vader"]
    assert "senti.Model kind='linear'" in repr(model)


def test_open_by_path_and_pathlike(vader_dir):
    m = senti.Model(pathlib.Path(vader_dir) / "vader_lexicon.txt" if False else "vader:" + vader_dir)
    assert m.kind == "vader" and m.value_names == ("neg", "neu", "pos", "compound")
    assert m.path is not None
    m2 = senti.Model("vader:", lexicon_dir=pathlib.Path(vader_dir))
    assert m2.digest == m.digest


def test_vader_values(vader_dir):
    m = senti.Model("vader:" + vader_dir)
    r = m.predict("VADER is smart, handsome, and funny.")
    assert r.values == {"neg": 0.0, "neu": 0.254, "pos": 0.746, "compound": 0.8316}
    assert r.compound == r["compound"] == 0.8316
    assert r.score == (0.8316 + 1) / 2
    assert m.values("VADER is smart, handsome, and funny.") == r.values


def test_context_manager_and_close():
    with senti.Model() as m:
        assert not m.closed
        m.predict("ok")
    assert m.closed
    with pytest.raises(ValueError, match="closed"):
        m.predict("ok")
    with pytest.raises(ValueError, match="closed"):
        m.kind
    m.close()  # twice is fine
    assert repr(m) == "<senti.Model closed>"


def test_explain_adds_up(model):
    text = "not bad at all, really"
    e = model.explain(text)
    assert e.result == model.predict(text)
    cs = e.contributions
    assert cs[0].order == 255 and cs[0].text == ""
    k = len(cs[0].logits)
    sums = [sum(c.logits[j] for c in cs) for j in range(k)]
    z = max(sums)
    probs = [math.exp(s - z) for s in sums]
    probs = [p / sum(probs) for p in probs]
    for p, lab in zip(probs, model.labels):
        assert math.isclose(p, e.result.scores[lab], abs_tol=1e-5)
    for c in cs[1:]:
        assert text[c.start:c.end] == c.text
    assert any(c.negated for c in cs)


def test_explain_character_offsets(model):
    text = "ça été très bon"
    for c in model.explain(text).contributions[1:]:
        assert text[c.start:c.end] == c.text


def test_explain_not_supported(vader_dir):
    m = senti.Model("vader:" + vader_dir)
    with pytest.raises(senti.ModelError) as ei:
        m.explain("good")
    assert ei.value.status_name == "SENTI_ENOTSUP"


def test_predict_batch_lists_and_columns(model, sst2_dev):
    texts = sst2_dev[0][:100]
    rs = model.predict_batch(texts)
    assert rs == [model.predict(t) for t in texts]
    cols = model.predict_batch(texts, as_columns=True)
    assert list(cols) == ["label", "score"] + list(model.labels)
    assert cols["label"] == [r.label for r in rs] and cols["score"].tolist() == [r.score for r in rs]
    for lab in model.labels:
        assert cols[lab].tolist() == [r.scores[lab] for r in rs]
    empty = model.predict_batch([], as_columns=True)
    assert empty["label"] == [] and len(empty["score"]) == 0
    assert model.predict_batch([]) == []
    assert model.predict_batch(iter(texts[:3])) == rs[:3]
    assert model.predict_batch(tuple(texts[:3]), 1) == rs[:3]


def test_predict_batch_numpy_and_pandas(model):
    np = pytest.importorskip("numpy")
    texts = ["good", "bad", "fine"]
    want = model.predict_batch(texts)
    assert model.predict_batch(np.array(texts, dtype=object)) == want
    assert model.predict_batch(np.array(texts)) == want
    pd = pytest.importorskip("pandas")
    assert model.predict_batch(pd.Series(texts)) == want


def test_columns_without_numpy(model, monkeypatch):
    import builtins
    import array
    real = builtins.__import__

    def no_numpy(name, *a, **k):
        if name == "numpy":
            raise ImportError("no numpy")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    cols = model.predict_batch(["good", "bad"], as_columns=True)
    assert isinstance(cols["score"], array.array)
    assert cols["score"].tolist() == [model.predict("good").score, model.predict("bad").score]


def test_columns_vader_values(vader_dir):
    m = senti.Model("vader:" + vader_dir)
    cols = m.predict_batch(["VADER is smart, handsome, and funny.", "awful"], as_columns=True)
    assert list(cols) == ["label", "score", "negative", "neutral", "positive", "neg", "neu", "pos", "compound"]
    assert cols["compound"].tolist() == [0.8316, m.values("awful")["compound"]]
