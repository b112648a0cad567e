#!/usr/bin/env python3
"""dask_score.py - score a folder of CSV (or Parquet) files on a Dask cluster with senti.

    dask_score.py IN_DIR OUT_DIR [--column text] [--model default] [--scheduler tcp://HOST:8786]
                  [--workers 2] [--format csv|parquet] [--blocksize 64MB] [--expand] [--prefix P]

Reads IN_DIR/*.csv (or *.parquet), scores the text column with senti.dask.score (the model
opened once per worker process), and writes OUT_DIR/part-N.csv (or .parquet): the input's
columns plus label, score and one probability column per label (--expand adds the model's
own values too; without it the per-class probabilities are written as columns all the same,
since a CSV cell cannot hold a dict). Row order is kept within and across the parts.

--scheduler: an existing cluster (`dask scheduler` + `dask worker` on each machine, or
dask-jobqueue / dask-kubernetes); without it a LocalCluster of --workers processes on
loopback is started for the run. Parquet needs pyarrow (not in Debian 12: pip, or conda).
Prints one line: rows, parts, seconds, rows/s.
"""
import argparse
import os
import sys
import time


def run(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="folder of *.csv or *.parquet files")
    ap.add_argument("output", help="folder for the scored parts (created)")
    ap.add_argument("--column", default="text", help="the text column (default text)")
    ap.add_argument("--model", default="default", help="model spec: default, PATH, linear:PATH, vader:DIR")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster (default 2)")
    ap.add_argument("--format", choices=("csv", "parquet"), default="csv")
    ap.add_argument("--blocksize", default="64MB", help="CSV bytes per partition (default 64MB)")
    ap.add_argument("--expand", action="store_true", help="also the model's own values, one column each")
    ap.add_argument("--prefix", default="", help="prepended to the new columns' names (needed when the input "
                    "already has a label or score column)")
    a = ap.parse_args(argv)

    import dask
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    import senti
    import senti.dask

    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    try:
        t0 = time.monotonic()
        if a.format == "csv":
            ddf = dd.read_csv(os.path.join(a.input, "*.csv"), blocksize=a.blocksize, dtype={a.column: "object"},
                              keep_default_na=False, na_values=[""])
        else:
            ddf = dd.read_parquet(a.input)
        m = senti.Model(None if a.model == "default" else a.model)  # here only for its column names
        new = [a.prefix + c for c in ["label", "score"] + list(m.labels) + list(m.value_names)]
        clash = sorted(set(ddf.columns) & set(new))
        if clash:
            sys.exit("dask_score.py: the input already has column(s) %s: give --prefix" % ", ".join(clash))
        out = senti.dask.score(ddf, a.column, a.model, expand=True, prefix=a.prefix)
        if not a.expand and m.value_names:  # probabilities only: not the model's own values (VADER's)
            out = out.drop(columns=[a.prefix + v for v in m.value_names])
        os.makedirs(a.output, exist_ok=True)
        if a.format == "csv":
            writes = out.to_csv(os.path.join(a.output, "part-*.csv"), index=False, compute=False)
        else:
            writes = out.to_parquet(a.output, write_index=False, compute=False)
        # one graph: the files are read once for both the parts and the row count
        _, rows = dask.compute(writes, out.shape[0])
        secs = time.monotonic() - t0
        print("rows=%d parts=%d seconds=%.2f rows_per_s=%.0f" % (rows, out.npartitions, secs, rows / secs))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(run())
