"""What an audit writes for people: audit.json, one PNG per chart, a self-contained report.html, and the
console summary.

The numbers come from :mod:`sentilab.audit` (an :class:`~sentilab.audit.AuditReport`); the charts from
:mod:`sentilab.plots.audit`; the page skeleton from :mod:`sentilab.reports.html`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from sentilab.audit import AuditReport, BehaviourAudit, FairnessAudit
from sentilab.paths import atomic_file
from sentilab.reports.html import escape, figure_html, table_html, write_html

#: Written into the output directory.
JSON_NAME = "audit.json"
HTML_NAME = "report.html"
BEHAVIOUR_PNG = "behaviour.png"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "dimension"


def fairness_png(dimension: str) -> str:
    """The file name of one group dimension's chart: ``fairness-<dimension slug>.png``."""
    return f"fairness-{_slug(dimension)}.png"


def _ci(low, high) -> str:
    if low is None or high is None or low != low or high != high:
        return "n/a"
    return f"[{low:+.3f}, {high:+.3f}]"


# =========================================================================== the console summary
def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(header)
    ]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _fairness_summary(fairness: FairnessAudit) -> list[str]:
    """The overall comparisons and every flagged one, as a table, then how many are flagged."""
    level = f"{100 * fairness.confidence:g} %"
    sampled = f" ({fairness.sample_units} sampled units)" if fairness.sample_units else ""
    heading = (
        f"\nfairness: {fairness.source}, {fairness.n_sentences:,} sentences{sampled}, "
        f"{fairness.n_resamples:,} bootstrap resamples, {level} CI"
    )
    shown = [c for c in fairness.comparisons if c.subset == "all" or c.significant]
    rows = [
        [
            c.dimension,
            f"{c.group_a} − {c.group_b}",
            c.subset,
            f"{c.polarity_gap:+.3f}",
            _ci(c.ci_low, c.ci_high),
            "FLAGGED" if c.significant else "-",
        ]
        for c in shown
    ]
    table = _format_table(["dimension", "pair", "subset", "polarity gap", f"{level} CI", "flag"], rows)
    flagged = fairness.flagged
    verdict = (
        f"{len(flagged)} of {len(fairness.comparisons)} comparisons flagged (CI excludes 0)"
        if flagged
        else f"no comparison flagged: every {level} CI includes 0"
    )
    return [heading, table, verdict]


def _behaviour_summary(behaviour: BehaviourAudit) -> list[str]:
    """Every behaviour test with its failure rate."""
    rows = [
        [
            t.name,
            t.test_type,
            f"{t.n_failed}/{t.n_cases}",
            f"{100 * t.failure_rate:.1f} %",
            "FAILING" if t.n_failed else "ok",
        ]
        for t in behaviour.tests
    ]
    return [
        f"\nbehaviour: {len(behaviour.tests)} tests, {behaviour.n_texts:,} texts",
        _format_table(["test", "type", "failed", "rate", ""], rows),
    ]


def summary_text(report: AuditReport) -> str:
    """The console summary: overall and flagged comparisons, then every behaviour test with its failure rate."""
    model = report.model
    parts = [f"model: {model.get('source', model['name'])} ({model['name']}; polarity = {report.polarity})"]
    if report.fairness is not None:
        parts += _fairness_summary(report.fairness)
    if report.behaviour is not None:
        parts += _behaviour_summary(report.behaviour)
    return "\n".join(parts)


# =========================================================================== the HTML page
def _fairness_section(fairness: FairnessAudit, figures: dict[str, Path]) -> list[str]:
    level = f"{100 * fairness.confidence:g} %"
    matched = " + ".join(fairness.match_cols) or "nothing (independent samples)"
    sampled = f" ({fairness.sample_units} matched units sampled)" if fairness.sample_units else ""
    persons = f" and of the persons (column {escape(fairness.person_col)})" if fairness.person_col else ""
    body = [
        "<h2>Bias across groups of people</h2>",
        f"<p>{fairness.n_sentences:,} sentences from {escape(fairness.source)}{sampled}. Sentences are "
        f"matched on {escape(matched)}; for each pair of groups the chart shows the polarity gap "
        f"over matched sentences (mean polarity of group a − of group b) with a {level} percentile-bootstrap interval "
        f"({fairness.n_resamples:,} resamples of the matched units{persons}, seed {fairness.seed}). "
        "A gap is <b>flagged</b> when its interval excludes 0. A negative value means the model "
        "reads group a more negatively than group b in otherwise identical sentences.</p>",
    ]
    for dimension in fairness.group_cols:
        body.append(f"<h3>{escape(dimension)}</h3>")
        if f"fairness:{dimension}" in figures:
            caption = f"{dimension}: polarity gap with {level} CI"
            body.append(figure_html(figures[f"fairness:{dimension}"], caption))
        rows = [
            {
                "pair": f"{c.group_a} − {c.group_b}",
                "subset": c.subset,
                "units": c.n_units,
                "persons a/b": f"{c.n_persons_a}/{c.n_persons_b}" if fairness.person_col else "",
                "sentences": c.n_sentences,
                "mean polarity a": round(c.mean_polarity_a, 4),
                "mean polarity b": round(c.mean_polarity_b, 4),
                "polarity gap": round(c.polarity_gap, 4),
                f"{level} CI": _ci(c.ci_low, c.ci_high),
                "flagged": "yes" if c.significant else "",
            }
            for c in fairness.comparisons
            if c.dimension == dimension
        ]
        body.append(table_html(rows))
    return body


