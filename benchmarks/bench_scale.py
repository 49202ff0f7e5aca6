"""Batch scoring at scale, all in one run: rows/s and peak RSS of ``sentilab predict --file --out`` (one
process, ``--workers 2``, ``--engine dask`` with 2 local workers) next to what a user would otherwise write.

    python benchmarks/bench_scale.py                         # 1M rows, CSV and Parquet
    python benchmarks/bench_scale.py --rows 1000000,10000000 # the README's figures (about 30 minutes)
    python benchmarks/bench_scale.py --rows 20000            # a quick look

Input: tweet-like generated texts (bench_bow_train.generate; 500k distinct ones, repeated) with an id and a
user column, as CSV and as Parquet, written once per size into --data-dir. Every configuration runs in a
fresh child process (so each peak RSS is its own: ``ru_maxrss`` of the process, and of its worker processes
through RUSAGE_CHILDREN) and is timed end to end, model loading, cluster start and the output file included:

* ``ceiling``: the default model's own ``predict_proba`` on the same texts, already in memory, in batches of
  100,000 (the first ``--ceiling-rows`` rows: the rate does not depend on the count);
* ``sentilab 1 process`` / ``--workers 2`` / ``dask, 2 workers``: CSV → CSV and Parquet → Parquet (dask
  always writes a Parquet dataset);
* ``vader .apply``: the peer a user would write — ``pd.read_csv``, ``df.text.apply(polarity_scores)``,
  ``to_csv`` — and ``in-memory predict``: the whole table read, one record dict per row, written at the end
  (what ``predict --file --out`` did before streaming). Both hold the whole table in memory, so they run only
  up to ``--peer-max-rows`` rows.

Goals (not tests): one process ≥ 0.7× the ceiling; ``--workers 2`` ≥ 1.6× one process; one process's peak RSS
at 10M rows within 1.2× of 1M and under 1 GiB. The machine has 2 cores, shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core per process: the workers are the parallelism

HERE = Path(__file__).resolve().parent
DISTINCT = 500_000
GIB = 1 << 30


# ============================================================================ input files
def write_inputs(rows: int, directory: Path) -> dict[str, Path]:
    """``{"csv": path, "parquet": path}`` with ``rows`` rows (reused when already written)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    sys.path.insert(0, str(HERE))
    from bench_bow_train import generate

    paths = {"csv": directory / f"tweets-{rows}.csv", "parquet": directory / f"tweets-{rows}.parquet"}
    if all(p.exists() for p in paths.values()):
        return paths
    texts, _ = generate(min(rows, DISTINCT), seed=0)
    texts = pa.array(texts, type=pa.string())
    block = len(texts)
    options = pcsv.WriteOptions(quoting_style="needed")
    tmp = {kind: path.with_name(path.name + ".tmp") for kind, path in paths.items()}
    schema = pa.schema([("id", pa.int64()), ("user", pa.string()), ("text", pa.string())])
    with (
        pcsv.CSVWriter(tmp["csv"], schema, write_options=options) as csv_out,
        pq.ParquetWriter(tmp["parquet"], schema) as parquet_out,
    ):
        for start in range(0, rows, block):
            n = min(block, rows - start)
            ids = np.arange(start, start + n)
            table = pa.table(
                {"id": ids, "user": pa.array([f"user{i % 9973}" for i in ids]), "text": texts.slice(0, n)},
                schema=schema,
            )
            csv_out.write_table(table)
            parquet_out.write_table(table, row_group_size=100_000)
    for kind, path in paths.items():
        os.replace(tmp[kind], path)
    return paths


