"""Bad input: exceptions with the library's message, never a crash."""
import pytest

import senti


@pytest.mark.parametrize("bad", [None, 1, 2.5, ["a"], object(), memoryview(b"x")])
def test_predict_rejects_non_text(model, bad):
    with pytest.raises(TypeError, match="text must be str or bytes"):
        model.predict(bad)


def test_batch_names_the_bad_item(model):
    with pytest.raises(TypeError, match=r"texts\[2\]"):
        model.predict_batch(["a", "b", None])
    with pytest.raises(TypeError, match="iterable"):
        model.predict_batch(5)
    with pytest.raises(TypeError, match="not one text"):
        model.predict_batch("one text")
    with pytest.raises(ValueError):
        model.predict_batch(["a"], -1)

    def gen():
        yield "a"
        raise KeyError("from the generator")

    with pytest.raises(KeyError, match="from the generator"):
        model.predict_batch(gen())


def test_open_errors(tmp_path):
    with pytest.raises(senti.ModelError) as ei:
        senti.Model(str(tmp_path / "missing.safetensors"))
    assert ei.value.status_name == "SENTI_EIO" and "missing.safetensors" in str(ei.value)
    with pytest.raises(ValueError, match="empty model spec"):
        senti.Model("")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(senti.ModelError) as ei:
        senti.Model(str(bad))
    assert ei.value.status < 0
    with pytest.raises(senti.ModelError):
        senti.Model("nosuchkind:" + str(bad))
    with pytest.raises(TypeError):
        senti.Model(12)
    with pytest.raises(ValueError, match="max_text_bytes"):
        senti.Model(max_text_bytes=-1)
    with pytest.raises(ValueError, match="max_text_bytes"):
        senti.Model(max_tokens=1 << 40)


def test_lone_surrogates_read_as_replacement_character(model):
    assert model.predict("good\ud800 film") == model.predict("good\ufffd film")
    assert model.predict("\udcff") == model.predict("\ufffd")
    assert model.predict_batch(["a\udc80b"]) == [model.predict("a\ufffdb")]


def test_invalid_utf8_bytes_and_nul(model):
    r = model.predict(b"\xff\xfe good \x00 film \xc3")
    assert r.label in model.labels
    assert model.predict("a\x00b").n_tokens >= 2


def test_huge_and_empty_texts(model):
    r = model.predict("good " * 500000)  # 2.5 MB: cut to 1 MiB
    assert r.truncated
    r = model.predict("é" * (1 << 21))  # more characters than bytes allowed
    assert r.truncated
    assert not model.predict("").truncated
    small = senti.Model(max_text_bytes=16)
    assert small.predict("good " * 10).truncated
    assert small.predict("ab" * 8).truncated is False
    assert small.predict("abc" * 8).truncated is True


def test_random_texts_never_crash(model, vader_dir):
    """Random code points (surrogates, NUL, controls, astral) and random bytes: every call
    answers, and batch and single calls agree."""
    import random
    rng = random.Random(15)
    vader = senti.Model("vader:" + vader_dir)

    def one():
        if rng.random() < 0.3:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        pool = [lambda: rng.randrange(0x80), lambda: rng.randrange(0xD800, 0xE000),
                lambda: rng.randrange(0x10000, 0x110000), lambda: rng.randrange(0x110000)]
        return "".join(chr(rng.choice(pool)()) for _ in range(rng.randrange(40)))

    texts = [one() for _ in range(2000)]
    for m in (model, vader):
        assert m.predict_batch(texts) == [m.predict(t) for t in texts]
    for t in texts[:300]:
        assert model.explain(t).result == model.predict(t)
        vader.values(t)
