"""Evaluation figures: confusion matrix, reliability diagram, cross-domain heatmap, accuracy by model.

Each function takes plain data (what :mod:`sentilab.evaluate` returns, as lists and frames; it imports
nothing from there), draws on ``ax`` (or a new figure) and returns the ``Figure``;
:func:`sentilab.plots.save_figure` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from sentilab.plots import OTHER_COLORS, new_axes


def plot_confusion(confusion: Sequence[Sequence[int]], labels: Sequence[str], *, ax=None, title: str = ""):
    """Counts with row percentages (rows: gold, columns: predicted); darker = larger share of the row."""
    matrix = np.asarray(confusion, dtype=float)
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    size = 1.2 + 1.1 * len(labels)
    figure, ax = new_axes(ax, figsize=(size + 1.2, size))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, f"{int(matrix[i, j]):,}\n{share[i, j]:.0%}", ha="center", va="center", color=color)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title or "Confusion matrix")
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of gold row")
    return figure


def plot_reliability(reliability: dict, ece: float, *, ax=None, title: str = ""):
    """Accuracy against mean confidence per bin; the gap to the diagonal is the miscalibration."""
    lower = np.asarray(reliability["lower"], dtype=float)
    upper = np.asarray(reliability["upper"], dtype=float)
    count = np.asarray(reliability["count"], dtype=float)
    accuracy = np.array([np.nan if v is None else v for v in reliability["accuracy"]], dtype=float)
    confidence = np.array([np.nan if v is None else v for v in reliability["confidence"]], dtype=float)
    figure, ax = new_axes(ax, figsize=(5.2, 5.0))
    width = upper - lower
    filled = count > 0
    ax.bar(
        lower[filled],
        accuracy[filled],
        width=width[filled],
        align="edge",
        color="#4c72b0",
        edgecolor="white",
        label="accuracy in bin",
    )
    ax.bar(
        lower[filled],
        (confidence - accuracy)[filled],
        bottom=accuracy[filled],
        width=width[filled],
        align="edge",
        color="#d9534f",
        alpha=0.35,
        edgecolor="#d9534f",
        label="gap to confidence",
    )
    ax.plot([0, 1], [0, 1], linestyle="--", color="#444", linewidth=1, label="perfect calibration")
    for x, w, y, n in zip(lower[filled], width[filled], accuracy[filled], count[filled]):
        ax.text(
            x + w / 2, min(y + 0.02, 0.97), f"{int(n):,}", ha="center", va="bottom", fontsize=7, color="#333"
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (largest probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(title or f"Reliability diagram — ECE {ece:.3f}")
    ax.legend(loc="upper left", fontsize=8)
    return figure


def plot_cross_domain(
    frame,
    *,
    ax=None,
    title: str = "",
    vmin: float = 0.0,
    vmax: float = 1.0,
    markers: Sequence[Sequence[str]] | None = None,
    legend: Mapping[str, str] | None = None,
):
    """Heatmap of a (trained on × tested on) score table; the diagonal is the in-domain score.

    ``markers`` (same shape, strings) are appended to the cell values, e.g. "*" for a cell scored on fewer
    labels; ``legend`` says what each marker means (``sentilab.evaluate.CrossDomain.LEGEND``), listed under
    the axis for the markers used.
    """
    values = frame.to_numpy(dtype=float)
    figure, ax = new_axes(ax, figsize=(1.6 + 1.25 * values.shape[1], 1.2 + 0.8 * values.shape[0]))
    image = ax.imshow(values, cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            color = "black" if values[i, j] > 0.5 * (vmin + vmax) + 0.15 else "white"
            weight = "bold" if frame.index[i] == frame.columns[j] else "normal"
            mark = markers[i][j] if markers else ""
            ax.text(
                j, i, f"{values[i, j]:.3f}{mark}", ha="center", va="center", color=color, fontweight=weight
            )
    ax.set_xticks(range(values.shape[1]), list(frame.columns), rotation=30, ha="right")
    ax.set_yticks(range(values.shape[0]), list(frame.index))
    used = sorted({m for row in (markers or []) for m in row if m})
    if used:
        lines = "\n".join(f"{m} {(legend or {}).get(m, '')}" for m in used)
        ax.set_xlabel(f"tested on\n\n{lines}", fontsize=8)
    else:
        ax.set_xlabel("tested on")
    ax.set_ylabel("trained on")
    ax.set_title(title or "Cross-domain scores")
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return figure


def plot_accuracy_by_model(accuracy: Mapping[str, Mapping[str, float]], *, ax=None, title: str = ""):
    """Grouped bars: for each model (x), its accuracy on each test set (one colour per set, the first darkest).

    ``accuracy`` maps a test set's name to ``{model: accuracy}``; models are drawn in the order the first
    set lists them, and a model a set does not score is left out of that set.
    """
    sets = list(accuracy)
    models = list(dict.fromkeys(model for scores in accuracy.values() for model in scores))
    figure, ax = new_axes(ax, figsize=(max(5.0, 1.2 + 1.1 * len(models)), 3.6))
    width = 0.8 / max(len(sets), 1)
    x = np.arange(len(models))
    for number, name in enumerate(sets):
        present = [i for i, model in enumerate(models) if model in accuracy[name]]
        values = [accuracy[name][models[i]] for i in present]
        color = "#333333" if number == 0 else OTHER_COLORS[(number - 1) % len(OTHER_COLORS)]
        bars = ax.bar(
            x[present] + (number - (len(sets) - 1) / 2) * width, values, width, label=name, color=color
        )
        if number == 0:  # the headline numbers: printed on the first set's bars
            ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.set_xticks(x, models)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(
        fontsize=7, ncol=min(3, len(sets)), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False
    )
    ax.set_title(title or "Accuracy by model", pad=8 + 11 * ((len(sets) + 2) // 3))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return figure
