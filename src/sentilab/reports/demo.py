"""The demo's own pages: ``index.html``, ``evaluate/report.html`` (models side by side) and
``explain/report.html`` (token explanations). :mod:`sentilab.demo` computes; this module only writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from sentilab.evaluate import CrossDomain
from sentilab.reports.html import escape, figure_html, table_html, write_html


class DemoStep(Protocol):
    """What the index needs of one finished step (:class:`sentilab.demo.StepResult`)."""

    title: str
    summary: list[str]
    links: dict[str, str]  # label -> path relative to the demo folder
    seconds: float
    error: str | None


def write_demo_index(
    out: Path,
    results: Sequence[DemoStep],
    *,
    total_steps: int,
    total_seconds: float,
    finished: bool,
    accuracy: Mapping[str, Mapping[str, float]] | None = None,
    cross_domain: CrossDomain | None = None,
    speaker_shares: pd.DataFrame | None = None,
) -> Path:
    """``out/index.html``: what was done, the key charts, links to every report of the steps that worked,
    then each step.

    The charts are drawn from what the steps found, each only when its step has worked: ``accuracy``
    (test set -> {model: accuracy}), the ``cross_domain`` matrix and ``speaker_shares`` (the speeches'
    per-speaker table, :meth:`sentilab.documents.DocumentAnalysis.group_table`).
    """
    done = [r for r in results if r.error is None]
    failed = [r for r in results if r.error is not None]
    status = "finished" if finished else "running"
    intro = (
        f"<div class='card'><p><b>What was done</b> ({status}, {total_seconds / 60:.1f} minutes): "
        f"{len(done)} of {total_steps} steps completed{f', {len(failed)} failed' if failed else ''}. "
        "Everything ran offline from data that the PyPI and npm registries ship. "
        f"All files are under <code>{escape(out)}</code>.</p></div>"
    )
    links = [
        f"<li><a href='{escape(href)}'>{escape(label)}</a></li>"
        for r in done
        for label, href in r.links.items()
    ]
    sections = [intro, *_key_charts(accuracy, cross_domain, speaker_shares)]
    if links:
        sections.append(f"<h2 id='reports'>Where the results are</h2><ul>{''.join(links)}</ul>")
    for number, r in enumerate(results, 1):
        body = "".join(f"<li>{escape(line)}</li>" for line in r.summary)
        if r.error:
            body += f"<li><b>failed:</b> {escape(r.error)}</li>"
        sections.append(
            f"<h2>{number}. {escape(r.title)} <small class='note'>({r.seconds:.1f} s)</small></h2><ul>{body}</ul>"
        )
    return write_html(out / "index.html", "sentilab demo", sections, subtitle="the whole mission, end to end")


#: Speakers shown on the front page: the most positive and the most negative half each (the speeches
#: report has them all).
FRONT_PAGE_SPEAKERS = 20


def _key_charts(
    accuracy: Mapping[str, Mapping[str, float]] | None,
    cross_domain: CrossDomain | None,
    speaker_shares: pd.DataFrame | None,
) -> list[str]:
    """The front page's charts, embedded: accuracy by model, the cross-domain heatmap, the speakers'
    sentiment shares. A chart whose data is missing (its step failed or has not run) is left
    out."""
    from sentilab.plots import pyplot
    from sentilab.plots.documents import plot_sentiment_shares
    from sentilab.plots.evaluate import plot_accuracy_by_model, plot_cross_domain

    def embedded(figure, caption: str) -> str:
        try:
            return figure_html(figure, caption)
        finally:
            pyplot().close(figure)

    charts = []
    if accuracy:
        charts.append(
            embedded(
                plot_accuracy_by_model(accuracy, title="Accuracy by model"),
                "Each model's accuracy on the held-out tweets (numbers on the bars) and, untrained, on other "
                "domains.",
            )
        )
    if cross_domain is not None:
        charts.append(
            embedded(
                plot_cross_domain(
                    cross_domain.frame("accuracy"),
                    title=f"{cross_domain.model}: trained on each row, tested on each column",
                    markers=cross_domain.markers,
                    legend=CrossDomain.LEGEND,
                ),
                "Cross-domain accuracy: the diagonal is in-domain.",
            )
        )
    if speaker_shares is not None and len(speaker_shares):
        n = len(speaker_shares)
        which = (
            f"all {n:,} speakers"
            if n <= FRONT_PAGE_SPEAKERS
            else f"the {FRONT_PAGE_SPEAKERS // 2} most positive and the {FRONT_PAGE_SPEAKERS // 2} most negative "
            f"of {n:,} speakers (the speeches report has every one)"
        )
        charts.append(
            embedded(
                plot_sentiment_shares(
                    speaker_shares, title="Convention speeches by speaker", max_rows=FRONT_PAGE_SPEAKERS
                ),
                f"Share of positive / neutral / negative paragraphs: {which}.",
            )
        )
    return ['<h2 id="charts">Key results</h2>', *charts] if charts else []


def write_models_page(
    folder: Path, rows: Sequence[Mapping[str, Any]], matrix: CrossDomain, matrix_png: Path
) -> Path:
    """``folder/report.html``: one row of scores per model (each linked to its own evaluation report in
    ``folder/<model>/``), then the cross-domain matrix as text and as its heatmap ``matrix_png``."""
    sections = [
        f"<li><a href='{row['model']}/report.html'>{row['model']}</a>: confusion matrix, reliability diagram</li>"
        for row in rows
    ]
    body = [
        "<p>Every model was trained on the CrowdFlower tweets' train split and is scored on its held-out test "
        "split (accuracy, macro-F1, expected calibration error) and, without retraining, on the test splits of "
        "other domains (accuracy).</p>",
        table_html(rows),
        f"<ul>{''.join(sections)}</ul>",
        f"<h2>Cross-domain matrix ({matrix.model}; trained on rows, tested on columns)</h2>",
        "<pre>" + "\n".join(matrix.lines()) + "</pre>",
        figure_html(
            matrix_png, f"accuracy of {matrix.model} trained on each row's train split, tested on each column"
        ),
    ]
    return write_html(folder / "report.html", "Models side by side", body)


def write_explanations_page(path: Path, explanations: Mapping[str, Sequence[Any]]) -> Path:
    """``path``: per model, each explained text with its tokens shaded by their contribution.

    ``explanations`` maps a model name to :class:`sentilab.explain.Explanation` objects (``tokens`` with
    ``token`` and ``contribution``, ``target``, ``probabilities``).
    """
    body = [
        "<p>Green tokens pushed towards the predicted class, red ones away from it. bow's contributions are "
        "exact (count × coefficient; with the intercept they sum to the decision value); the others use "
        "occlusion (the drop in probability when the token is removed).</p>"
    ]
    for name, model_explanations in explanations.items():
        body.append(f"<h2>{escape(name)}</h2>")
        body += [_explained_text(explanation) for explanation in model_explanations]
    return write_html(path, "Why each model decided what it did", body)


def _explained_text(explanation) -> str:
    """One paragraph: the predicted class and its probability, then the tokens, shaded by |contribution|."""
    largest = max((abs(t["contribution"]) for t in explanation.tokens), default=0.0) or 1.0
    spans = []
    for token in explanation.tokens:
        value = token["contribution"]
        alpha = min(1.0, abs(value) / largest) * 0.75
        color = f"rgba(60,157,93,{alpha:.2f})" if value > 0 else f"rgba(217,83,79,{alpha:.2f})"
        spans.append(
            f"<span title='{value:+.3f}' style='background:{color};padding:0 2px'>{escape(token['token'])}</span>"
        )
    p = explanation.probabilities.get(explanation.target, 0.0)
    return f"<p><b>{escape(explanation.target)}</b> ({p:.2f}): {' '.join(spans)}</p>"