# ============================================================================ one configuration (child)
def run_child(config: str, input_path: Path, out: Path, ceiling_rows: int) -> dict:
    start = time.perf_counter()
    if config == "ceiling":
        rows = ceiling(input_path, ceiling_rows)
        seconds = rows.pop("seconds")
    elif config in ("stream-1", "stream-2"):
        from sentilab.batch import score_file

        summary = score_file(
            input_path, out, workers=int(config[-1]), progress=False, on_status=lambda s: None
        )
        rows = {"rows": summary.rows}
    elif config == "dask-2":
        from sentilab.batch import score_with_dask

        summary = score_with_dask(input_path, out, workers=2, progress=False, on_status=lambda s: None)
        rows = {"rows": summary.rows}
    elif config == "vader":
        rows = vader_apply(input_path, out)
    elif config == "in-memory":
        rows = in_memory_predict(input_path, out)
    else:
        raise SystemExit(f"unknown configuration {config}")
    seconds = seconds if config == "ceiling" else time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {**rows, "seconds": seconds, "rss": own, "child_rss": children}


def ceiling(input_path: Path, limit: int) -> dict:
    import pyarrow.parquet as pq

    from sentilab.defaults import get_default_model

    model = get_default_model(on_status=None)
    first = next(
        pq.ParquetFile(input_path, pre_buffer=False).iter_batches(batch_size=limit, columns=["text"])
    )
    texts = first.column(0).to_pylist()  # only the rows timed are read
    start = time.perf_counter()
    for at in range(0, len(texts), 100_000):
        model.predict_proba(texts[at : at + 100_000])
    return {"rows": len(texts), "seconds": time.perf_counter() - start}


def vader_apply(input_path: Path, out: Path) -> dict:
    """What a user would write without sentilab: VADER's polarity_scores in a pandas .apply."""
    import pandas as pd
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    frame = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    scores = frame["text"].apply(analyzer.polarity_scores).apply(pd.Series)
    pd.concat([frame, scores], axis=1).to_csv(out, index=False)
    return {"rows": len(frame)}


def in_memory_predict(input_path: Path, out: Path) -> dict:
    """``predict --file --out`` before streaming: whole table, one dict per row, written at the end."""
    from sentilab.data.formats import read_local_table
    from sentilab.defaults import get_default_model

    model = get_default_model(on_status=None)
    frame, _ = read_local_table(input_path)
    records = model.predict_records(frame["text"].tolist())
    frame["predicted_label"] = [r["label"] for r in records]
    frame["score"] = [r["score"] for r in records]
    for label in map(str, model.classes_):
        frame[f"score_{label}"] = [r["scores"][label] if r["scores"] else None for r in records]
    frame.to_csv(out, index=False)
    return {"rows": len(frame)}


# ============================================================================ the table (parent)
CONFIGS = [  # (configuration, input kind, output suffix, label)
    ("ceiling", "parquet", None, "model's own predict_proba (ceiling)"),
    ("stream-1", "csv", ".csv", "sentilab, 1 process"),
    ("stream-2", "csv", ".csv", "sentilab --workers 2"),
    ("dask-2", "csv", ".parquet", "sentilab --engine dask, 2 workers"),
    ("stream-1", "parquet", ".parquet", "sentilab, 1 process"),
    ("stream-2", "parquet", ".parquet", "sentilab --workers 2"),
    ("dask-2", "parquet", ".parquet", "sentilab --engine dask, 2 workers"),
    ("vader", "csv", ".csv", "peer: VADER polarity_scores in .apply"),
    ("in-memory", "csv", ".csv", "peer: in-memory predict (before)"),
]
PEERS = {"vader", "in-memory"}


