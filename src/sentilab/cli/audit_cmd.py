"""``sentilab audit``: bias across groups of people and behaviour tests, as JSON, charts and an HTML report.

Thin: the options become a call of :func:`sentilab.audit.audit`; :mod:`sentilab.reports.audit` writes the
files and the summary printed here.
"""

from __future__ import annotations

import json
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


def _load_model(model_dir: str | None):
    from sentilab.named_models import resolve_model

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


@click.command("audit", epilog=EPILOG)
@click.argument("model", required=False)
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

    MODEL is a saved model directory or a named model (default, best); without it the default model
    is audited.

    \b
    Fairness: template sentences whose person slot holds female/male noun phrases and first names
    associated with African-American and European-American people (Caliskan et al. 2017); for each pair
    of groups, the polarity gap over matched sentences with a bootstrap confidence interval,
    flagged when the interval excludes 0. --templates runs any corpus of that kind instead (such as the
    Equity Evaluation Corpus).
    Behaviour (CheckList-style): negation, negation at the end, intensifiers and reducers, and invariance
    to typos, URLs, @users and name swaps; the failure rate per test with failing examples.

    The polarity of a text is P(positive) - P(negative) (numeric labels: their expected value, rescaled).
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
    from sentilab.paths import check_output_dir, write_output_dir
    from sentilab.reports.audit import summary_text, write_audit

    check_output_dir(out, "audit")  # before the audit's minutes of work
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
    written = write_output_dir(out, "audit", lambda directory: write_audit(report, directory))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=1, ensure_ascii=False))
        return
    click.echo(summary_text(report))
    click.echo(f"\n{report.seconds:.1f} s → {written['html']} (numbers in {written['json']})")
