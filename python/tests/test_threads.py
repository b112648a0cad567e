"""Threads: a shared Model, the GIL released, batch order, close while in use."""
import threading

import senti


def test_shared_model_threads_agree(model, sst2_dev):
    texts = sst2_dev[0][:300]
    want = [model.predict(t) for t in texts]
    errors = []

    def work():
        for _ in range(3):
            if [model.predict(t) for t in texts] != want:
                errors.append("mismatch")
            if model.predict_batch(texts, 2) != want:
                errors.append("batch mismatch")

    ts = [threading.Thread(target=work) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_batch_order_all_threads(model, sst2_dev):
    texts = sst2_dev[0]
    one = [model.predict(t) for t in texts]
    for threads in (0, 1, 2, 7):
        assert model.predict_batch(texts, threads) == one


def test_batch_across_chunks(model, sst2_dev):
    texts = (sst2_dev[0] * 24)[:20000]  # more than one 16,384-text chunk
    cols = model.predict_batch(texts, as_columns=True)
    assert len(cols["label"]) == 20000
    assert cols["score"][16384:16400].tolist() == [model.predict(t).score for t in texts[16384:16400]]
    assert cols["label"][4090:4100] == [model.predict(t).label for t in texts[4090:4100]]
    assert model.predict_batch(texts) == [model.predict(t) for t in texts]


def test_close_while_other_threads_score(sst2_dev):
    texts = sst2_dev[0]
    for _ in range(5):
        m = senti.Model()
        stop = []

        def work():
            try:
                while not stop:
                    m.predict_batch(texts, 1)
            except ValueError:  # closed
                pass

        ts = [threading.Thread(target=work) for _ in range(4)]
        for t in ts:
            t.start()
        m.close()
        stop.append(1)
        for t in ts:
            t.join()
        assert m.closed


def test_gil_released_during_batch(sst2_dev):
    """Another Python thread keeps running while a long batch scores."""
    m = senti.Model()
    texts = sst2_dev[0] * 30
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(1)
            done.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    m.predict_batch(texts, 1)
    done.set()
    t.join()
    assert len(ticks) > 3


def test_bad_item_in_a_later_chunk(model, sst2_dev):
    """An error while the previous chunk is being scored: the scoring thread is joined, the
    error names the item, and the model stays usable."""
    texts = (sst2_dev[0] * 24)[:20000]
    for pos in (2499, 2500, 15000, 19999):
        bad = texts[:pos] + [None] + texts[pos + 1:]
        for cols in (False, True):
            try:
                model.predict_batch(bad, as_columns=cols)
            except TypeError as e:
                assert "texts[%d]" % pos in str(e)
            else:
                raise AssertionError("no TypeError")
    assert model.predict_batch(texts[:10]) == [model.predict(t) for t in texts[:10]]
