"""Figures for paragraph-level document analysis: sentiment shares per group, sentiment arcs per document.

Both take the plain DataFrames of :class:`sentilab.documents.DocumentAnalysis` and return a matplotlib
Figure (write it with :func:`sentilab.plots.save_figure`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sentilab.plots import SENTIMENT_COLORS, new_axes, pyplot

#: Bars are drawn in this order from the left: positive, then neutral, then negative.
_STACK = (("share_positive", "positive"), ("share_neutral", "neutral"), ("share_negative", "negative"))
#: Height of one bar row in inches: about 3 lines of 9-pt text, so labels never overlap.
ROW_INCHES = 0.26
#: Beyond this many rows a figure would pass matplotlib's 2^16-pixel limit; the middle rows are left out.
MAX_ROWS = 1500
LABEL_CHARS = 38
ARC_PANELS = 40  # documents per small-multiples figure


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_sentiment_shares(
    table: pd.DataFrame,
    *,
    label_col: str = "group",
    title: str = "",
    ax=None,
    max_rows: int = MAX_ROWS,
):
    """Stacked horizontal bars of positive / neutral / negative shares, most positive at the top.

    ``table`` needs ``label_col``, ``share_positive``, ``share_neutral``, ``share_negative`` and, for the
    count printed at the right of each bar, ``paragraphs``. The figure grows ``ROW_INCHES`` per row so that
    50, 200 or 1,000 speakers stay readable (labels are never squeezed; long names are shortened).
    Rows are sorted by positive share, then mean polarity, then name.
    """
    missing = [c for c in (label_col, *(s for s, _ in _STACK)) if c not in table.columns]
    if missing:
        raise ValueError(f"plot_sentiment_shares needs columns {missing}; got {list(table.columns)}")
    order = table.assign(_label=table[label_col].astype(str))
    sort_keys = ["share_positive"] + (["mean_polarity"] if "mean_polarity" in order else []) + ["_label"]
    order = order.sort_values(sort_keys, ascending=[False] * (len(sort_keys) - 1) + [True], kind="stable")
    left_out = 0
    if len(order) > max_rows:  # keep the most positive and most negative ends, say what was left out
        left_out = len(order) - max_rows
        order = pd.concat([order.head(max_rows // 2), order.tail(max_rows - max_rows // 2)])
    order = order.iloc[::-1]  # barh draws the first row at the bottom; the most positive goes on top
    rows = len(order)
    labels = [_short(v) for v in order["_label"]]
    if ax is None:
        # Fixed margins in inches (no constrained layout: with hundreds of labels it costs a second draw).
        width, top_in, bottom_in = 8.0, (1.15 if rows > 25 else 0.85), 0.55
        height = max(2.4, top_in + bottom_in + ROW_INCHES * rows)
        left_in = 0.25 + 0.068 * max((len(label) for label in labels), default=4)
        figure = pyplot().figure(figsize=(width, height))
        ax = figure.add_axes(
            (
                left_in / width,
                bottom_in / height,
                1 - (left_in + 0.75) / width,
                1 - (top_in + bottom_in) / height,
            )
        )
    else:
        figure = ax.figure
    y = np.arange(rows)
    left = np.zeros(rows)
    for column, polarity in _STACK:
        values = order[column].to_numpy(dtype=float)
        ax.barh(y, values, left=left, height=0.78, color=SENTIMENT_COLORS[polarity], label=polarity)
        left += values
    ax.set_yticks(y, labels, fontsize=9)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(pyplot().FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel("share of paragraphs")
    ax.tick_params(axis="x", labeltop=rows > 25, top=rows > 25)  # a second axis on top for tall charts
    from matplotlib.transforms import offset_copy

    above = offset_copy(ax.transAxes, figure, y=18 if rows > 25 else 4, units="points")  # clear of top ticks
    if "paragraphs" in order:
        transform = ax.get_yaxis_transform()
        for row, count in zip(y, order["paragraphs"]):
            ax.text(1.01, row, f"{int(count):,}", va="center", ha="left", fontsize=8, color="#555",
                    transform=transform, clip_on=False)  # fmt: skip
        ax.text(1.01, 1.0, "paragraphs", transform=above, fontsize=8, color="#555", va="bottom")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), bbox_transform=above, ncol=3, frameon=False,
              fontsize=9, borderaxespad=0)  # fmt: skip
    heading = title or "Sentiment of paragraphs"
    if left_out:
        heading += f" ({left_out:,} middle rows left out)"
    figure.text(0.01, 1 - 0.12 / figure.get_figheight(), heading, fontsize=11, va="top", ha="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure


def plot_sentiment_arc(polarities, *, ax=None, title: str = ""):
    """One document's polarity (P(positive) − P(negative)) paragraph by paragraph, from −1 to +1."""
    polarities = np.asarray(polarities, dtype=float)
    figure, ax = new_axes(ax, figsize=(6.4, 2.4))
    x = np.arange(1, len(polarities) + 1)
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.fill_between(x, polarities, 0, where=polarities >= 0, color=SENTIMENT_COLORS["positive"], alpha=0.35,
                    interpolate=True, linewidth=0)  # fmt: skip
    ax.fill_between(x, polarities, 0, where=polarities < 0, color=SENTIMENT_COLORS["negative"], alpha=0.35,
                    interpolate=True, linewidth=0)  # fmt: skip
    marker = "o" if len(polarities) <= 40 else None
    ax.plot(x, polarities, color="#333", linewidth=1.0, marker=marker, markersize=2.5)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlim(0.5, max(len(polarities), 1) + 0.5)
    ax.set_yticks([-1, 0, 1])
    ax.set_xlabel("paragraph")
    ax.set_ylabel("polarity")
    if title:
        ax.set_title(_short(title, 60), fontsize=9, loc="left")
    return figure


