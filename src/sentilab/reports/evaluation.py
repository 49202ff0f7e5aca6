"""The files of ``sentilab evaluate --out`` and ``sentilab benchmark``, from :mod:`sentilab.evaluate` results.

- :func:`write_evaluation_report`: ``metrics.json``, ``confusion.png``, ``reliability.png``, ``report.html``;
- :func:`write_cross_domain_report`: ``<model>_cross_domain.csv`` / ``.json`` / ``.png``;
- :func:`write_benchmark_summary`: ``benchmark.json`` over the models of one ``sentilab benchmark``.

Every file is written atomically; other files in the directory are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sentilab.evaluate import CrossDomain, Evaluation
from sentilab.paths import atomic_file
from sentilab.plots import save_figure
from sentilab.plots.evaluate import plot_confusion, plot_cross_domain, plot_reliability
from sentilab.reports.html import escape, figure_html, table_html, write_html


def _write_json(path: Path, data: Any) -> Path:
    with atomic_file(path, "w") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    return path


def write_evaluation_report(evaluation: Evaluation, directory: str | Path) -> dict[str, Path]:
    """Write metrics.json, confusion.png, reliability.png and report.html into ``directory``.

    Returns their paths under the keys ``metrics``, ``confusion``, ``reliability`` and ``report``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": _write_json(directory / "metrics.json", evaluation.to_dict())}
    paths["confusion"] = save_figure(
        plot_confusion(evaluation.confusion, evaluation.labels), directory / "confusion.png"
    )
    paths["reliability"] = save_figure(
        plot_reliability(evaluation.reliability, evaluation.ece), directory / "reliability.png"
    )
    body = [
        *_overlap_lines(evaluation),
        *(f'<p class="note">{escape(note)}</p>' for note in evaluation.notes),
        table_html([{k: v for k, v in evaluation.summary().items() if v is not None}]),
        table_html([{"label": label, **evaluation.per_class[label]} for label in evaluation.labels]),
        '<div class="side">'
        + figure_html(paths["confusion"], "Confusion matrix (rows: gold, columns: predicted)")
        + figure_html(paths["reliability"], f"Reliability diagram (ECE {evaluation.ece:.3f})")
        + "</div>",
    ]
    title = f"{evaluation.model or 'model'} on {evaluation.data or 'data'}"
    paths["report"] = write_html(directory / "report.html", title, body)
    return paths


def _overlap_lines(evaluation: Evaluation) -> list[str]:
    """The train/test overlap: a warning when evaluated texts were training texts, a note when none was,
    nothing when the model keeps no record of its training texts."""
    warning = evaluation.overlap_warning()
    if warning:
        return [f'<p class="warning" role="alert"><strong>Warning:</strong> {escape(warning)}</p>']
    if evaluation.training_overlap == 0:
        return [
            f'<p class="note">None of the {evaluation.n:,} evaluated texts was in this model\'s training data.</p>'
        ]
    return []


def write_cross_domain_report(result: CrossDomain, directory: str | Path) -> dict[str, Path]:
    """``<model>_cross_domain.csv`` (accuracy) / ``.json`` (everything) and the heatmap ``.png``.

    Returns their paths under the keys ``csv``, ``json`` and ``png``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{result.model}_cross_domain"
    paths = {"csv": directory / f"{stem}.csv"}
    accuracy = result.frame("accuracy")
    with atomic_file(paths["csv"], "w") as handle:
        accuracy.to_csv(handle, float_format="%.4f")
    paths["json"] = _write_json(directory / f"{stem}.json", result.to_dict())
    figure = plot_cross_domain(
        accuracy, title=f"{result.model}: accuracy", markers=result.markers, legend=CrossDomain.LEGEND
    )
    paths["png"] = save_figure(figure, directory / f"{stem}.png")
    return paths


def write_benchmark_summary(
    results: Sequence[tuple[CrossDomain, dict[str, Path]]], directory: str | Path
) -> Path:
    """``benchmark.json``: each model's cross-domain result with the files written for it.

    ``results`` pairs each :class:`CrossDomain` with what :func:`write_cross_domain_report` returned for it
    (the benchmark writes each model's files as soon as it is done, so a failure later keeps them).
    """
    summary = {
        result.model: {**result.to_dict(), "files": {k: str(v) for k, v in files.items()}}
        for result, files in results
    }
    path = Path(directory) / "benchmark.json"
    with atomic_file(path, "w") as handle:
        json.dump(summary, handle, indent=1)
    return path
