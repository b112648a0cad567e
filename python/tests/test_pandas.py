"""senti.pandas.score over a DataFrame column."""
import math

import pytest

pd = pytest.importorskip("pandas")
import senti  # noqa: E402
import senti.pandas  # noqa: E402


def test_score_adds_columns(model):
    df = pd.DataFrame({"text": ["good", None, "bad", float("nan"), b"meh"], "n": range(5)})
    out = senti.pandas.score(df, "text")
    assert list(out.columns) == ["text", "n", "label", "score", "scores"]
    assert "label" not in df.columns
    assert out.loc[0, "label"] == model.predict("good").label
    assert pd.isna(out.loc[1, "label"]) and math.isnan(out.loc[3, "score"])
    assert out.loc[4, "scores"] == model.predict(b"meh").scores


def test_expand_prefix_and_vader(vader_dir):
    m = senti.Model("vader:" + vader_dir)
    df = pd.DataFrame({"t": ["VADER is smart, handsome, and funny."]}, index=[7])
    out = senti.pandas.score(df, "t", model=m, prefix="v_", expand=True)
    assert out.loc[7, "v_compound"] == 0.8316 and out.loc[7, "v_neu"] == 0.254
    assert "v_positive" in out.columns
    senti.pandas.score(df, "t", model=m, copy=False)
    assert "label" in df.columns


def test_bad_cell_raises(model):
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        senti.pandas.score(pd.DataFrame({"t": ["a", 5]}), "t")
