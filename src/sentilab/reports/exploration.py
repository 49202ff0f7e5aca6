"""The files of ``sentilab explore``: ``stats.json``, one PNG per figure and a self-contained ``report.html``.

>>> report = explore_and_write_report("uci-yelp", "runs/yelp")   # doctest: +SKIP
>>> write_exploration_report(explore(texts, labels), "runs/mine", title="My corpus")  # doctest: +SKIP

Each file is written atomically; other files already in the output directory are left alone.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sentilab.errors import DataError
from sentilab.explore import Exploration, LengthStats, ZipfFit, explore_corpus
from sentilab.paths import atomic_file
from sentilab.plots import save_figure
from sentilab.plots.explore import exploration_figures
from sentilab.reports.html import escape, figure_html, table_html, write_html


def explore_and_write_report(
    dataset_or_texts: Any,
    out_dir: str | Path,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    sample: int | None = None,
    seed: int = 0,
    text_col: str | None = None,
    label_col: str | None = None,
    words: int = 15,
    **explore_options: Any,
) -> Path:
    """Explore a corpus and write ``stats.json``, PNG figures and a self-contained ``report.html``.

    ``dataset_or_texts`` is a :class:`sentilab.data.Dataset`, a registry name or local file (loaded with
    :func:`sentilab.data.load_dataset` and ``sample``/``seed``/``text_col``/``label_col``), or a list of
    texts (with ``labels``); other keywords go to :func:`sentilab.explore.explore` (see
    :func:`sentilab.explore.explore_corpus`). ``words``: top words per class in the figure. Returns the
    path of ``report.html``.
    """
    exploration, load_lines = explore_corpus(
        dataset_or_texts,
        labels=labels,
        sample=sample,
        seed=seed,
        text_col=text_col,
        label_col=label_col,
        **explore_options,
    )
    title = title or f"Exploring {exploration.settings['source']}"
    return write_exploration_report(exploration, out_dir, title=title, load_lines=load_lines, words=words)


def write_exploration_json(exploration: Exploration, path: str | Path) -> Path:
    """Write :meth:`Exploration.to_json` to ``path`` atomically (:meth:`Exploration.load` reads it back)."""
    path = Path(path)
    with atomic_file(path, "w") as handle:
        handle.write(exploration.to_json() + "\n")
    return path


def write_exploration_report(
    exploration: Exploration,
    out_dir: str | Path,
    *,
    title: str = "Exploration",
    load_lines: Sequence[str] = (),
    words: int = 15,
) -> Path:
    """Write ``stats.json``, ``<figure>.png`` and ``report.html`` into ``out_dir``; return the report path.

    ``load_lines``: the loader's report on how the rows were read, shown in the summary.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"--out {out_dir} is a file; give a directory (it is created if needed)")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_exploration_json(exploration, out_dir / "stats.json")
    with warnings.catch_warnings():
        # Tweets hold characters no installed font has; matplotlib warns once per glyph. The box drawn
        # instead is fine in a chart.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figures = {
            name: save_figure(figure, out_dir / f"{name}.png")
            for name, figure in exploration_figures(exploration, words=words).items()
        }
    body = _report_body(exploration, figures, load_lines)
    subtitle = (
        f"{exploration.texts:,} texts · tokenizer {exploration.settings.get('tokenizer')} · "
        f"normalizer {exploration.settings.get('normalizer')}"
    )
    return write_html(out_dir / "report.html", title, body, subtitle=subtitle)


def _report_body(e: Exploration, figures: dict[str, Path], load_lines: Sequence[str]) -> list[str]:
    """The page's sections in order: summary, labels (when labelled), vocabulary, lengths, words, settings."""
    parts = [_summary_section(e, load_lines)]
    if e.labels:
        parts.append(_labels_section(e, figures["labels"]))
    parts += [_vocabulary_section(e, figures["zipf"]), _lengths_section(e, figures["lengths"])]
    if e.words_by_class:
        parts.append(_words_section(e, figures["words"]))
    parts.append(_settings_section(e))
    return parts


def _zipf_text(zipf: ZipfFit) -> str:
    return "not enough frequent types to fit" if zipf.exponent is None else f"{zipf.exponent:.3f}"


