"""The files of ``sentilab analyze``: CSV tables, PNG charts and one self-contained ``report.html``.

>>> analysis = analyze_documents(frame, model, text_col="speech", group_cols=["speaker"])  # doctest: +SKIP
>>> write_documents_report(analysis, "runs/speeches")                                     # doctest: +SKIP

The page, top to bottom: a summary card (what was analysed, the definitions, the files beside it), a table
of contents, one chart per grouping column (fewest groups first) with its table of groups, the most
positive and most negative paragraphs overall and per group, the sentiment arcs, and one line per document
whose paragraphs, shaded by polarity, open with a click. What would make the first view long (a table of
hundreds of groups, the extremes of hundreds of groups, the arcs, every paragraph) is folded into
``<details>``: no script is needed, and a link to a paragraph opens its document in browsers that
auto-expand details for a link's target (Chromium does; ``tests/test_report_views.py`` checks it). Terms
(polarity, label, score, shares) are defined in :mod:`sentilab.documents`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from sentilab.documents import DocumentAnalysis
from sentilab.paths import atomic_file
from sentilab.plots import save_figure
from sentilab.plots.documents import ARC_PANELS, arc_pages, plot_sentiment_arcs, plot_sentiment_shares
from sentilab.reports.html import details_html, escape, figure_html, table_html, write_html
from sentilab.text.paragraphs import max_words

TABLES = ("paragraphs", "documents", "groups", "skipped")  # each written as <name>.csv
EXCERPT_CHARS = 280
#: Beyond this many groups a chart's table of groups is folded (the chart shows every group already).
OPEN_TABLE_MAX_GROUPS = 30
#: Beyond this many groups the per-group extremes are folded (they hold an excerpt per group and side).
OPEN_EXTREMES_MAX_GROUPS = 10
SHARE_HEADER = ["positive", "neutral", "negative", "mean polarity"]
_RGB = {"positive": (60, 157, 93), "negative": (217, 83, 79)}
_REPORT_CSS = """
.paragraph { padding: .45rem .7rem; border-radius: 4px; margin: .35rem 0; white-space: pre-wrap; }
.paragraph .polarity { display: inline-block; min-width: 3.2rem; font-weight: 600; font-variant-numeric: tabular-nums;
                    color: var(--ink); }
.paragraph .label { color: var(--muted); font-size: .8rem; margin-right: .5rem; }
section.document { margin: 0; border-bottom: 1px solid var(--line); }
section.document > details > summary { padding: .1rem .2rem; font-size: .92rem; line-height: 1.35; }
section.document > details[open] { padding-bottom: 1rem; }
section.document .doc-title { font-weight: 600; }
.bar { display: inline-flex; width: 120px; height: .75rem; vertical-align: middle; margin: 0 .6rem 0 .3rem;
       border: 1px solid var(--line); }
.bar span { display: block; height: 100%; }
.bar .pos { background: var(--pos); } .bar .neu { background: var(--neu); } .bar .neg { background: var(--neg); }
svg.arc { width: 100%; max-width: 640px; height: 64px; display: block; margin: .3rem 0; }
.excerpt { font-size: .9rem; }
.legend span { display: inline-block; padding: .1rem .5rem; border-radius: 3px; margin-right: .2rem; }
nav ul { columns: 2; }
"""


def write_documents_report(
    analysis: DocumentAnalysis, out_dir: str | Path, *, title: str | None = None, top: int | None = None
) -> Path:
    """Write ``report.html`` (self-contained), the CSV tables and the PNG figures into ``out_dir``.

    Files: ``report.html``, ``paragraphs.csv``, ``documents.csv``, ``groups.csv``, ``skipped.csv``,
    ``shares-<column>.png`` per grouping column (``shares-documents.png`` without one) and
    ``arcs-01.png``, ``arcs-02.png``, ... (40 documents each). Every file is written atomically.
    ``top``: paragraphs shown per group in "most positive / most negative" (default 3 when there are at
    most 10 groups, else 1). Returns the path of ``report.html``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    a = analysis
    write_documents_tables(a, out_dir)
    shares = write_share_figures(a, out_dir)
    arcs = write_arc_figures(a, out_dir)
    links = _Links.of(a)
    shares = sorted(
        shares, key=lambda figure: figure.groups
    )  # the small charts first: parties, then speakers
    body = [
        *_summary_card(a, shares, arcs),
        _contents(a, shares),
        *_share_sections(a, shares),
        *_overall_extremes(a, links),
        *_group_extremes(a, links, top),
        *_arc_section(arcs),
        *_document_sections(a, links),
    ]
    return write_html(
        out_dir / "report.html",
        title or f"Paragraph sentiment: {a.source}",
        body,
        subtitle=f"{a.summary()} · model {a.model_name} · {time.strftime('%Y-%m-%d %H:%M')}",
        extra_css=_REPORT_CSS,
    )


