"""Figures drawn from the plain data the rest of sentilab returns; one module per area.

matplotlib is imported lazily with the non-interactive Agg backend, so importing sentilab never opens a
window or slows start-up. Each plotting function takes plain data, an optional ``ax``, and returns the
matplotlib ``Figure`` (scikit-learn's Display style); :func:`save_figure` writes it atomically as PNG.
"""

from __future__ import annotations

from pathlib import Path

from sentilab.paths import atomic_file

#: One palette for every figure, so "negative" is the same red in every chart and report.
SENTIMENT_COLORS = {"negative": "#d9534f", "neutral": "#9e9e9e", "positive": "#3c9d5d"}
OTHER_COLORS = ["#4c72b0", "#dd8452", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]


def pyplot():
    """matplotlib.pyplot with the Agg backend (headless, deterministic)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax=None, *, figsize=(6.4, 4.0)):
    """``(figure, ax)``: a fresh figure unless an ``ax`` is given."""
    if ax is not None:
        return ax.figure, ax
    figure, ax = pyplot().subplots(figsize=figsize, layout="constrained")
    return figure, ax


def color_for(label: str, index: int = 0) -> str:
    return SENTIMENT_COLORS.get(str(label).lower(), OTHER_COLORS[index % len(OTHER_COLORS)])


def save_figure(figure, path: str | Path, *, dpi: int = 110, close: bool = True) -> Path:
    """Write ``figure`` as PNG at ``path`` atomically; closes it unless ``close=False``."""
    path = Path(path)
    with atomic_file(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=dpi)
    if close:
        pyplot().close(figure)
    return path