def _summary_section(e: Exploration, load_lines: Sequence[str]) -> str:
    parts: list[str] = []
    summary = [
        ("texts", e.texts),
        ("tokens", e.tokens),
        ("vocabulary (token types)", e.vocabulary_size),
        ("types seen once", e.hapax_legomena),
        (
            f"types covering {e.coverage.target:.0%} of occurrences",
            f"{e.coverage.types_needed:,} ({e.coverage.share_of_types:.1%} of the vocabulary)",
        ),
        ("Zipf exponent s", _zipf_text(e.zipf)),
        ("median / mean / 99th pct / max length", _length_text(e.lengths)),
        ("texts with no token", e.empty_texts),
    ]
    parts.append('<section id="summary"><h2>Summary</h2>' + table_html(summary, ["statistic", "value"]))
    if load_lines:
        parts.append(
            f'<p class="note">How the rows were read:</p><pre>{escape(chr(10).join(load_lines))}</pre>'
        )
    parts.append("</section>")
    return "\n".join(parts)


def _labels_section(e: Exploration, figure: Path) -> str:
    # The chart prints each label's count and share; stats.json has them as numbers.
    return '<section id="labels"><h2>Labels</h2>' + figure_html(figure, "Texts per label.") + "</section>"


def _vocabulary_section(e: Exploration, figure: Path) -> str:
    zipf = e.zipf
    top = [(i + 1, t.token, t.count, f"{t.share:.2%}") for i, t in enumerate(e.top_tokens)]
    fit = (
        f"least squares of log10 frequency on log10 rank over {zipf.fit_points} log-spaced ranks from "
        f"{zipf.fit_min_rank:,} to {zipf.fit_max_rank:,} (the last rank seen at least {zipf.min_count} times)"
    )
    return (
        '<section id="vocabulary"><h2>Vocabulary and Zipf\'s law</h2>'
        f"<p>{e.vocabulary_size:,} token types; the {e.coverage.types_needed:,} most frequent "
        f"({e.coverage.share_of_types:.1%}) cover {e.coverage.target:.0%} of the {e.tokens:,} token "
        f"occurrences, and {e.hapax_legomena:,} types are seen only once.</p>"
        + '<div class="side">'
        + table_html(top, ["rank", "token", "count", "share"])
        + figure_html(figure, f"Rank–frequency on log–log axes. Zipf exponent s = {_zipf_text(zipf)}; {fit}.")
        + "</div></section>"
    )


def _lengths_section(e: Exploration, figure: Path) -> str:
    length_rows = [
        (label, *_length_row(s)) for label, s in (e.lengths_by_class or {"all": e.lengths}).items()
    ]
    if e.lengths_by_class:
        length_rows.append(("all", *_length_row(e.lengths)))
    return (
        '<section id="lengths"><h2>Lengths</h2>'
        + table_html(length_rows, ["class", "texts", "min", "median", "mean", "99th pct", "max"])
        + figure_html(figure, "Tokens per text, as the share of each class's texts.")
        + "</section>"
    )


def _words_section(e: Exploration, figure: Path) -> str:
    # The chart shows each class's top words by z; their δ and counts are in stats.json.
    return (
        '<section id="words"><h2>Words that go with each class</h2>'
        "<p>Weighted log-odds ratio of each word in a class against all other classes, with an "
        "informative Dirichlet prior from the whole corpus (Monroe, Colaresi &amp; Quinn 2008, "
        "“Fightin' Words”): δ = log((y<sub>i</sub>+α)/(n<sub>i</sub>+α<sub>0</sub>−y<sub>i</sub>−α)) − "
        "log((y<sub>r</sub>+α)/(n<sub>r</sub>+α<sub>0</sub>−y<sub>r</sub>−α)), "
        "z = δ / √(1/(y<sub>i</sub>+α) + 1/(y<sub>r</sub>+α)). "
        f"Words seen fewer than {e.settings.get('min_count')} times are not ranked; "
        f"α = {e.settings.get('prior_scale')} × the word's corpus count.</p>"
        + figure_html(
            figure,
            "Top words per class by z-score (stats.json has each word's z, δ and counts under words_by_class).",
        )
        + "</section>"
    )


def _settings_section(e: Exploration) -> str:
    settings = [(key, json.dumps(value, ensure_ascii=False)) for key, value in e.settings.items()]
    return (
        '<section id="settings"><h2>Settings</h2>'
        + table_html(settings, ["setting", "value"])
        + '<p class="note">All numbers are also in <code>stats.json</code> next to this report.</p></section>'
    )


def _length_row(s: LengthStats) -> tuple:
    return (s.texts, s.min, s.median, round(s.mean, 2), round(s.p99, 2), s.max)


def _length_text(s: LengthStats) -> str:
    return f"{s.median:g} / {s.mean:.1f} / {s.p99:g} / {s.max:,}"