# ============================================================================ CSV tables and PNG figures
def write_documents_tables(analysis: DocumentAnalysis, out_dir: Path) -> list[Path]:
    """``paragraphs.csv``, ``documents.csv``, ``groups.csv`` and ``skipped.csv`` (see :class:`DocumentAnalysis`)."""
    paths = []
    for name in TABLES:
        path = out_dir / f"{name}.csv"
        with atomic_file(path, "w") as handle:
            getattr(analysis, name).to_csv(handle, index=False)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class ShareFigure:
    """One share chart: the grouping column (None: per document), its heading, PNG, caption and bar count."""

    column: str | None
    heading: str
    png: Path
    caption: str
    groups: int

    @property
    def anchor(self) -> str:
        return f"by-{_slug(self.column or 'document')}"


def write_share_figures(analysis: DocumentAnalysis, out_dir: Path) -> list[ShareFigure]:
    """``shares-<column>.png`` per grouping column, or ``shares-documents.png`` when there is none."""
    a, figures = analysis, []
    for column in a.group_cols or [None]:
        if column is None:
            table = a.documents.assign(
                group=a.documents["title"].astype(str) + " (" + a.documents["document"].astype(str) + ")"
            )
            heading, png = "Sentiment by document", out_dir / "shares-documents.png"
        else:
            table, heading = a.group_table(column), f"Sentiment by {column}"
            png = out_dir / f"shares-{_slug(column)}.png"
        figure = plot_sentiment_shares(
            table, title=f"{heading}: share of positive / neutral / negative paragraphs"
        )
        save_figure(figure, png)
        caption = (
            f"{len(table):,} {'documents' if column is None else column + ' groups'}, most positive share at "
            "the top; the number at the right of each bar is its paragraphs."
        )
        figures.append(ShareFigure(column, heading, png, caption, len(table)))
    return figures


def write_arc_figures(analysis: DocumentAnalysis, out_dir: Path) -> list[Path]:
    """``arcs-01.png``, ``arcs-02.png``, ...: each paragraph's polarity along its document, a page of documents
    each."""
    paths = []
    for number, page in enumerate(arc_pages(analysis.documents["document"]), 1):
        paragraphs = analysis.paragraphs[analysis.paragraphs["document"].isin(page)]
        figure = plot_sentiment_arcs(paragraphs, analysis.documents)
        paths.append(save_figure(figure, out_dir / f"arcs-{number:02d}.png"))
    return paths


# ============================================================================ small HTML pieces
def _shade(polarity: float) -> str:
    """Background colour for a paragraph: green for positive, red for negative, stronger with |polarity|."""
    red, green, blue = _RGB["positive" if polarity >= 0 else "negative"]
    return f"rgba({red},{green},{blue},{0.55 * min(abs(polarity), 1.0):.3f})"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "column"


def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _records(frame: pd.DataFrame) -> list[SimpleNamespace]:
    """Rows as attribute objects, built once (per-row pandas access is slow for report loops)."""
    return [SimpleNamespace(**row) for row in frame.to_dict("records")]