def _behaviour_section(behaviour: BehaviourAudit, figures: dict[str, Path]) -> list[str]:
    body = [
        "<h2>Behaviour tests</h2>",
        "<p>CheckList-style tests (Ribeiro et al. 2020) generated from small word lists "
        f"(seed {behaviour.seed}, up to {behaviour.n_per_test} cases each). <b>MFT</b>: the sentiment must be "
        "as expected; <b>DIR</b>: the polarity must move the stated way (no change at all fails); <b>INV</b>: "
        "the predicted label must not change.</p>",
    ]
    if "behaviour" in figures:
        body.append(figure_html(figures["behaviour"], "failure rate per behaviour test"))
    rows = [
        {
            "test": t.name,
            "type": t.test_type,
            "capability": t.capability,
            "what it checks": t.description,
            "failed": f"{t.n_failed}/{t.n_cases}",
            "failure rate": f"{100 * t.failure_rate:.1f} %",
        }
        for t in behaviour.tests
    ]
    body.append(table_html(rows))
    for test in behaviour.failing:
        body.append(f"<h3>{escape(test.name)}: failing examples (worst first)</h3>")
        body.append(
            table_html([{"text": e.text, "expected": e.expected, "got": e.got} for e in test.examples])
        )
    return body


def report_body(report: AuditReport, figures: dict[str, Path]) -> list[str]:
    """The HTML body of report.html; ``figures`` maps ``"fairness:<dimension>"``/``"behaviour"`` to PNGs."""
    model = report.model
    body = [
        '<div class="card">'
        f"<b>Model</b>: {escape(model.get('source', model['name']))} "
        f"({escape(model['name'])}, classes {escape(', '.join(model['classes']))})<br>"
        f"<b>Polarity</b> per text: {escape(report.polarity)}, in [-1, 1].</div>"
    ]
    if report.fairness is not None:
        body += _fairness_section(report.fairness, figures)
    if report.behaviour is not None:
        body += _behaviour_section(report.behaviour, figures)
    body.append(f'<p class="note">Audit took {report.seconds:.1f} s. Numbers are in {JSON_NAME}.</p>')
    return body


# =========================================================================== the files
def _draw_figures(report: AuditReport) -> dict[str, object]:
    """One group-difference chart per dimension with comparisons, and the behaviour failure rates."""
    from sentilab.plots.audit import plot_behaviour_failures, plot_group_differences

    figures: dict[str, object] = {}
    if report.fairness is not None:
        for dimension in report.fairness.group_cols:
            rows = [c for c in report.fairness.comparisons if c.dimension == dimension]
            if rows:
                figures[f"fairness:{dimension}"] = plot_group_differences(
                    rows, confidence=report.fairness.confidence
                )
    if report.behaviour is not None and report.behaviour.tests:
        figures["behaviour"] = plot_behaviour_failures(report.behaviour.tests)
    return figures


def write_audit(report: AuditReport, out: Path) -> dict[str, Path]:
    """Write audit.json, one PNG per chart and report.html into ``out``; return the paths written.

    Keys: ``"json"``, ``"html"`` and each PNG's file name.
    """
    from sentilab.plots import save_figure  # matplotlib loads only when a report is written

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    with atomic_file(out / JSON_NAME, "w") as handle:
        handle.write(report.to_json())
        handle.write("\n")
    written["json"] = out / JSON_NAME
    pngs: dict[str, Path] = {}
    for key, figure in _draw_figures(report).items():  # rendered once: the report embeds the PNG file
        name = BEHAVIOUR_PNG if key == "behaviour" else fairness_png(key.split(":", 1)[1])
        pngs[key] = written[name] = save_figure(figure, out / name)
    title = f"Audit: {report.model['name']}"
    subtitle = str(report.model.get("source", ""))
    written["html"] = write_html(out / HTML_NAME, title, report_body(report, pngs), subtitle=subtitle)
    return written


__all__ = ["report_body", "summary_text", "write_audit"]
