"""senti.dask.score: the same rows as senti.pandas.score, on a Dask cluster of two worker
processes on loopback, the model opened once per worker process, and a worker killed with
SIGKILL mid-run (the scheduler computes its partitions again; the result is still complete
and identical). The cluster tests are left out under SANITIZED=1 (the worker processes would
each start under the preloaded sanitizer runtimes: slow, and nothing they add is in C)."""
import os
import signal
import subprocess
import sys
import time

import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
import senti  # noqa: E402
import senti.dask  # noqa: E402
import senti.pandas  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cluster_only = pytest.mark.skipif(bool(os.environ.get("SANITIZED")),
                                  reason="Dask worker processes under the sanitizer runtimes")


@pytest.fixture(scope="module")
def frame(sst2_dev):
    texts = sst2_dev[0] * 3
    texts[5] = None  # a missing value: NA in the output, as senti.pandas gives
    # an index that is neither 0..n-1 nor sorted by position, to see it kept
    return pd.DataFrame({"text": texts, "n": range(len(texts))}, index=[10 * i + 3 for i in range(len(texts))])


def slow(df):
    """A step before scoring that takes a while, so that a worker is killed mid-run."""
    time.sleep(0.15)
    return df


def test_local_scheduler_matches_pandas(frame, vader_dir):
    ddf = dd.from_pandas(frame, npartitions=7)
    got = senti.dask.score(ddf, "text").compute(scheduler="synchronous")
    pd.testing.assert_frame_equal(got, senti.pandas.score(frame, "text"))
    m = senti.Model("vader:" + vader_dir)
    got = senti.dask.score(ddf, "text", model="vader:" + vader_dir, expand=True, prefix="v_")
    assert list(got.columns) == list(senti.pandas.score(frame.head(0), "text", m, expand=True, prefix="v_").columns)
    pd.testing.assert_frame_equal(got.compute(scheduler="synchronous"),
                                  senti.pandas.score(frame, "text", m, expand=True, prefix="v_"))


def test_refuses_a_model_object_and_unknown_column(frame, model):
    ddf = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(TypeError, match="spec"):
        senti.dask.score(ddf, "text", model=model)
    with pytest.raises(KeyError):
        senti.dask.score(ddf, "nope")


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@cluster_only
def test_cluster_matches_pandas_model_opened_once_per_worker(frame, client):
    ddf = dd.from_pandas(frame, npartitions=24)
    got = senti.dask.score(ddf, "text", expand=True).compute()
    pd.testing.assert_frame_equal(got, senti.pandas.score(frame, "text", expand=True))
    opened = client.run(senti.dask.models_opened)
    assert len(opened) == 2 and sorted(opened.values()) == [1, 1], opened  # 24 partitions, 2 opens
    pids = client.run(os.getpid)
    assert os.getpid() not in pids.values()  # the partitions were scored in other processes


@cluster_only
def test_worker_killed_mid_run(frame, client):
    ddf = dd.from_pandas(frame, npartitions=40).map_partitions(slow)
    fut = client.compute(senti.dask.score(ddf, "text"))
    before = client.run(os.getpid)
    deadline = time.monotonic() + 30
    while client.processing() and not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # some partitions done, others running or waiting
    assert not fut.done(), "the run ended before the kill: make the partitions slower"
    victim = sorted(before.values())[0]
    os.kill(victim, signal.SIGKILL)
    got = fut.result(timeout=120)
    pd.testing.assert_frame_equal(got, senti.pandas.score(frame, "text"))
    client.wait_for_workers(2, timeout=60)
    after = client.run(os.getpid)
    assert victim not in after.values()  # the nanny started a new worker process


@cluster_only
def test_example_scores_a_csv_folder(tmp_path, frame, client):
    src = tmp_path / "in"
    src.mkdir()
    part = frame.dropna().reset_index(drop=True)
    for k in range(3):
        part.iloc[k::3].to_csv(src / ("reviews-%d.csv" % k), index=False)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "python", "examples", "dask_score.py"), str(src),
                        str(out), "--scheduler", client.scheduler.address, "--blocksize", "20kB"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "rows=%d " % len(part) in r.stdout
    got = pd.concat([pd.read_csv(f, keep_default_na=False) for f in sorted(out.glob("part-*.csv"),
                                                                           key=lambda p: int(p.stem[5:]))],
                    ignore_index=True)
    want = pd.concat([pd.read_csv(src / ("reviews-%d.csv" % k), keep_default_na=False) for k in range(3)],
                     ignore_index=True)
    want = senti.pandas.score(want, "text", expand=True)
    assert list(got["text"]) == list(want["text"]) and list(got["label"]) == list(want["label"])
    for c in ["score"] + list(senti.Model().labels):
        assert got[c].to_numpy() == pytest.approx(want[c].to_numpy(), abs=1e-12)