def _arc_svg(polarities: Sequence[float], width: int = 600, height: int = 64) -> str:
    """An inline SVG line of polarities (−1 at the bottom, +1 at the top); no external references."""
    n = len(polarities)
    middle = height / 2
    xs = [width / 2] if n == 1 else [4 + i * (width - 8) / (n - 1) for i in range(n)]
    points = " ".join(f"{x:.1f},{middle - s * (middle - 4):.1f}" for x, s in zip(xs, polarities))
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{middle - s * (middle - 4):.1f}" r="2.2" '
        f'fill="{"#3c9d5d" if s >= 0 else "#d9534f"}"/>'
        for x, s in zip(xs, polarities)
    )
    return (
        f'<svg class="arc" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="polarity of each paragraph, from -1 (bottom) to +1 (top)">'
        f'<line x1="0" y1="{middle}" x2="{width}" y2="{middle}" stroke="#bbb" stroke-width="1"/>'
        f'<polyline points="{points}" fill="none" stroke="#444" stroke-width="1.2"/>{dots}</svg>'
    )


@dataclass(frozen=True)
class _Links:
    """In-page links to a document's section (``doc-N``) and to its paragraphs (``doc-N-p-K``)."""

    anchors: dict[Any, str]
    titles: dict[Any, str]

    @classmethod
    def of(cls, analysis: DocumentAnalysis) -> _Links:
        documents = analysis.documents
        return cls(
            anchors={doc: f"doc-{number}" for number, doc in enumerate(documents["document"])},
            titles=dict(zip(documents["document"], documents["title"])),
        )

    def link(self, doc, paragraph: int | None = None) -> str:
        """A link to a document (its id) or to one of its paragraphs (title, id and paragraph number)."""
        if paragraph is None:
            return f'<a href="#{self.anchors[doc]}">{escape(doc)}</a>'
        return (
            f'<a href="#{self.anchors[doc]}-p-{paragraph}">'
            f"{escape(self.titles[doc])} (#{escape(doc)}) ¶{paragraph + 1}</a>"
        )

    def extreme_cells(self, row) -> str:
        """Polarity, where and an excerpt of one paragraph: the cells of an extremes table row."""
        return (
            f'<td class="num">{row.polarity:+.2f}</td><td>{self.link(row.document, row.paragraph)}</td>'
            f'<td class="excerpt">{escape(_excerpt(row.text))}</td>'
        )


# ============================================================================ the page's sections
def _summary_card(a: DocumentAnalysis, shares: list[ShareFigure], arcs: list[Path]) -> list[str]:
    """What was analysed and how, the definitions, what was skipped, and the files beside the report."""
    band = (
        f" Paragraphs with |polarity| below {a.neutral_band:g} are neutral as well "
        f"(|polarity| = {a.neutral_band:g} is not)."
        if a.neutral_band
        else ""
    )
    summary = [
        '<div class="card">',
        f"<p><strong>{escape(a.summary())}</strong> from {escape(a.source)} (text column "
        f"<code>{escape(a.text_col)}</code>), scored with the <code>{escape(a.model_name)}</code> model "
        f"(classes: {escape(', '.join(a.classes))}) in {a.seconds:.1f} s.</p>",
        f"<p>Each document was cut into paragraphs of about {a.words} words at sentence ends (a blank line in "
        f"the source is preferred; no paragraph has more than {max_words(a.words)} words, and no text is left "
        "out).</p>",
        "<p><strong>Polarity</strong> = P(positive) − P(negative), from −1 (surely negative) to +1 (surely "
        "positive). <strong>Label</strong> = the most probable class; an exact tie for the top probability "
        f"counts as neutral, so every paragraph has exactly one label.{band} <strong>Score</strong> (in "
        "<code>paragraphs.csv</code>) = the model's probability of that label. Shares count paragraphs; a "
        "group pools the paragraphs of all its documents.</p>",
    ]
    if len(a.skipped):
        items = "".join(
            f"<li>{escape(row.document)} ({escape(row.title)}): {escape(row.reason)}</li>"
            for row in _records(a.skipped)
        )
        summary.append(f"<p>Skipped {len(a.skipped):,} document(s) without text:</p><ul>{items}</ul>")
    files = [f"{name}.csv" for name in TABLES] + [f.png.name for f in shares] + [p.name for p in arcs]
    summary.append(
        '<p class="note">Files beside this report: '
        + ", ".join(f'<a href="{escape(name)}">{escape(name)}</a>' for name in files)
        + "</p></div>"
    )
    return summary


