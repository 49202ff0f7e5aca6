"""How well a training recipe transfers: train on one domain, test on every other (the cross-domain matrix).

Every model here is trained through :func:`sentilab.training.train_and_save` (seeded, same settings handling
as ``sentilab train``) and scored with :func:`sentilab.evaluate.evaluate`; results are plain data
(:class:`sentilab.evaluate.CrossDomain`), written by :mod:`sentilab.reports.evaluation`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
