"""User-facing errors.

Every mistake a user can make ends in a :class:`SentilabError` whose message says what was wrong and what to
do; the CLI prints it as one or two lines (never a traceback). Programming errors stay ordinary exceptions.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from types import ModuleType


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


class NotFittedError(SentilabError, AttributeError):
    """A model was used before ``fit`` (subclasses AttributeError like scikit-learn's)."""


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
