"""Inference throughput per model on 2 cores, all in one run: texts/s, single-text latency, ratios.

    python benchmarks/bench_inference.py                          # bow, bow-nbsvm, vader, encoder (if installed)
    python benchmarks/bench_inference.py --models bow,vader,lstm --repeat 5

Texts are generated tweet-like texts (see bench_bow_train.py), 10-11 words on average. Each model is trained
through the registry (``sentilab.models.get_model_class``) on generated texts, then ``predict_proba`` is
timed on texts it has never seen — a fresh set for every repeat, so the encoder's embedding cache (keyed by
text) never answers — and the best repeat is reported. Latency: the median of ``predict_proba([text])``.
Goal: bow >= 50,000 texts/s. Threads: OMP/BLAS/torch pinned to 2; the load average is printed because the
machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_bow_train import generate  # noqa: E402

#: name -> (registry model, settings, training texts, texts per timed repeat)
VARIANTS = {
    "bow": ("bow", {}, 100_000, 100_000),
    "bow-nbsvm": ("bow", {"features": "nbsvm"}, 100_000, 100_000),
    "vader": ("vader", {}, 10, 20_000),
    "encoder": ("encoder", {}, 1_000, 1_000),
    "lstm": ("lstm", {"epochs": "1"}, 5_000, 10_000),
    "numpy-lstm": ("numpy-lstm", {"epochs": "1"}, 5_000, 10_000),
}
GOAL = {"bow": 50_000}


def build(variant: str, seed: int):
    from sentilab.models import get_model_class

    name, settings, n_train, _ = VARIANTS[variant]
    cls = get_model_class(name)  # ImportError / MissingExtraError when the extra is missing
    settings = {k: v for k, v in settings.items() if k in cls.param_types()}
    texts, labels = generate(n_train, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = cls.from_overrides(settings).fit(texts, labels)
    return model, time.perf_counter() - start


def measure(model, n: int, repeat: int, seed: int, real=None) -> tuple[float, float, float]:
    """(best texts/s, median single-text latency in ms, accuracy on the last set).

    ``real``: (texts, labels) of a registry dataset to time on instead of generated texts (accuracy is then
    not comparable: the model was trained on generated texts, so it is reported as nan).
    """
    best = 0.0
    accuracy = float("nan")
    for r in range(repeat):
        if real is not None:
            order = np.random.default_rng(seed + r).permutation(len(real[0]))[:n]
            texts, labels = [real[0][i] for i in order], None
        else:
            texts, labels = generate(n, seed=seed + 100 + r)
        start = time.perf_counter()
        proba = model.predict_proba(texts)
        seconds = time.perf_counter() - start
        best = max(best, len(texts) / seconds)
        if labels is not None:
            accuracy = float((model.classes_[proba.argmax(axis=1)] == np.asarray(labels)).mean())
    singles, _ = generate(60, seed=seed + 999)
    timings = []
    for text in singles:
        start = time.perf_counter()
        model.predict_proba([text])
        timings.append(time.perf_counter() - start)
    return best, statistics.median(timings[10:]) * 1e3, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--models", default="bow,bow-nbsvm,vader,encoder", help=f"from: {', '.join(VARIANTS)}"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every text count (0.1 for a quick run)"
    )
    parser.add_argument(
        "--data",
        metavar="NAME",
        help="time on a cached registry dataset's texts (e.g. crowdflower-tweets, 103 characters on average) "
        "instead of generated ones; each repeat draws a different random subset",
    )
    args = parser.parse_args()
    real = None
    if args.data:
        from sentilab.data import load_dataset

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = load_dataset(args.data)
        real = (dataset.texts, dataset.labels)
    # A fresh, empty sentilab home from here on: no embedding cache from an earlier run may answer.
    os.environ["SENTILAB_HOME"] = tempfile.mkdtemp(prefix="sentilab-bench-")
    try:  # the encoder and the LSTMs run on torch: two threads, like everything else here
        import torch

        torch.set_num_threads(2)
    except ImportError:
        pass
    rows = []
    for variant in [m.strip() for m in args.models.split(",") if m.strip()]:
        if variant not in VARIANTS:
            parser.error(f"unknown model {variant!r}; choose from {', '.join(VARIANTS)}")
        name, settings, n_train, n_measure = VARIANTS[variant]
        VARIANTS[variant] = (
            name,
            settings,
            max(10, int(n_train * args.scale)),
            max(100, int(n_measure * args.scale)),
        )
        try:
            model, fit_s = build(variant, seed=0)
        except ImportError as exc:  # MissingExtraError is an ImportError too
            print(f"skipping {variant}: {str(exc).splitlines()[0]}")
            continue
        speed, latency, accuracy = measure(model, VARIANTS[variant][3], args.repeat, seed=0, real=real)
        rows.append((variant, speed, latency, accuracy, fit_s, VARIANTS[variant][2]))
        print(f"  measured {variant}: {speed:,.0f} texts/s", file=sys.stderr, flush=True)
    load = os.getloadavg()
    where = f"the texts of {args.data} (random subsets)" if real else "generated tweet-like texts"
    print(
        f"inference on {where}; OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, torch threads 2, "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; best of {args.repeat}"
    )
    vader = next((r[1] for r in rows if r[0] == "vader"), None)
    header = ("model", "texts/s", "vs vader", "1-text ms", "accuracy", "trained on", "goal")
    table = []
    for variant, speed, latency, accuracy, _, n_train in rows:
        goal = GOAL.get(variant)
        table.append(
            (
                variant,
                f"{speed:,.0f}",
                f"{speed / vader:.3g}x" if vader else "-",
                f"{latency:.2f}",
                f"{accuracy:.3f}",
                f"{n_train:,}",
                f">= {goal:,} ({speed / goal:.2f}x)" if goal else "",
            )
        )
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        print(
            "  ".join(
                str(c).rjust(w) if 0 < i < 6 else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))
            ).rstrip()
        )


if __name__ == "__main__":
    main()