def plot_sentiment_arcs(
    paragraphs: pd.DataFrame,
    documents: pd.DataFrame | None = None,
    *,
    columns: int = 4,
    max_panels: int = ARC_PANELS,
):
    """Small multiples: one sentiment arc per document, on the same scale (polarity −1 .. +1 bottom to top).

    Each panel runs from the document's first paragraph (left) to its last (right); the line is green
    where the polarity is positive and red where it is negative. ``paragraphs`` needs ``document``,
    ``paragraph`` and ``polarity``; titles come from ``documents``' ``title`` column when given. At most
    ``max_panels`` documents are drawn, in their order (page longer lists with :func:`arc_pages`).
    All panels are drawn into one Axes with two line collections, so 40 panels take a fraction of a second.
    """
    from matplotlib.collections import LineCollection

    titles = {}
    if documents is not None and "title" in documents:
        titles = dict(zip(documents["document"], documents["title"]))
    doc_ids = list(dict.fromkeys(paragraphs["document"]))[:max_panels]
    panels = max(len(doc_ids), 1)
    columns = max(1, min(columns, panels))
    rows = math.ceil(panels / columns)
    cell_w, cell_h = 3.1, 1.05  # inches
    figure = pyplot().figure(figsize=(columns * cell_w + 0.3, rows * cell_h + 0.55))
    ax = figure.add_axes((0.3 / figure.get_figwidth() / 2, 0.05 / figure.get_figheight(), 1 - 0.3 / figure.get_figwidth(),
                          1 - 0.55 / figure.get_figheight()))  # fmt: skip
    ax.set_xlim(0, columns)
    ax.set_ylim(0, rows)
    ax.set_axis_off()
    grouped = {doc: part.sort_values("paragraph")["polarity"].to_numpy(float) for doc, part in
               paragraphs.groupby("document", sort=False)}  # fmt: skip
    segments = {"positive": [], "negative": []}
    frames, zero_lines = [], []
    for number, doc in enumerate(doc_ids):
        column, row = number % columns, rows - 1 - number // columns
        x0, x1 = column + 0.06, column + 0.96
        y_mid, y_half = row + 0.42, 0.33  # polarity s is drawn at y_mid + s * y_half
        frames.append([(x0, y_mid - y_half), (x1, y_mid - y_half), (x1, y_mid + y_half), (x0, y_mid + y_half),
                       (x0, y_mid - y_half)])  # fmt: skip
        zero_lines.append([(x0, y_mid), (x1, y_mid)])
        polarities = grouped[doc]
        xs = np.linspace(x0, x1, len(polarities)) if len(polarities) > 1 else np.array([(x0 + x1) / 2])
        ys = y_mid + np.clip(polarities, -1, 1) * y_half
        if len(polarities) == 1:
            segments["positive" if polarities[0] >= 0 else "negative"].append([(x0, ys[0]), (x1, ys[0])])
        for i in range(len(polarities) - 1):
            sign = "positive" if polarities[i] + polarities[i + 1] >= 0 else "negative"
            segments[sign].append([(xs[i], ys[i]), (xs[i + 1], ys[i + 1])])
        label = f"{doc}: {titles[doc]}" if doc in titles else str(doc)
        ax.text(x0, row + 0.8, _short(label, 44), fontsize=7.5, va="bottom", ha="left")
        ax.text(x1, row + 0.8, f"{len(polarities)} ¶", fontsize=7, va="bottom", ha="right", color="#666")
    ax.add_collection(LineCollection(frames, colors="#dddddd", linewidths=0.6))
    ax.add_collection(LineCollection(zero_lines, colors="#aaaaaa", linewidths=0.6))
    for sign, lines in segments.items():
        ax.add_collection(LineCollection(lines, colors=SENTIMENT_COLORS[sign], linewidths=1.4))
    figure.text(0.01, 1 - 0.08 / figure.get_figheight(), "Sentiment arc of each document: polarity per paragraph, first "
                "to last (frame: −1 to +1; grey line: 0)", fontsize=10, va="top")  # fmt: skip
    return figure


def arc_pages(document_ids, per_page: int = ARC_PANELS) -> list[list]:
    """Document ids split into pages of ``per_page`` for :func:`plot_sentiment_arcs`."""
    ids = list(document_ids)
    return [ids[i : i + per_page] for i in range(0, len(ids), per_page)]


__all__ = ["arc_pages", "plot_sentiment_arc", "plot_sentiment_arcs", "plot_sentiment_shares"]
