"""Loading a Sentiment140-sized file: seconds and peak memory.

    python benchmarks/bench_load.py                  # 1,600,000 rows, like training.1600000.processed.noemoticon.csv
    python benchmarks/bench_load.py --rows 200000    # quicker
    python benchmarks/bench_load.py --explore        # also time sentilab.explore on the loaded rows

The file is generated in a temporary directory in the real file's format: latin-1, no header, every field
quoted, ``polarity,id,date,query,user,text`` with polarity 0 or 4, *sorted by polarity* (the first half all
negative), about 1 % exact duplicate texts, HTML entities such as ``&quot;`` and ``&lt;3`` and a few latin-1
letters. Each step then runs in a fresh Python process so that its peak resident memory (``ru_maxrss``) is its
own; a second run of the same step under ``tracemalloc`` reports the peak of memory allocated through Python
(numpy and pandas buffers included). Timings come from the run without tracemalloc.

Steps: ``read_sentiment140`` (the parser alone), ``load_dataset`` (parser + label normalisation +
cleaning/de-duplication), ``load_dataset(sample=100000)`` (plus a stratified sample: both classes although
the file is sorted) and, with ``--explore``, ``explore`` (one tokenization pass over every text).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tokenize import tweet_like_texts  # noqa: E402 - the same generator as the tokenizer benchmark

_LATIN1 = ["café", "niño", "über", "£5", "señor", "naïve", "crème brûlée", "jalapeño"]


def write_sentiment140(path: Path, rows: int, seed: int = 0) -> None:
    """A file in the exact layout of Sentiment140's training CSV (see the module docstring)."""
    rng = random.Random(seed)
    texts = tweet_like_texts(rows, seed)
    for i in range(rows):
        if rng.random() < 0.01:
            texts[i] += " " + rng.choice(_LATIN1)
        if i > 0 and rng.random() < 0.01:
            texts[i] = texts[rng.randrange(max(0, i - 1000), i)]  # an exact duplicate, like retweets
    start = dt.datetime(2009, 4, 6, 22, 19, 45)
    dates = sorted(start + dt.timedelta(seconds=rng.randrange(80 * 86400)) for _ in range(4096))
    date_strings = [d.strftime("%a %b %d %H:%M:%S PDT %Y") for d in dates]
    half = rows // 2
    with open(path, "w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for i, text in enumerate(texts):
            polarity = "0" if i < half else "4"
            writer.writerow(
                [
                    polarity,
                    str(1467810369 + i * 7),
                    date_strings[(i * 4096) // rows],
                    "NO_QUERY",
                    f"user_{rng.randrange(660_000)}",
                    text,
                ]
            )


# --------------------------------------------------------------------------- one step, in a child process
def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> int:
    """Start a new peak-memory window; returns the resident memory now (KiB).

    Linux resets the peak (VmHWM) when "5" is written to /proc/self/clear_refs; elsewhere the peak is
    ``ru_maxrss``, which only grows, so a step's peak includes whatever came before it.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS") or 0


def peak_rss_kib() -> int:
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_step(step: str, path: str, trace: bool) -> dict:
    import gc
    import tracemalloc

    import numpy as np  # noqa: F401 - imported before the baseline so that it does not count as the step's
    import pandas as pd  # noqa: F401

    from sentilab.data import load_dataset
    from sentilab.data.formats import read_sentiment140
    from sentilab.explore import explore

    inputs = None
    if step == "explore":  # explore's own cost: the texts are loaded before its window opens
        ds = load_dataset(path)
        inputs = (ds.texts, ds.labels)
        del ds
        gc.collect()
    baseline_kib = reset_peak_rss()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    if step == "read_sentiment140":
        frame = read_sentiment140(Path(path))
        out = {
            "rows": len(frame),
            "classes": {str(k): int(v) for k, v in frame["label"].value_counts().items()},
        }
    elif step == "load_dataset":
        ds = load_dataset(path)
        out = {"rows": len(ds), "classes": ds.report.class_counts}
    elif step == "load_dataset_sample":
        ds = load_dataset(path, sample=100_000, seed=0)
        out = {"rows": len(ds), "classes": ds.report.class_counts}
    elif step == "explore":
        stats = explore(*inputs, progress=False)
        out = {"rows": stats.texts, "classes": stats.labels, "vocabulary": stats.vocabulary_size}
    else:
        raise SystemExit(f"unknown step {step}")
    out["seconds"] = time.perf_counter() - start
    if trace:
        out["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
    peak_kib = peak_rss_kib()
    out["peak_rss_mib"] = peak_kib / 1024
    out["rss_growth_mib"] = (peak_kib - baseline_kib) / 1024
    return out


def child(step: str, path: Path, trace: bool) -> dict:
    command = [sys.executable, __file__, "--child", step, "--path", str(path)] + (
        ["--trace"] if trace else []
    )
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"}
    )
    if done.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_600_000, help="rows to generate (default 1,600,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--explore", action="store_true", help="also time explore() over every loaded text")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs (halves the time)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_step(args.child, args.path, args.trace)))
        return

    with tempfile.TemporaryDirectory(prefix="sentilab-bench-") as tmp:
        path = Path(tmp) / "training.1600000.processed.noemoticon.csv"
        start = time.perf_counter()
        write_sentiment140(path, args.rows, args.seed)
        generated = time.perf_counter() - start
        with open(path, encoding="latin-1") as handle:
            first = handle.readline().rstrip("\n")
        print(f"generated {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB, in {generated:.1f} s")
        print(f"first line: {first[:110]}")
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            "every step in a fresh process\n"
        )
        steps = ["read_sentiment140", "load_dataset", "load_dataset_sample"] + (
            ["explore"] if args.explore else []
        )
        header = (
            f"{'step':<34} {'rows out':>10} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} "
            f"{'step growth':>11} {'traced peak':>11}  classes"
        )
        print(header)
        print("-" * len(header))
        for step in steps:
            result = child(step, path, trace=False)
            traced = "-" if args.no_trace else f"{child(step, path, trace=True)['traced_peak_mib']:,.0f} MiB"
            name = {
                "load_dataset_sample": "load_dataset(sample=100000)",
                "explore": "explore (tweet, default norm)",
            }
            classes = " / ".join(f"{k} {v:,}" for k, v in result["classes"].items())
            rows_per_s = (args.rows if step != "explore" else result["rows"]) / result["seconds"]
            print(
                f"{name.get(step, step):<34} {result['rows']:>10,} {result['seconds']:>8.2f} {rows_per_s:>10,.0f} "
                f"{result['peak_rss_mib']:>5,.0f} MiB {result['rss_growth_mib']:>7,.0f} MiB {traced:>11}  {classes}"
            )
        print(
            "\npeak RSS: the process's peak resident memory during the step (Linux VmHWM, reset when the step"
            "\nstarts); step growth: that peak minus the resident memory at the start (the interpreter with numpy,"
            "\npandas and sentilab imported; for explore also the loaded texts); traced peak: tracemalloc's peak,"
            "\nwhich misses pandas' Arrow-backed string buffers (pandas >= 3 stores strings in Arrow)."
        )


if __name__ == "__main__":
    main()