def measure(config: str, input_path: Path, suffix: str | None, scratch: Path, ceiling_rows: int) -> dict:
    out = scratch / f"out-{config}-{input_path.stem}{suffix or ''}"
    command = [sys.executable, __file__, "--child", config, "--input", str(input_path), "--out", str(out)]
    command += ["--ceiling-rows", str(ceiling_rows)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    subprocess.run(["rm", "-rf", str(out)], check=False)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="1000000", help="Comma-separated input sizes [1000000].")
    parser.add_argument("--data-dir", type=Path, help="Where the generated inputs are kept [a temp dir].")
    parser.add_argument("--ceiling-rows", type=int, default=1_000_000)
    parser.add_argument("--peer-max-rows", type=int, default=1_000_000)
    parser.add_argument(
        "--only", help="Comma-separated configurations (ceiling,stream-1,stream-2,dask-2,...)."
    )
    parser.add_argument("--inputs", default="csv,parquet", help="Input kinds to run [csv,parquet].")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.input, args.out, args.ceiling_rows)))
        return
    sizes = [int(r) for r in args.rows.split(",")]
    only = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        data_dir = args.data_dir or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        from sentilab.defaults import get_default_model

        get_default_model()  # trained once here (first use), not inside a timed child
        print(
            f"load average {os.getloadavg()[0]:.2f} (2 cores); default model; rows/s end to end", flush=True
        )
        results = []
        for rows in sizes:
            inputs = write_inputs(rows, data_dir)
            for config, kind, suffix, label in CONFIGS:
                if (only and config not in only) or (config in PEERS and rows > args.peer_max_rows):
                    continue
                if kind not in args.inputs.split(",") and config != "ceiling":
                    continue
                result = measure(config, inputs[kind], suffix, Path(scratch), min(rows, args.ceiling_rows))
                results.append((rows, config, kind, suffix, label, result))
                print_row(results[-1], results)
        print_goals(results)
        print(f"load average {os.getloadavg()[0]:.2f} at the end")


def _rate(result: dict) -> float:
    return result["rows"] / result["seconds"] if "rows" in result else float("nan")


def print_row(entry, results) -> None:
    if len(results) == 1:
        header = f"{'rows':>10}  {'input→output':<16} {'configuration':<38} {'rows/s':>9} {'×ceiling':>8} "
        print(header + f"{'×1 proc':>7} {'peak RSS':>9} {'workers':>8}")
    rows, config, kind, suffix, label, result = entry
    if "error" in result:
        print(f"{rows:>10,}  {kind:<16} {label:<38} error: {result['error']}", flush=True)
        return
    ceiling = next((r for n, c, *_, r in results if n == rows and c == "ceiling" and "rows" in r), None)
    single = next((r for n, c, k, *_, r in results if n == rows and c == "stream-1" and k == kind), None)
    ratio = f"{_rate(result) / _rate(ceiling):.2f}" if ceiling and config != "ceiling" else "-"
    versus = f"{_rate(result) / _rate(single):.2f}" if single and "rows" in single else "-"
    flow = kind if suffix is None else f"{kind}→{suffix.lstrip('.')}"
    workers = f"{result['child_rss'] / GIB:.2f} GiB" if result["child_rss"] > 0 else "-"
    print(
        f"{rows:>10,}  {flow:<16} {label:<38} {_rate(result):>9,.0f} {ratio:>8} {versus:>7} "
        f"{result['rss'] / GIB:>5.2f} GiB {workers:>8}",
        flush=True,
    )


def print_goals(results) -> None:
    single = {(n, k): r for n, c, k, *_, r in results if c == "stream-1" and "rows" in r}
    two = {(n, k): r for n, c, k, *_, r in results if c == "stream-2" and "rows" in r}
    ceiling = {n: r for n, c, *_, r in results if c == "ceiling" and "rows" in r}
    print("goals:")
    for (rows, kind), result in single.items():
        if rows in ceiling:
            ratio = _rate(result) / _rate(ceiling[rows])
            print(f"  {rows:,} {kind}: 1 process {ratio:.2f}× the ceiling (goal ≥ 0.7)")
        if (rows, kind) in two:
            print(
                f"  {rows:,} {kind}: --workers 2 {_rate(two[rows, kind]) / _rate(result):.2f}× 1 process (goal ≥ 1.6)"
            )
    sizes = sorted({n for n, _ in single})
    for kind in ("csv", "parquet"):
        if len(sizes) > 1 and (sizes[0], kind) in single and (sizes[-1], kind) in single:
            small, large = single[sizes[0], kind]["rss"], single[sizes[-1], kind]["rss"]
            print(
                f"  {kind}: peak RSS {large / GIB:.2f} GiB at {sizes[-1]:,} rows = {large / small:.2f}× "
                f"{sizes[0]:,} rows (goal ≤ 1.2×, < 1 GiB)"
            )


if __name__ == "__main__":
    main()
