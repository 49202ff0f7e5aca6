"""``sentilab audit``: bias across groups of people and behaviour tests, as JSON, charts and an HTML report."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import click

from sentilab.errors import DataError, SentilabError

EPILOG = """\b
Examples:
  sentilab audit runs/bow --out runs/audit
  sentilab audit --out runs/audit-default            # the default model
  sentilab audit runs/bow --out runs/audit-eec --templates Equity-Evaluation-Corpus.csv \\
      --sentence-col Sentence --group-col Gender --group-col Race \\
      --match-col Template --match-col "Emotion word" --person-col Person --by Emotion

\b
Writes DIR/audit.json, DIR/report.html (self-contained) and one PNG per chart.
"""


def _load_model(model_dir: Path | None):
    from sentilab.defaults import resolve_model

    return resolve_model(model_dir)


def _pick_sentence_col(columns: Sequence[str], source: str) -> str:
    for wanted in ("sentence", "text"):
        for column in columns:
            if str(column).strip().lower() == wanted:
                return column
    raise DataError(
        f"cannot tell which column of {source} holds the sentences; its columns are: {', '.join(map(str, columns))}",
        hint="name it with --sentence-col",
    )


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "dimension"


def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(header)
    ]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _ci(low, high) -> str:
    if low is None or high is None or low != low or high != high:
        return "n/a"
    return f"[{low:+.3f}, {high:+.3f}]"


def summary_text(report) -> str:
    """The console summary: overall and flagged comparisons, then every behaviour test with its failure rate."""
    parts = [
        f"model: {report.model.get('source', report.model['name'])} ({report.model['name']}; score = {report.score})"
    ]
    fairness = report.fairness
    if fairness is not None:
        level = f"{100 * fairness.confidence:g} %"
        parts.append(
            f"\nfairness: {fairness.source}, {fairness.n_sentences:,} sentences"
            + (f" ({fairness.sample_units} sampled units)" if fairness.sample_units else "")
            + ", "
            f"{fairness.n_resamples:,} bootstrap resamples, {level} CI"
        )
        shown = [c for c in fairness.comparisons if c.subset == "all" or c.significant]
        rows = [
            [
                c.dimension,
                f"{c.group_a} − {c.group_b}",
                c.subset,
                f"{c.difference:+.3f}",
                _ci(c.ci_low, c.ci_high),
                "FLAGGED" if c.significant else "-",
            ]
            for c in shown
        ]
        parts.append(
            _format_table(["dimension", "pair", "subset", "difference", f"{level} CI", "flag"], rows)
        )
        flagged = fairness.flagged
        parts.append(
            f"{len(flagged)} of {len(fairness.comparisons)} comparisons flagged (CI excludes 0)"
            if flagged
            else f"no comparison flagged: every {level} CI includes 0"
        )
    behaviour = report.behaviour
    if behaviour is not None:
        parts.append(f"\nbehaviour: {len(behaviour.tests)} tests, {behaviour.n_texts:,} texts")
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
        parts.append(_format_table(["test", "type", "failed", "rate", ""], rows))
    return "\n".join(parts)


def _report_body(report, figures: dict[str, object]) -> list[str]:
    from sentilab.reports.html import escape, figure_html, table_html

    body = [
        '<div class="card">'
        f"<b>Model</b>: {escape(report.model.get('source', report.model['name']))} "
        f"({escape(report.model['name'])}, classes {escape(', '.join(report.model['classes']))})<br>"
        f"<b>Score</b> per text: {escape(report.score)}, in [-1, 1].</div>"
    ]
    fairness = report.fairness
    if fairness is not None:
        level = f"{100 * fairness.confidence:g} %"
        body.append("<h2>Bias across groups of people</h2>")
        matched = " + ".join(fairness.match_cols) or "nothing (independent samples)"
        body.append(
            f"<p>{fairness.n_sentences:,} sentences from {escape(fairness.source)}"
            + (f" ({fairness.sample_units} matched units sampled)" if fairness.sample_units else "")
            + ". Sentences are matched on "
            f"{escape(matched)}; for each pair of groups the chart shows the mean score difference over matched "
            f"sentences (group a − group b) with a {level} percentile-bootstrap interval "
            f"({fairness.n_resamples:,} resamples of the matched units"
            + (f" and of the persons (column {escape(fairness.person_col)})" if fairness.person_col else "")
            + ", seed "
            f"{fairness.seed}). A difference is <b>flagged</b> when its interval excludes 0. A negative value means "
            "the model scores group a more negatively than group b in otherwise identical sentences.</p>"
        )
        for dimension in fairness.group_cols:
            rows = [c for c in fairness.comparisons if c.dimension == dimension]
            body.append(f"<h3>{escape(dimension)}</h3>")
            if f"fairness:{dimension}" in figures:
                body.append(
                    figure_html(
                        figures[f"fairness:{dimension}"],
                        f"{dimension}: mean score difference with {level} CI",
                    )
                )
            body.append(
                table_html(
                    [
                        {
                            "pair": f"{c.group_a} − {c.group_b}",
                            "subset": c.subset,
                            "units": c.n_units,
                            "persons a/b": f"{c.n_persons_a}/{c.n_persons_b}" if fairness.person_col else "",
                            "sentences": c.n_sentences,
                            "mean a": round(c.mean_a, 4),
                            "mean b": round(c.mean_b, 4),
                            "difference": round(c.difference, 4),
                            f"{level} CI": _ci(c.ci_low, c.ci_high),
                            "flagged": "yes" if c.significant else "",
                        }
                        for c in rows
                    ]
                )
            )
    behaviour = report.behaviour
    if behaviour is not None:
        body.append("<h2>Behaviour tests</h2>")
        body.append(
            "<p>CheckList-style tests (Ribeiro et al. 2020) generated from small word lists "
            f"(seed {behaviour.seed}, up to {behaviour.n_per_test} cases each). <b>MFT</b>: the polarity must be as "
            "expected; <b>DIR</b>: the score must move the stated way (no change at all fails); <b>INV</b>: the "
            "predicted label must not change.</p>"
        )
        if "behaviour" in figures:
            body.append(figure_html(figures["behaviour"], "failure rate per behaviour test"))
        body.append(
            table_html(
                [
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
            )
        )
        for test in behaviour.failing:
            body.append(f"<h3>{escape(test.name)}: failing examples (worst first)</h3>")
            body.append(
                table_html([{"text": e.text, "expected": e.expected, "got": e.got} for e in test.examples])
            )
    body.append(f'<p class="note">Audit took {report.seconds:.1f} s. Numbers are in audit.json.</p>')
    return body


def write_audit(report, out: Path) -> dict[str, Path]:
    """Write audit.json, one PNG per chart and report.html into ``out``; return the paths written."""
    from sentilab.paths import atomic_file
    from sentilab.plots import save_figure
    from sentilab.plots.audit import plot_behaviour_failures, plot_group_differences
    from sentilab.reports.html import write_html

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    with atomic_file(out / "audit.json", "w") as handle:
        handle.write(report.to_json())
        handle.write("\n")
    written["json"] = out / "audit.json"
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
    pngs: dict[str, object] = {}
    for key, figure in figures.items():  # rendered once: the report embeds the PNG file
        name = "behaviour.png" if key == "behaviour" else f"fairness-{_slug(key.split(':', 1)[1])}.png"
        pngs[key] = written[name] = save_figure(figure, out / name)
    body = _report_body(report, pngs)
    title = f"Audit: {report.model['name']}"
    written["html"] = write_html(
        out / "report.html", title, body, subtitle=str(report.model.get("source", ""))
    )
    return written


@click.command("audit", epilog=EPILOG)
@click.argument("model", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory for audit.json, report.html and the charts.",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A template corpus (CSV, or TSV) to audit instead of the built-in templates.",
)
@click.option(
    "--sentence-col",
    help="With --templates: the column holding the sentences [default: a column named sentence or text].",
)
@click.option(
    "--group-col",
    "group_cols",
    multiple=True,
    help="With --templates: a column of groups to compare (repeat: --group-col Gender --group-col Race).",
)
@click.option(
    "--match-col",
    "match_cols",
    multiple=True,
    help="With --templates: sentences equal in these columns are compared with each other (repeat; e.g. Template and 'Emotion word'). None: unpaired comparison.",
)
@click.option(
    "--person-col",
    help="With --templates: who fills the person slot; persons are resampled too, so one odd name cannot look like a group effect.",
)
@click.option("--by", help="With --templates: also compare within each value of this column (e.g. Emotion).")
@click.option(
    "--resamples",
    default=2000,
    show_default=True,
    type=click.IntRange(min=100),
    help="Bootstrap resamples per comparison.",
)
@click.option(
    "--confidence",
    default=0.95,
    show_default=True,
    type=click.FloatRange(0.5, 0.999),
    help="Confidence level of the intervals.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed for the bootstrap and the behaviour-test generator.",
)
@click.option(
    "--sample-units",
    type=click.IntRange(min=2),
    help="Score only this many matched units (template x emotion word, every person kept), drawn with --seed: "
    "a quicker audit for slow models, with wider intervals. [default: all]",
)
@click.option(
    "--per-test", default=200, show_default=True, type=click.IntRange(min=1), help="Cases per behaviour test."
)
@click.option(
    "--examples",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="Failing examples kept per behaviour test.",
)
@click.option("--fairness/--no-fairness", default=True, show_default=True, help="Run the group comparisons.")
@click.option("--behaviour/--no-behaviour", default=True, show_default=True, help="Run the behaviour tests.")
@click.option(
    "--positive-label",
    help="The positive class, for models whose labels are not positive/negative or numbers.",
)
@click.option("--negative-label", help="The negative class (give both or neither).")
@click.option("--json", "as_json", is_flag=True, help="Print audit.json to stdout instead of the summary.")
def audit(
    model, out, templates, sentence_col, group_cols, match_cols, person_col, by, resamples, confidence, seed,
    sample_units, per_test, examples, fairness, behaviour, positive_label, negative_label, as_json,
):  # fmt: skip
    """Audit a model for bias across groups of people and for basic behaviour.

    MODEL is a saved model directory; without it the default model is audited.

    \b
    Fairness: template sentences whose person slot holds female/male noun phrases and first names
    associated with African-American and European-American people (Caliskan et al. 2017); for each pair
    of groups, the mean score difference over matched sentences with a bootstrap confidence interval,
    flagged when the interval excludes 0. --templates runs any corpus of that kind instead (such as the
    Equity Evaluation Corpus).
    Behaviour (CheckList-style): negation, negation at the end, intensifiers and reducers, and invariance
    to typos, URLs, @users and name swaps; the failure rate per test with failing examples.

    The score of a text is P(positive) - P(negative) (numeric labels: their expected value, rescaled).
    """
    corpus_options = {
        "--sentence-col": sentence_col,
        "--group-col": group_cols,
        "--match-col": match_cols,
        "--person-col": person_col,
        "--by": by,
    }
    if templates is None:
        given = [name for name, value in corpus_options.items() if value]
        if given:
            raise SentilabError(f"{', '.join(given)} only apply with --templates FILE")
    if not fairness and not behaviour:
        raise SentilabError("--no-fairness and --no-behaviour together leave nothing to audit")

    from sentilab.audit import audit as run_audit
    from sentilab.audit import read_templates

    frame = None
    if templates is not None and fairness:
        frame = read_templates(templates)
        sentence_col = sentence_col or _pick_sentence_col(list(frame.columns), str(templates))
        if not group_cols:
            raise DataError(
                f"name the group columns of {templates} with --group-col; its columns are: "
                f"{', '.join(map(str, frame.columns))}"
            )
    loaded, source = _load_model(model)
    report = run_audit(
        loaded,
        fairness=fairness,
        behaviour=behaviour,
        templates=frame,
        sentence_col=sentence_col,
        group_cols=list(group_cols) or None,
        match_cols=list(match_cols) or None,
        person_col=person_col,
        by=by,
        n_resamples=resamples,
        confidence=confidence,
        seed=seed,
        sample_units=sample_units,
        n_per_test=per_test,
        max_examples=examples,
        positive_label=positive_label,
        negative_label=negative_label,
        progress=True,
        model_source=source,
        templates_source=str(templates) if templates is not None else None,
    )
    written = write_audit(report, Path(out))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
        return
    click.echo(summary_text(report))
    click.echo(f"\n{report.seconds:.1f} s → {written['html']} (numbers in {written['json']})")
