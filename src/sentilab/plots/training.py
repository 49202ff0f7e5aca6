"""Learning curves: loss and accuracy per epoch, from a trainable model's ``history_`` (``lstm``,
``numpy-lstm``, the fine-tuned ``encoder``; the format is documented in :mod:`sentilab.models.recurrent`).

>>> figure = learning_curves(model)            # or learning_curves(model.history_, best_epoch=3)
>>> save_figure(figure, "runs/np/learning_curves.png")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sentilab.errors import SentilabError
from sentilab.plots import OTHER_COLORS, pyplot


def _history(source: Any) -> Mapping[str, Any]:
    history = getattr(source, "history_", source)
    if not isinstance(history, Mapping) or not history.get("epoch") or "train_loss" not in history:
        raise SentilabError(
            "no training history to plot: expected a fitted lstm, numpy-lstm or fine-tuned encoder model, or "
            "its history_ (a dict of per-epoch lists: 'epoch', 'train_loss', ...)",
            hint="fit the model first; models loaded from disk keep their history in meta.json",
        )
    return history


def learning_curves(
    source: Any,
    *,
    best_epoch: int | None = None,
    stopped: str | None = None,
    axes=None,
    title: str | None = None,
):
    """Loss (left) and accuracy (right) per epoch, training and validation; the restored epoch is marked.

    ``source`` is a fitted model with ``history_`` (its ``best_epoch_`` and ``stopped_`` are used unless
    ``best_epoch``/``stopped`` are given) or the history dict itself. ``axes`` is an optional pair of
    matplotlib axes to draw into. Returns the Figure.
    """
    history = _history(source)
    best = best_epoch if best_epoch is not None else getattr(source, "best_epoch_", None)
    stopped = stopped if stopped is not None else getattr(source, "stopped_", None)
    if axes is None:
        figure, axes = pyplot().subplots(1, 2, figsize=(9.6, 3.6), layout="constrained")
    else:
        figure = axes[0].figure
    epochs = history["epoch"]
    train_color, valid_color = OTHER_COLORS[0], OTHER_COLORS[1]
    for ax, metric in ((axes[0], "loss"), (axes[1], "accuracy")):
        if history.get(f"train_{metric}"):
            ax.plot(epochs, history[f"train_{metric}"], "o-", color=train_color, label="training", ms=3)
        if history.get(f"valid_{metric}"):
            ax.plot(epochs, history[f"valid_{metric}"], "o-", color=valid_color, label="validation", ms=3)
        if best:
            ax.axvline(best, color="#555555", linestyle=":", linewidth=1, label=f"restored (epoch {best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if len(epochs) <= 20:
            ax.set_xticks(epochs)
    axes[1].set_ylim(0, 1.02)
    axes[0].legend(frameon=False)
    if stopped:
        axes[0].set_title("stopped early: non-finite loss", fontsize=9, color="#d9534f")
    if title:
        figure.suptitle(title)
    return figure


__all__ = ["learning_curves"]
