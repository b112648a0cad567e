"""Shared fixtures of the Python package's tests, and the summary line tests/run.sh reads.

Run from the repository root after `make python`:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests
DATA (default ../shared/data) is the data folder. SENTI_SLOW=1 runs the long checks too
(10 million predictions in the leak test).
"""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def data_dir():
    d = os.environ.get("DATA") or os.path.join(ROOT, "..", "shared", "data")
    return os.path.abspath(d if os.path.isabs(d) else os.path.join(ROOT, d))


@pytest.fixture(scope="session")
def data():
    return data_dir()


@pytest.fixture(scope="session")
def vader_dir(data):
    return os.path.join(data, "vader")


@pytest.fixture(scope="session")
def sst2_dev(data):
    texts, labels = [], []
    with open(os.path.join(data, "sst2", "dev.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            texts.append(text)
            labels.append(int(label))
    return texts, labels


@pytest.fixture(scope="session")
def model():
    import senti
    return senti.Model()


def pytest_terminal_summary(terminalreporter):
    """The "N passed, N failed" line every suite of tests/run.sh ends with."""
    st = terminalreporter.stats
    passed = len(st.get("passed", []))
    failed = len(st.get("failed", [])) + len(st.get("error", []))
    terminalreporter.write_line("%d passed, %d failed" % (passed, failed))