def _contents(a: DocumentAnalysis, shares: list[ShareFigure]) -> str:
    sections = [(figure.anchor, figure.heading) for figure in shares]
    sections += [("overall", "Most positive and most negative paragraphs")]
    sections += [
        (f"extremes-{_slug(c)}", f"Most positive and most negative paragraphs by {c}") for c in a.group_cols
    ]
    sections += [
        ("arcs", "Sentiment arcs"),
        ("documents", f"Documents ({len(a.documents):,}) and their paragraphs"),
    ]
    return (
        "<nav><ul>"
        + "".join(f'<li><a href="#{key}">{escape(text)}</a></li>' for key, text in sections)
        + "</ul></nav>"
    )


def _share_sections(a: DocumentAnalysis, shares: list[ShareFigure]) -> list[str]:
    """Each share chart with the table of its groups under it (folded beyond ``OPEN_TABLE_MAX_GROUPS``)."""
    parts = []
    for figure in shares:
        parts.append(f'<h2 id="{figure.anchor}">{escape(figure.heading)}</h2>')
        parts.append(figure_html(figure.png, figure.caption, alt=figure.heading))
        if figure.column is None:
            continue  # the per-document numbers are on each document's line below
        rows = [
            [
                row.group,
                row.documents,
                row.paragraphs,
                row.words,
                _percent(row.share_positive),
                _percent(row.share_neutral),
                _percent(row.share_negative),
                round(float(row.mean_polarity), 3),
            ]
            for row in _records(a.group_table(figure.column))
        ]
        table = table_html(rows, [figure.column, "documents", "paragraphs", "words", *SHARE_HEADER])
        if figure.groups > OPEN_TABLE_MAX_GROUPS:
            table = details_html(
                f"Table of the {figure.groups:,} {escape(figure.column)} groups: documents, paragraphs, words, "
                "shares and mean polarity (also in <code>groups.csv</code>)",
                table,
            )
        parts.append(table)
    return parts


