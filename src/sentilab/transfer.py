"""How well a training recipe transfers to domains it was not trained on.

:func:`cross_domain`: train on one domain, test on every other (the cross-domain matrix).
:func:`leave_one_domain_out`: train on all domains but one, test on the one left out, for each (how the
default model is chosen: by the mean macro-recall over the left-out sets, not by in-domain accuracy).

Every model here is trained through :func:`sentilab.training.train_and_save` (seeded, same settings handling
as ``sentilab train``) and scored with :func:`sentilab.evaluate.evaluate`; results are plain data
(:class:`sentilab.evaluate.CrossDomain`, :class:`LeaveOneDomainOut`); the matrix is written by
:mod:`sentilab.reports.evaluation`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sentilab.errors import SentilabError
from sentilab.evaluate import CrossDomain, evaluate
from sentilab.training import train_and_save


def cross_domain(
    model_name: str,
    datasets: Sequence[str],
    *,
    params: dict[str, str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    load: Callable | None = None,
    on_step: Callable[[str], None] | None = None,
    test_datasets: Sequence[str] | None = None,
) -> CrossDomain:
    """Train ``model_name`` on each dataset's train split; test each on every dataset's test split.

    ``params`` are ``--set`` style overrides; ``sample`` caps each training set (stratified, ``seed``);
    ``load`` defaults to :func:`sentilab.data.load_dataset`; ``on_step`` receives progress lines.
    """
    if load is None:
        from sentilab.data import load_dataset as load
    say = on_step or (lambda line: None)
    test_datasets = list(test_datasets or datasets)
    if not datasets:
        raise SentilabError("cross_domain needs at least one dataset")
    tests = {}
    for name in test_datasets:
        ds = load(name, split="test")
        tests[getattr(ds, "name", name)] = ds  # a file's name without its directory
    accuracy, macro_f1, n_train, notes, train_names, markers = [], [], [], [], [], []
    for train_spec in datasets:
        ds = load(train_spec, split="train", sample=sample, seed=seed)
        train_name = getattr(ds, "name", train_spec)
        train_names.append(train_name)
        say(f"{model_name}: training on {train_name} ({len(ds):,} texts)")
        model = train_and_save(model_name, ds, settings=params, random_state=seed).model
        n_train.append(len(ds))
        row_acc, row_f1, row_marks = [], [], []
        for test_name, test in tests.items():
            result = evaluate(model, test.texts, test.labels, data=test_name)
            row_acc.append(result.accuracy)
            row_f1.append(result.macro_f1)
            row_marks.append("*" if result.dropped_gold else "†" if result.ignored_classes else "")
            notes += [f"{train_name} → {test_name}: {note}" for note in result.notes]
            say(f"  tested on {test_name}: accuracy {result.accuracy:.3f}")
        accuracy.append(row_acc)
        macro_f1.append(row_f1)
        markers.append(row_marks)
    return CrossDomain(
        model=model_name,
        train=train_names,
        test=list(tests),
        accuracy=accuracy,
        macro_f1=macro_f1,
        n_train=n_train,
        n_test=[len(ds) for ds in tests.values()],
        notes=notes,
        markers=markers,
    )


@dataclass
class LeaveOneDomainOut:
    """One recipe trained on every dataset but one and tested on the one left out, for each dataset.

    ``macro_recall`` is the recall averaged over the classes present in the left-out test split (a binary
    set's model decides between negative and positive only; see :func:`sentilab.evaluate.evaluate`).
    """

    model: str
    params: dict[str, str]
    left_out: list[str]
    accuracy: list[float]
    macro_recall: list[float]
    n_train: list[int]
    n_test: list[int]
    notes: list[str] = field(default_factory=list)

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean(self.accuracy))

    @property
    def mean_macro_recall(self) -> float:
        return float(np.mean(self.macro_recall))

    def summary(self) -> dict[str, Any]:
        """Per left-out set ``{accuracy, macro_recall, n_train, n_test}``, and the means under ``"mean"``."""
        per_set = {
            name: {"accuracy": acc, "macro_recall": recall, "n_train": n_train, "n_test": n_test}
            for name, acc, recall, n_train, n_test in zip(
                self.left_out, self.accuracy, self.macro_recall, self.n_train, self.n_test
            )
        }
        return {**per_set, "mean": {"accuracy": self.mean_accuracy, "macro_recall": self.mean_macro_recall}}

    def frame(self):
        """A DataFrame: one row per left-out set plus a ``mean`` row; columns accuracy, macro_recall."""
        import pandas as pd

        frame = pd.DataFrame(
            {"accuracy": self.accuracy, "macro_recall": self.macro_recall}, index=list(self.left_out)
        )
        frame.loc["mean"] = [self.mean_accuracy, self.mean_macro_recall]
        frame.index.name = "left out"
        return frame

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        settings = ", ".join(f"{k}={v}" for k, v in self.params.items()) or "defaults"
        width = max(len("left out"), len("mean"), *(len(name) for name in self.left_out))
        out = [f"{self.model} ({settings}): trained on all other sets, tested on the one left out"]
        out.append(f"{'left out':<{width}}  accuracy  macro-recall  train texts  test texts")
        for name, acc, recall, n_train, n_test in zip(
            self.left_out, self.accuracy, self.macro_recall, self.n_train, self.n_test
        ):
            out.append(f"{name:<{width}}  {acc:>8.3f}  {recall:>12.3f}  {n_train:>11,}  {n_test:>10,}")
        out.append(f"{'mean':<{width}}  {self.mean_accuracy:>8.3f}  {self.mean_macro_recall:>12.3f}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def leave_one_domain_out(
    model_name: str,
    datasets: Sequence[str],
    *,
    params: dict[str, str] | None = None,
    sample: int | None = None,
    seed: int = 0,
    load: Callable | None = None,
    on_step: Callable[[str], None] | None = None,
    progress: bool | None = None,
) -> LeaveOneDomainOut:
    """For each dataset: train ``model_name`` on the train splits of all the others (merged), test on its
    test split. How well a recipe does on a domain it has never seen, which in-domain accuracy hides.

    ``params`` are ``--set`` style overrides; ``sample`` caps each training set (stratified, ``seed``);
    ``load`` defaults to :func:`sentilab.data.load_dataset`; ``on_step`` receives one line per fold;
    ``progress`` draws a bar over the folds (only on a terminal, see :func:`sentilab.progress.show_progress`).
    """
    from tqdm.auto import tqdm

    from sentilab.progress import show_progress
    from sentilab.training import TrainingData

    if load is None:
        from sentilab.data import load_dataset as load
    if len(datasets) < 2:
        raise SentilabError(
            f"leave-one-domain-out needs at least two datasets, got {len(datasets)}",
            hint="name every dataset to rotate through, e.g. the eight of sentilab.defaults.LABELLED",
        )
    say = on_step or (lambda line: None)
    trains, tests = [], []
    for spec in datasets:
        trains.append(TrainingData.from_dataset(load(spec, split="train", sample=sample, seed=seed)))
        tests.append(load(spec, split="test"))
    names = [getattr(test, "name", spec) for test, spec in zip(tests, datasets)]
    result = LeaveOneDomainOut(model_name, dict(params or {}), names, [], [], [], [])
    for i in tqdm(range(len(datasets)), desc="leave one out", disable=not show_progress(progress)):
        train = TrainingData.merge([part for j, part in enumerate(trains) if j != i])
        say(f"{model_name}: leaving out {names[i]}, training on {len(train):,} texts")
        model = train_and_save(model_name, train, settings=params, random_state=seed).model
        scores = evaluate(model, tests[i].texts, tests[i].labels, data=f"{names[i]}:test")
        result.accuracy.append(scores.accuracy)
        result.macro_recall.append(scores.macro_recall)
        result.n_train.append(len(train))
        result.n_test.append(scores.n)
        result.notes += [f"{names[i]}: {note}" for note in scores.notes]
        say(f"  tested on {names[i]}: accuracy {scores.accuracy:.3f}, macro-recall {scores.macro_recall:.3f}")
    return result
