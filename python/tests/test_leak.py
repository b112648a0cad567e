"""No leak: the Python heap (tracemalloc), the library's heap and the RSS stay flat.

The suite runs 300,000 predictions; SENTI_SLOW=1 runs the 10 million of the issue. Under the
sanitized build (SANITIZED=1) the RSS is not checked: ASan keeps freed memory in quarantine.
"""
import os
import tracemalloc

import senti

N = 10_000_000 if os.environ.get("SENTI_SLOW") else 300_000


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_no_leak(sst2_dev, vader_dir):
    texts = sst2_dev[0][:1000] + ["a\ud800", b"\xff bytes", "é" * 300]
    m = senti.Model()
    v = senti.Model("vader:" + vader_dir)

    def round_(k):
        for i in range(k):
            t = texts[i % len(texts)]
            r = m.predict(t)
            r.scores, r.to_dict(), v.values(t), v.predict(t).compound
            if i % 1000 == 0:
                m.predict_batch(texts[:50], 1, as_columns=bool(i % 2000))
                try:
                    m.predict(None)
                except TypeError:
                    pass

    round_(20000)  # warm up: caches, the context pool, pymalloc arenas
    lib0 = senti.memory_stats()["current_bytes"]
    rss0 = rss_kb()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    round_(N // 2)  # each round scores twice (m and v)
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    assert grown < 256 * 1024, "Python heap grew by %d bytes" % grown
    assert senti.memory_stats()["current_bytes"] <= lib0 + 64 * 1024
    if not os.environ.get("SANITIZED"):  # ASan's quarantine holds freed memory by design
        assert rss_kb() - rss0 < 8 * 1024, "RSS grew by %d kB" % (rss_kb() - rss0)