def _overall_extremes(a: DocumentAnalysis, links: _Links) -> list[str]:
    """The five most positive and the five most negative paragraphs of all documents."""
    ordered = a.paragraphs.sort_values("polarity", ascending=False, kind="stable")
    parts = [
        '<h2 id="overall">Most positive and most negative paragraphs</h2>',
        '<p class="note">Each link opens its document\'s paragraphs further down the page.</p>',
    ]
    for heading, part in (("Most positive", ordered.head(5)), ("Most negative", ordered.iloc[::-1].head(5))):
        rows = "".join(f"<tr>{links.extreme_cells(row)}</tr>" for row in _records(part))
        parts.append(
            f"<h3>{heading}</h3><table><thead><tr><th>polarity</th><th>where</th><th>paragraph</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return parts


def _group_extremes(a: DocumentAnalysis, links: _Links, top: int | None) -> list[str]:
    """Per grouping column: each group's ``top`` most positive and most negative paragraphs (folded beyond
    ``OPEN_EXTREMES_MAX_GROUPS`` groups)."""
    parts = []
    for column in a.group_cols:
        groups = a.group_table(column)
        shown = top if top is not None else (3 if len(groups) <= 10 else 1)
        parts.append(
            f'<h2 id="extremes-{_slug(column)}">Most positive and most negative paragraphs by '
            f"{escape(column)}</h2>"
        )
        by_group: dict[tuple[str, str], list] = {}
        for row in _records(a.extremes(column, top=shown)):
            by_group.setdefault((row.group, row.which), []).append(row)
        rows = []
        for group in groups["group"]:
            for which in ("most positive", "most negative"):
                chosen = by_group.get((group, which), [])
                for number, row in enumerate(chosen):
                    first = f'<td rowspan="{len(chosen)}">{escape(group)}<br><span class="note">{which}</span></td>'
                    rows.append("<tr>" + (first if number == 0 else "") + links.extreme_cells(row) + "</tr>")
        note = f"{shown} of each per {escape(column)}, in the order of the chart above"
        table = (
            f"<table><thead><tr><th>{escape(column)}</th><th>polarity</th><th>where</th><th>paragraph</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>"
        )
        if len(groups) > OPEN_EXTREMES_MAX_GROUPS:
            parts.append(details_html(f"{note}: {len(groups):,} groups, {len(rows):,} paragraphs", table))
        else:
            parts += [f'<p class="note">{note}.</p>', table]
    return parts


def _arc_section(arcs: list[Path]) -> list[str]:
    """The arc charts, folded: each document's own arc is also on its line below."""
    figures = "".join(
        figure_html(png, f"Polarity of each paragraph, documents page {number} of {len(arcs)}.")
        for number, png in enumerate(arcs, 1)
    )
    summary = (
        f"{len(arcs)} chart{'s' * (len(arcs) != 1)} of every document's polarity, paragraph by paragraph "
        f"({ARC_PANELS} documents each)"
    )
    return ['<h2 id="arcs">Sentiment arcs</h2>', details_html(summary, figures)]


def _share_bar(row) -> str:
    """A small stacked bar of a document's positive / neutral / negative shares (plain HTML, no image)."""
    title = (
        f"positive {_percent(row.share_positive)} · neutral {_percent(row.share_neutral)} · "
        f"negative {_percent(row.share_negative)}"
    )
    spans = "".join(
        f'<span class="{css}" style="width:{100 * share:.1f}%"></span>'
        for css, share in (
            ("pos", row.share_positive),
            ("neu", row.share_neutral),
            ("neg", row.share_negative),
        )
    )
    return f'<span class="bar" title="{title}" role="img" aria-label="{title}">{spans}</span>'


def _document_sections(a: DocumentAnalysis, links: _Links) -> list[str]:
    """One line per document (its numbers and share bar); a click shows its arc and its paragraphs, each
    shaded by its polarity."""
    by_doc: dict[Any, list] = {}
    for paragraph in _records(a.paragraphs.sort_values(["paragraph"], kind="stable")):
        by_doc.setdefault(paragraph.document, []).append(paragraph)
    legend = (
        '<p class="legend note">One line per document, in the order of the source; click one to read its '
        "paragraphs, each shaded by its polarity: "
        + "".join(
            f'<span style="background-color:{_shade(s)}">{s:+.1f}</span>' for s in (-1, -0.5, 0, 0.5, 1)
        )
        + ", with the label it got. Each line's bar shows its shares of positive (green), neutral (grey) and "
        "negative (red) paragraphs.</p>"
    )
    sections = [f'<h2 id="documents">Documents ({len(a.documents):,}) and their paragraphs</h2>', legend]
    for row in _records(a.documents):
        part = by_doc[row.document]
        anchor = links.anchors[row.document]
        summary = (
            f'{_share_bar(row)}<span class="doc-title">{escape(row.document)}: {escape(row.title)}</span> '
            f'<span class="note">{row.paragraphs:,} ¶ · {row.words:,} words · mean polarity '
            f"{row.mean_polarity:+.2f}</span>"
        )
        content = [
            f'<p class="note">{row.paragraphs:,} paragraphs · {row.words:,} words · positive '
            f"{_percent(row.share_positive)} · neutral {_percent(row.share_neutral)} · negative "
            f"{_percent(row.share_negative)} · mean polarity {row.mean_polarity:+.2f}</p>",
            _arc_svg([p.polarity for p in part]),
        ]
        for p in part:
            content.append(
                f'<p class="paragraph" id="{anchor}-p-{p.paragraph}" data-paragraph="{p.paragraph}" '
                f'data-polarity="{p.polarity:.4f}" data-label="{escape(p.label)}" data-start="{p.start}" '
                f'data-end="{p.end}" style="background-color:{_shade(p.polarity)}">'
                f'<span class="polarity">{p.polarity:+.2f}</span>'
                f'<span class="label">{escape(p.label)}</span>{escape(p.text)}</p>'
            )
        sections.append(
            f'<section class="document" id="{anchor}" data-document="{escape(row.document)}">'
            + details_html(summary, "".join(content), css_class="document")
            + "</section>"
        )
    return sections
