"""senti.vader: vaderSentiment's numbers, exactly, on the 28,895 reference records."""
import glob
import json
import os
import threading

import pytest

from senti.vader import SentimentIntensityAnalyzer, find_lexicon_dir

KEYS = ("neg", "neu", "pos", "compound")


def records(vader_dir):
    files = sorted(glob.glob(os.path.join(vader_dir, "reference", "*.jsonl")))
    out = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh if line.strip()]
    return out


def test_parity_with_reference(vader_dir):
    sia = SentimentIntensityAnalyzer(vader_dir)
    recs = records(vader_dir)
    assert len(recs) == 28895
    bad = []
    for r in recs:
        got = sia.polarity_scores(r["text"])
        want = {k: r[k] for k in KEYS}
        # the same keys in the same order, and the same floats (repr: -0.0 is not 0.0)
        if list(got) != list(KEYS) or [repr(got[k]) for k in KEYS] != [repr(float(want[k])) for k in KEYS]:
            bad.append((r["text"], got, want))
    assert bad == [], "%d differ, first: %r" % (len(bad), bad[:3])


def test_batch_matches_one_by_one(vader_dir):
    sia = SentimentIntensityAnalyzer(vader_dir)
    texts = [r["text"] for r in records(vader_dir)[:2000]]
    assert sia.polarity_scores_batch(texts) == [sia.polarity_scores(t) for t in texts]


def test_readme_examples(vader_dir):
    sia = SentimentIntensityAnalyzer(vader_dir)
    assert sia.polarity_scores("VADER is smart, handsome, and funny.") == \
        {"neg": 0.0, "neu": 0.254, "pos": 0.746, "compound": 0.8316}
    assert sia.polarity_scores("VADER is smart, handsome, and funny!") == \
        {"neg": 0.0, "neu": 0.248, "pos": 0.752, "compound": 0.8439}
    assert sia.polarity_scores("") == {"neg": 0.0, "neu": 0.0, "pos": 0.0, "compound": 0.0}


def test_lexicon_search(vader_dir, monkeypatch, tmp_path):
    by_file = SentimentIntensityAnalyzer(os.path.join(vader_dir, "vader_lexicon.txt"))
    assert by_file.model.digest == SentimentIntensityAnalyzer(vader_dir).model.digest
    monkeypatch.setenv("SENTI_VADER_LEXICON", vader_dir)
    assert find_lexicon_dir() == os.path.abspath(vader_dir)
    default = SentimentIntensityAnalyzer()  # vaderSentiment's call
    assert default.model.digest == by_file.model.digest
    nltk_style = SentimentIntensityAnalyzer("sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt")
    assert nltk_style.lexicon_dir == os.path.abspath(vader_dir)
    with pytest.raises(FileNotFoundError):
        SentimentIntensityAnalyzer(str(tmp_path / "nothing.txt"))
    with pytest.raises(ValueError):
        SentimentIntensityAnalyzer(vader_dir, emoji_lexicon=str(tmp_path / "other.txt"))


def test_lexicon_dicts(vader_dir):
    sia = SentimentIntensityAnalyzer(vader_dir)
    assert sia.lexicon["good"] == 1.9 and len(sia.lexicon) > 7000
    assert sia.emojis["😀"] == "grinning face"


def test_bad_input_and_threads(vader_dir):
    sia = SentimentIntensityAnalyzer(vader_dir)
    with pytest.raises(TypeError):
        sia.polarity_scores(None)
    assert sia.polarity_scores("bad\ud800") == sia.polarity_scores("bad\ufffd")
    texts = [r["text"] for r in records(vader_dir)[:500]]
    want = [sia.polarity_scores(t) for t in texts]
    errs = []

    def work():
        if [sia.polarity_scores(t) for t in texts] != want:
            errs.append(1)

    ts = [threading.Thread(target=work) for _ in range(6)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert not errs
