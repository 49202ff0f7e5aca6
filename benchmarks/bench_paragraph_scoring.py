"""Whole-paragraph scoring vs the length-weighted mean of sentence scores, on paragraphs with ground truth.

Every model sentilab ships was trained on short texts (tweets, single sentences). Long paragraphs are out of
its training distribution: a bag of words sums many small coefficients of common words, and the drift decides
the label. This measures the effect with a proxy that has ground truth:

- A synthetic *paragraph* is K held-out labelled sentences (K drawn from 4..6) that share one label, joined by
  spaces, from the TEST splits of registry datasets (the default model saw only their train splits).
  Sentences without closing punctuation get a full stop, as they would in a transcript.
- (a) ``unit="paragraph"``: ``predict_proba`` of the whole paragraph.
- (b) ``unit="sentence"``: the paragraph is cut into sentences by sentilab's own splitter (the one paragraphs
  use), each is scored, and the class probabilities are averaged with weights = words per sentence.
- Both for the default model (bow, TF-IDF + logistic regression) and for VADER (``create_model("vader")``).
- Paragraph label = the most probable class (exact tie = neutral), as in :mod:`sentilab.documents`.

Printed per dataset: paragraph accuracy of each way and the difference (b − a), the share of paragraphs
predicted negative against the true share, and, as a diagnosis, accuracy and negative share on the single
test sentences themselves (a lean that is already there on single sentences is not a length effect). Run: ``python benchmarks/bench_paragraph_scoring.py [--seed 0]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

DATASETS = ("vader-nyt", "vader-movies", "vader-amazon", "uci-yelp", "uci-imdb", "uci-amazon")
SENTENCE_END = tuple(".!?…\"')”’")


def build_paragraphs(texts, labels, rng, k_min=4, k_max=6):
    """``(paragraphs, labels)``: each paragraph joins k in [k_min, k_max] shuffled sentences of one label."""
    out_texts, out_labels = [], []
    for label in sorted(set(labels)):
        pool = [t.strip() for t, y in zip(texts, labels) if y == label and t.strip()]
        pool = [t if t.endswith(SENTENCE_END) else t + "." for t in pool]
        order = rng.permutation(len(pool))
        at = 0
        while True:
            k = int(rng.integers(k_min, k_max + 1))
            if at + k > len(order):
                break
            out_texts.append(" ".join(pool[i] for i in order[at : at + k]))
            out_labels.append(label)
            at += k
    return out_texts, out_labels


def paragraph_probabilities(model, texts, unit):
    """(n, C) class probabilities of each paragraph text.

    unit="paragraph": ``model.predict_proba(texts)``. unit="sentence": every sentence (from sentilab's own
    splitter; sentences without a letter or digit are left out) of every text in ONE predict_proba call, then

        P_i = sum_s w_s * p_s / sum_s w_s      over the sentences s of paragraph i, w_s = words in s
    """
    from sentilab.text.paragraphs import split_sentences

    if unit == "paragraph":
        return np.asarray(model.predict_proba(texts), dtype=float)
    sentences, weights, owners = [], [], []
    for number, text in enumerate(texts):
        pieces = [text[start:end] for start, end in split_sentences(text)]
        pieces = [piece for piece in pieces if any(ch.isalnum() for ch in piece)] or [text]
        for piece in pieces:
            sentences.append(piece)
            weights.append(max(len(piece.split()), 1))
            owners.append(number)
    proba = np.asarray(model.predict_proba(sentences), dtype=float)  # (m, C)
    weight, owner = np.asarray(weights, dtype=float), np.asarray(owners)  # (m,), (m,)
    sums = np.zeros((len(texts), proba.shape[1]))  # (n, C)
    np.add.at(sums, owner, proba * weight[:, None])
    return sums / np.bincount(owner, weights=weight, minlength=len(texts))[:, None]


def evaluate(model, paragraphs, truth, unit):
    from sentilab.documents import class_polarities, label_paragraphs

    started = time.perf_counter()
    proba = paragraph_probabilities(model, paragraphs, unit)
    seconds = time.perf_counter() - started
    predicted, _, _ = label_paragraphs(proba, class_polarities(model.classes_))
    truth = np.asarray(truth, dtype=object)
    return {
        "accuracy": float(np.mean(predicted == truth)),
        "negative": float(np.mean(predicted == "negative")),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--model", type=Path, default=None, help="a saved model directory [default: get_default_model()]"
    )
    args = parser.parse_args()

    from sentilab.data import load_dataset
    from sentilab.defaults import default_model_dir, get_default_model
    from sentilab.models import create_model

    rng = np.random.default_rng(args.seed)
    from sentilab.models import load_model

    bow = load_model(args.model) if args.model else get_default_model()
    directory = args.model or default_model_dir()
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    trained_on = meta.get("default_recipe", {}).get("datasets", "?")
    print(f"model: {directory} ({bow.name}), trained on: {', '.join(trained_on)}")
    models = {"bow (default)": bow}
    rows, totals = [], {}
    for name in DATASETS:
        ds = load_dataset(name, split="test")
        paragraphs, truth = build_paragraphs(ds.texts, ds.labels, rng)
        vader = create_model("vader").fit(ds.texts, ds.labels)  # fit only records the label set
        models["vader"] = vader
        true_negative = float(np.mean(np.asarray(truth) == "negative"))
        for model_name, model in models.items():
            a = evaluate(model, paragraphs, truth, "paragraph")
            b = evaluate(model, paragraphs, truth, "sentence")
            single = evaluate(model, ds.texts, ds.labels, "paragraph")
            rows.append((name, len(paragraphs), model_name, a, b, true_negative, single))
            total = totals.setdefault(model_name, {"n": 0, "a": 0.0, "b": 0.0, "sa": 0.0, "sb": 0.0})
            total["n"] += len(paragraphs)
            total["a"] += a["accuracy"] * len(paragraphs)
            total["b"] += b["accuracy"] * len(paragraphs)
            total["sa"] += a["seconds"]
            total["sb"] += b["seconds"]

    header = (
        f"{'dataset':<13} {'paras':>5}  {'model':<13} {'acc(a) para':>11} {'acc(b) sent':>11} {'b-a':>6}  "
        f"{'neg true':>8} {'neg(a)':>6} {'neg(b)':>6} | {'1-sent acc':>10} {'neg':>4}"
    )
    print(f"seed {args.seed}; paragraphs of 4-6 same-label test sentences; OMP_NUM_THREADS=1")
    print(header)
    print("-" * len(header))
    for name, n, model_name, a, b, true_negative, single in rows:
        print(
            f"{name:<13} {n:>5}  {model_name:<13} {a['accuracy']:>11.3f} {b['accuracy']:>11.3f} "
            f"{b['accuracy'] - a['accuracy']:>+6.3f}  {true_negative:>8.2f} {a['negative']:>6.2f} {b['negative']:>6.2f} | "
            f"{single['accuracy']:>10.3f} {single['negative']:>4.2f}"
        )
    print("-" * len(header))
    for model_name, total in totals.items():
        acc_a, acc_b = total["a"] / total["n"], total["b"] / total["n"]
        print(
            f"{'all (pooled)':<13} {total['n']:>5}  {model_name:<13} {acc_a:>11.3f} {acc_b:>11.3f} "
            f"{acc_b - acc_a:>+6.3f}  scoring time (a) {total['sa']:.2f} s, (b) {total['sb']:.2f} s, "
            f"ratio b/a {total['sb'] / total['sa']:.2f}"
        )


if __name__ == "__main__":
    main()
