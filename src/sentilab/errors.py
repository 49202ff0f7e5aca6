"""User-facing errors.

Every mistake a user can make ends in a :class:`SentilabError` whose message says what was wrong and what to
do; the CLI prints it as one or two lines (never a traceback). Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING


class SentilabError(Exception):
    """An error caused by the user's input or environment, with a message that says how to fix it."""

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message}\n{hint}")


class DataError(SentilabError, ValueError):
    """Bad or missing data: a file, a column, a label scheme."""


class FetchError(SentilabError, OSError):
    """A dataset source could not be fetched or failed verification."""


class ModelError(SentilabError, ValueError):
    """Bad model input or a model directory that cannot be used."""


if TYPE_CHECKING:
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(SentilabError, _SklearnNotFittedError, AttributeError):
        """A model was used before ``fit``."""


# NotFittedError also subclasses scikit-learn's NotFittedError, so code written for scikit-learn estimators
# (``except sklearn.exceptions.NotFittedError``) catches ours. The class is made on first use, through the
# module __getattr__ below: importing scikit-learn takes about a second here, and the CLI and the service
# import this module at start-up without needing scikit-learn.
_lock = threading.Lock()


def _make_not_fitted_error() -> type:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(SentilabError, SklearnNotFittedError, AttributeError):
        """A model was used before ``fit`` (an AttributeError and a scikit-learn NotFittedError too)."""

    NotFittedError.__module__, NotFittedError.__qualname__ = __name__, "NotFittedError"  # pickles by name
    return NotFittedError


def __getattr__(name: str):
    if name == "NotFittedError":
        with _lock:
            if "NotFittedError" not in globals():
                globals()["NotFittedError"] = _make_not_fitted_error()
        return globals()["NotFittedError"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MissingExtraError(SentilabError, ImportError):
    """An optional dependency is missing; the message names the extra and the pip command."""


def require(module: str, extra: str, *, feature: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = feature or module
        raise MissingExtraError(
            f"{what} needs the optional package '{module.split('.')[0]}' ({exc}).",
            hint=f"install it with: pip install 'sentilab[{extra}]'",
        ) from exc


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A short suffix like " (did you mean 'bow'?)" or "" when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_choice(kind: str, name: str, choices: Iterable[str]) -> SentilabError:
    """The standard error for an unknown name: it lists the valid ones and suggests the closest."""
    choices = sorted(choices)
    return SentilabError(
        f"unknown {kind} {name!r}{did_you_mean(name, choices)}; choose one of: {', '.join(choices)}"
    )
