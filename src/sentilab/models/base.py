"""The model contract every sentilab model follows.

A model is a scikit-learn estimator (``clone``, ``Pipeline``, ``GridSearchCV`` work):

* ``__init__(self, *, hyperparameters...)`` only stores its keyword arguments;
* ``fit(texts, labels, *, validation=None) -> self``; ``predict(texts)``; ``predict_proba(texts)`` of shape
  ``(n_texts, n_classes)`` with columns in ``classes_`` order;
* learned state ends in ``_``;
* hyperparameters are checked once, at the start of ``fit``, against the class's declared
  ``_parameter_constraints`` (see :class:`Interval`, :class:`Options`, :class:`Satisfies`), with one message:
  ``setting hidden_size=0 is invalid: must be an integer >= 1``;
* ``save(directory)`` / ``load(directory)`` write and read ``config.json``, ``labels.json``, ``vocab.json``,
  ``weights.safetensors`` and ``meta.json``; ``meta.json`` holds the sha256 of every other file, checked on
  load. Nothing on the load path unpickles, and a directory is written to a temporary sibling and renamed into
  place, so a crash never leaves half a model.

Subclasses implement four hooks: ``_fit``, ``_predict_proba``, ``_get_state`` and ``_set_state``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import numbers
import platform
import time
import typing
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from sentilab import __version__
from sentilab.errors import ModelError, NotFittedError
from sentilab.paths import SELF_DESCRIBED, make_readable, output_dir
from sentilab.records import records_for_texts
from sentilab.text.hashing import text_hashes

#: Bumped when the on-disk layout changes; a directory from a newer format is refused with a clear message.
#: Format 2: settings renamed (:data:`RENAMED_SETTINGS`), one history format, every file hashed in meta.json.
#: Format 1 directories (only the weights hashed) still load.
FORMAT_VERSION = 2
WEIGHTS_FILE = "weights.safetensors"
#: The array in the weights file with the sorted unique 64-bit hashes of the training texts (text/hashing.py).
TRAINING_HASHES = "training_text_hashes"
FILES = ("config.json", "labels.json", "vocab.json", WEIGHTS_FILE, "meta.json")

#: Settings an earlier sentilab saved under another name (old -> new); :meth:`SentimentModel.load` maps them.
RENAMED_SETTINGS = {"seed": "random_state", "lr": "learning_rate", "clip_norm": "max_grad_norm"}
#: Fitted attributes of a trainable model that meta.json keeps under "training", beside its history
#: (see sentilab.models.recurrent for both).
TRAINING_ATTRIBUTES = ("best_epoch_", "stopped_")


# =========================================================================== declared parameter constraints
# Each model class declares ``_parameter_constraints = {setting: [constraint, ...]}``; a value is valid when
# any constraint of its list allows it. A constraint is an Interval, Options or Satisfies below, ``None`` (the
# value None), or a type (``bool``, ``str``: isinstance). scikit-learn has the same idea in a private module.
class Interval:
    """Numbers from ``left`` to ``right`` (None: unbounded); ``kind`` int admits integers only, float any
    finite real number. ``closed`` says which ends belong: "both", "left", "right" or "neither"."""

    def __init__(self, kind: type, left: float | None = None, right: float | None = None, *, closed="both"):
        if kind not in (int, float) or closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval({kind!r}, closed={closed!r}): kind is int or float")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def allows(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False  # True is an int to Python, never a size or a rate to a user
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                return False
        elif not (isinstance(value, numbers.Real) and math.isfinite(value)):
            return False
        left_in, right_in = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.left is not None and (value < self.left or (value == self.left and not left_in)):
            return False
        return self.right is None or not (value > self.right or (value == self.right and not right_in))

    def __str__(self) -> str:
        noun = "an integer" if self.kind is int else "a number"
        low, high = (None if b is None else f"{b:g}" for b in (self.left, self.right))
        if low is not None and high is not None:
            opening = "[" if self.closed in ("both", "left") else "("
            closing = "]" if self.closed in ("both", "right") else ")"
            return f"{noun} in {opening}{low}, {high}{closing}"
        if low is not None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {low}"
        if high is not None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {high}"
        return noun


class Options:
    """One of a fixed set of values (shown in the given order; a set is shown sorted)."""

    def __init__(self, values: Iterable[Any]):
        self.values = tuple(sorted(values, key=str) if isinstance(values, (set, frozenset)) else values)

    def allows(self, value: Any) -> bool:
        for option in self.values:
            if isinstance(value, bool) != isinstance(option, bool):
                continue  # True == 1, but a switch is no count
            if isinstance(value, type(option)) and value == option:  # np.str_ counts as a str
                return True
        return False

    def __str__(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))


class Satisfies:
    """Any value for which ``predicate(value)`` is true; ``description`` says what that means to a user."""

    def __init__(self, predicate: Callable[[Any], bool], description: str):
        self.predicate, self.description = predicate, description

    def allows(self, value: Any) -> bool:
        return bool(self.predicate(value))

    def __str__(self) -> str:
        return self.description


def _allows(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        if constraint is bool:
            return isinstance(value, (bool, np.bool_))
        return isinstance(value, constraint)
    return constraint.allows(value)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if constraint is bool:
        return "True or False"
    if isinstance(constraint, type):
        return "a string" if constraint is str else f"a {constraint.__name__}"
    return str(constraint)


def check_parameters(constraints: dict[str, list], params: dict[str, Any]) -> None:
    """Raise :class:`ModelError` for the first setting in ``params`` that none of its constraints allows."""
    for name, allowed in constraints.items():
        value = params[name]
        if not any(_allows(constraint, value) for constraint in allowed):
            raise ModelError(
                f"setting {name}={value!r} is invalid: must be {' or '.join(map(_describe, allowed))}"
            )


def is_step_list(value: Any) -> bool:
    """A list/tuple of normalization step names (or callables): what ``normalize`` settings take."""
    return isinstance(value, (list, tuple)) and all(isinstance(s, str) or callable(s) for s in value)


#: The constraint of every ``normalize`` setting.
STEP_LIST = Satisfies(is_step_list, "a list of step names, e.g. ('html', 'lowercase')")
#: The constraint of every ``tokenizer`` setting (unknown names are refused by the tokenizer registry).
TOKENIZER = [str, Satisfies(callable, "a function from text to tokens")]


def check_texts(texts: Any, *, allow_empty: bool = True) -> list[str]:
    """Validate a batch of texts and return it as a list; never coerce silently.

    A bare string is the classic mistake (it would be iterated character by character), so it is refused.
    """
    if isinstance(texts, (str, bytes)):
        raise ModelError(
            "expected a list of texts but got a single string",
            hint="wrap it in a list, e.g. model.predict([text])",
        )
    if hasattr(texts, "tolist") and not isinstance(texts, list):  # numpy arrays, pandas Series
        texts = texts.tolist()
    try:
        texts = list(texts)
    except TypeError:
        raise ModelError(f"expected a list of texts, got {type(texts).__name__}") from None
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise ModelError(
                f"text #{index} is a {type(text).__name__} ({text!r:.60}), not a string",
                hint="convert or drop non-text items before calling the model (missing values included)",
            )
    if not allow_empty and not texts:
        raise ModelError("got an empty list of texts; pass at least one text")
    return texts


def check_labels(labels: Any, n_texts: int) -> np.ndarray:
    """Validate labels against the texts: same length, no missing values, at least two classes."""
    if isinstance(labels, (str, bytes)):
        raise ModelError("expected a list of labels but got a single string")
    if hasattr(labels, "tolist") and not isinstance(labels, list):
        labels = labels.tolist()
    labels = list(labels)
    if len(labels) != n_texts:
        raise ModelError(f"got {n_texts} texts but {len(labels)} labels; they must pair up one to one")
    for index, label in enumerate(labels):
        if label is None or (isinstance(label, float) and np.isnan(label)):
            raise ModelError(f"label #{index} is missing", hint="drop unlabelled rows before fitting")
    kinds = {type(label) for label in labels}
    if len(kinds) > 1 and not all(issubclass(k, (int, np.integer)) for k in kinds):
        raise ModelError(f"labels mix types ({', '.join(sorted(k.__name__ for k in kinds))}); use one type")
    array = np.asarray(labels)
    classes = np.unique(array)
    if len(classes) < 2:
        only = classes[0].item() if len(classes) else None  # 'positive', not np.str_('positive')
        raise ModelError(
            f"fit needs at least two classes but every one of the {n_texts} labels is {only!r}",
            hint="check the label column, or sample/split with stratification so every class is present",
        )
    return array


def fingerprint(texts: Sequence[str], labels: Sequence[Any]) -> str:
    """A sha256 over the training texts and labels, order included: which data made this model.

    Hashed in chunks of joined strings rather than one update per text: 1.6M tweets take ~1 s, not ~5 s.
    """
    digest = hashlib.sha256()
    chunk = 10_000
    for start in range(0, len(texts), chunk):
        pairs = zip(texts[start : start + chunk], labels[start : start + chunk])
        digest.update(
            "".join(f"{text}\x1f{label}\x1e" for text, label in pairs).encode("utf-8", "surrogatepass")
        )
    return digest.hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _to_json_label(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


class SentimentModel(ClassifierMixin, BaseEstimator):
    """Base class of every sentilab model; see the module docstring for the contract."""

    #: Registry name, e.g. ``"bow"``.
    name: ClassVar[str] = ""
    #: False for a model that learns nothing (a lexicon): it predicts before ``fit``, over :attr:`default_classes`.
    learns: ClassVar[bool] = True
    #: The classes an unfitted model that ``learns`` nothing predicts over.
    default_classes: ClassVar[tuple[str, ...]] = ("negative", "neutral", "positive")
    #: One line per hyperparameter: what it does and why its default is what it is (shown by ``--help``).
    param_help: ClassVar[dict[str, str]] = {}
    #: ``{setting: [constraint, ...]}``, checked once at the start of ``fit`` (see :func:`check_parameters`).
    _parameter_constraints: ClassVar[dict[str, list]] = {}

    # ----------------------------------------------------------------- hooks for subclasses
    def _fit(self, texts: list[str], y: np.ndarray, validation: tuple[list[str], np.ndarray] | None) -> None:
        """Learn from ``texts`` and ``y`` (integer class indices into ``classes_``)."""
        raise NotImplementedError

    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        """Return probabilities of shape (n_texts, n_classes) for a non-empty list of texts."""
        raise NotImplementedError

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Learned state as (arrays for the weights file, JSON-able data for vocab.json)."""
        return {}, {}

    def _set_state(self, arrays: dict[str, np.ndarray], data: dict[str, Any]) -> None:
        """Restore what ``_get_state`` returned (``classes_`` is already set)."""

    @classmethod
    def contract_params(cls) -> dict[str, Any]:
        """Small hyperparameters for the shared contract tests (fast, yet able to overfit six sentences)."""
        return {}

    # ----------------------------------------------------------------- public API
    def fit(self, texts, labels, *, validation=None):
        """Fit on ``texts`` and ``labels``; ``validation`` is an optional ``(texts, labels)`` pair."""
        self._validate_params()
        texts = check_texts(texts, allow_empty=False)
        labels = check_labels(labels, len(texts))
        self.classes_, y = np.unique(labels, return_inverse=True)
        encoded_validation = None
        if validation is not None:
            valid_texts, valid_labels = validation
            valid_texts = check_texts(valid_texts, allow_empty=False)
            valid_labels = np.asarray(check_labels_known(valid_labels, len(valid_texts), self.classes_))
            encoded_validation = (valid_texts, np.searchsorted(self.classes_, valid_labels))
        self.data_fingerprint_ = fingerprint(texts, labels)
        self.training_text_hashes_ = text_hashes(texts)  # lets an evaluation see train/test overlap
        self._fit(texts, y, encoded_validation)
        return self

    def _validate_params(self) -> None:
        """Check every setting against ``_parameter_constraints`` (overrides scikit-learn's, which would use
        its own private validator on the same attribute)."""
        check_parameters(self._parameter_constraints, self.get_params(deep=False))

    def predict_proba(self, texts) -> np.ndarray:
        """Probabilities of shape (n_texts, n_classes), columns in ``classes_`` order, rows summing to 1."""
        self._check_fitted()
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        return self._predict_proba(texts)

    def predict(self, texts) -> np.ndarray:
        """The most probable label of each text."""
        proba = self.predict_proba(texts)  # first: it raises NotFittedError before classes_ is touched
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_records(self, texts) -> list[dict[str, Any]]:
        """``{"label", "score", "polarity", "scores"}`` per text, as in :mod:`sentilab.records`.

        A blank text gets ``label: None`` and ``reason: "empty text"`` instead of a guess.
        """
        self._check_fitted()
        return records_for_texts(check_texts(texts), self.predict_proba, self.classes_)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "classes_") or not self.learns

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_") and not self.learns:
            self.classes_ = np.asarray(self.default_classes)  # nothing to learn: the default label set
            self._set_state({}, {})
        if not hasattr(self, "classes_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet",
                hint="call fit(texts, labels) first, or load a trained model with sentilab.models.load_model(dir)",
            )

    # ----------------------------------------------------------------- persistence
    def save(self, directory, *, metrics: dict | None = None, extra_meta: dict | None = None) -> Path:
        """Write the model to ``directory`` atomically (replacing an existing model there)."""
        from safetensors.numpy import save_file

        self._check_fitted()
        arrays, data = self._get_state()
        if hasattr(self, "training_text_hashes_"):
            arrays = {**arrays, TRAINING_HASHES: self.training_text_hashes_}
        directory = Path(directory)
        with output_dir(directory, "model", option="model directory", marker=False) as tmp:
            config = {
                "model": self.name,
                "format_version": FORMAT_VERSION,
                "sentilab_version": __version__,
                "params": self.get_params(deep=False),
            }
            _write_json(tmp / "config.json", config)
            _write_json(tmp / "labels.json", [_to_json_label(c) for c in self.classes_])
            _write_json(tmp / "vocab.json", data)
            save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp / WEIGHTS_FILE))
            make_readable(tmp / WEIGHTS_FILE)  # safetensors writes 0600 files
            training = {a.rstrip("_"): getattr(self, a) for a in TRAINING_ATTRIBUTES if hasattr(self, a)}
            meta = {
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": _versions(),
                "data_fingerprint": getattr(self, "data_fingerprint_", None),
                "metrics": metrics if metrics is not None else getattr(self, "metrics_", {}),
                "history": getattr(self, "history_", None),
                **({"training": training} if training else {}),
                # Every file of the model but meta.json itself (a file cannot hold its own hash).
                "sha256": {
                    path.name: _sha256_file(path)
                    for path in sorted(tmp.iterdir())
                    if path.is_file() and path.name != "meta.json"
                },
                **(extra_meta or {}),
            }
            _write_json(tmp / "meta.json", meta)
        return directory

    @classmethod
    def load(cls, directory) -> SentimentModel:
        """Read a model written by :meth:`save`; verifies the format version and every file's sha256."""
        from sentilab.models.registry import get_model_class

        directory = Path(directory)
        config, labels, data, meta = _read_model_dir(directory)
        _verify_files(directory, meta, every_file=config["format_version"] >= 2)
        model_cls = get_model_class(config["model"])
        if cls is not SentimentModel and not issubclass(model_cls, cls):
            raise ModelError(f"{directory} holds a {config['model']!r} model, not a {cls.name!r} model")
        try:
            model = model_cls(**_renamed_settings(config["params"], model_cls.param_types()))
        except TypeError as exc:
            raise ModelError(
                f"{directory}/config.json has parameters this version does not accept: {exc}"
            ) from None
        weights = directory / WEIGHTS_FILE
        from safetensors.numpy import load_file

        try:
            arrays = load_file(str(weights))
        except Exception as exc:  # safetensors raises its own error types for damaged headers
            raise ModelError(f"cannot read {weights}: {exc}") from None
        model.classes_ = np.asarray(labels)
        model.data_fingerprint_ = meta.get("data_fingerprint")
        model.metrics_ = meta.get("metrics") or {}
        history, training = _upgraded_history(meta.get("history"))
        if history is not None:
            model.history_ = history
        for key, value in {**training, **(meta.get("training") or {})}.items():
            if f"{key}_" in TRAINING_ATTRIBUTES:
                setattr(model, f"{key}_", value)
        hashes = arrays.pop(TRAINING_HASHES, None)
        if hashes is not None:
            model.training_text_hashes_ = hashes
        model._set_state(arrays, data)
        return model

    # ----------------------------------------------------------------- configuration helpers
    @classmethod
    def param_types(cls) -> dict[str, tuple[type, Any]]:
        """``{name: (type, default)}`` from the keyword-only ``__init__`` signature."""
        hints = typing.get_type_hints(cls.__init__)
        out = {}
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if name == "self" or param.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            out[name] = (hints.get(name, type(param.default)), param.default)
        return out

    @classmethod
    def from_overrides(cls, overrides: dict[str, str] | None = None) -> SentimentModel:
        """Build a model from ``key=value`` strings (as given to ``--set``), typed by the signature."""
        types = cls.param_types()
        params: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in types:
                from sentilab.errors import did_you_mean

                raise ModelError(
                    f"model {cls.name!r} has no setting {key!r}{did_you_mean(key, types)}",
                    hint=f"valid settings: {', '.join(sorted(types))}",
                )
            params[key] = coerce_setting(key, raw, *types[key])
        return cls(**params)


def check_labels_known(labels: Any, n_texts: int, classes: np.ndarray) -> list:
    """Validation labels must pair with their texts and use only classes seen in training."""
    if hasattr(labels, "tolist") and not isinstance(labels, list):
        labels = labels.tolist()
    labels = list(labels)
    if len(labels) != n_texts:
        raise ModelError(f"validation has {n_texts} texts but {len(labels)} labels")
    unknown = sorted({str(label) for label in labels} - {str(c) for c in classes})
    if unknown:
        raise ModelError(
            f"validation labels {unknown} were not seen in training (classes: {[str(c) for c in classes]})"
        )
    return labels


def coerce_setting(key: str, raw: Any, kind: Any, default: Any) -> Any:
    """Turn a ``--set`` string into the hyperparameter's type, refusing values that do not fit."""
    if not isinstance(raw, str):
        return raw
    origin = typing.get_origin(kind)
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    text = raw.strip()
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if text.lower() in {"none", "null"} and type(None) in typing.get_args(kind):
            return None
        kind = args[0] if len(args) == 1 else str
        origin = typing.get_origin(kind)
    if origin is typing.Literal:
        allowed = typing.get_args(kind)
        for option in allowed:
            if str(option) == text:
                return option
        raise ModelError(
            f"setting {key}={raw!r} is not allowed; choose one of: {', '.join(map(str, allowed))}"
        )
    if origin in (tuple, list):
        inner = typing.get_args(kind)[0] if typing.get_args(kind) else str
        parts = [p for p in text.strip("()[]").split(",") if p.strip()]
        values = [coerce_setting(key, p, inner, None) for p in parts]
        return tuple(values) if origin is tuple else values
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise ModelError(f"setting {key}={raw!r} is not a valid {kind.__name__}") from None
    return text


def _write_json(path: Path, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, ensure_ascii=False, default=_json_default)
        handle.write("\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set)):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")


def _read_model_dir(directory: Path) -> tuple[dict, list, dict, dict]:
    if not directory.is_dir():
        raise ModelError(
            f"model directory {directory} does not exist",
            hint="train one with: sentilab train --data NAME --model bow --out DIR",
        )
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise ModelError(
            f"{directory} is not a complete sentilab model: missing {', '.join(missing)}",
            hint="point to a directory written by `sentilab train` or model.save()",
        )
    loaded = []
    for name in ("config.json", "labels.json", "vocab.json", "meta.json"):
        try:
            loaded.append(json.loads((directory / name).read_text(encoding="utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{directory / name} is corrupt ({exc}); re-save or retrain the model") from None
    config, labels, data, meta = loaded
    version = config.get("format_version")
    if not isinstance(version, int) or "model" not in config or "params" not in config:
        raise ModelError(f"{directory / 'config.json'} is not a sentilab model config")
    if version > FORMAT_VERSION:
        raise ModelError(
            f"{directory} was saved by sentilab {config.get('sentilab_version', '?')} in model format "
            f"{version}; this sentilab ({__version__}) reads format {FORMAT_VERSION} and older",
            hint="upgrade with: pip install --upgrade sentilab",
        )
    return config, labels, data, meta


def _verify_files(directory: Path, meta: dict, *, every_file: bool) -> None:
    """Check each file against its sha256 in meta.json. ``every_file``: each file the loader reads must be
    listed (format 2); format 1 listed only the weights, and what is listed is what can be checked."""
    hashes = meta.get("sha256")
    if not isinstance(hashes, dict):
        hashes = {}
    required = [name for name in FILES if name != "meta.json"] if every_file else [WEIGHTS_FILE]
    unlisted = [name for name in required if name not in hashes]
    if unlisted:
        raise ModelError(
            f"{directory / 'meta.json'} records no sha256 for {', '.join(unlisted)}, so the model cannot be "
            "checked; retrain or re-save the model"
        )
    for name, expected in hashes.items():
        path = directory / str(name)
        if Path(str(name)).name != name or not path.is_file():
            raise ModelError(
                f"model file {name} listed in {directory / 'meta.json'} is missing from {directory}"
            )
        if _sha256_file(path) != expected:
            raise ModelError(
                f"model file {name} in {directory} does not match its sha256 in meta.json (it was changed "
                "after saving); retrain or re-save the model"
            )


def _renamed_settings(params: dict[str, Any], accepted: dict[str, Any]) -> dict[str, Any]:
    """``params`` with old setting names (:data:`RENAMED_SETTINGS`) mapped to the names ``accepted`` has.

    A name is mapped only where the model takes the new name and not the old one, so a model whose own
    setting is still called ``seed`` keeps it.
    """
    out = {}
    for key, value in params.items():
        if key == "quiet" and "verbose" in accepted and "quiet" not in accepted:
            out["verbose"] = not value  # quiet=True was the opt-out; verbose=True is now the opt-in
            continue
        new = RENAMED_SETTINGS.get(key)
        renamed = new is not None and key not in accepted and new in accepted and new not in params
        out[new if renamed else key] = value
    return out


def _upgraded_history(history: Any) -> tuple[Any, dict[str, Any]]:
    """A history saved by an earlier sentilab in today's format, and the training summary it held.

    Earlier LSTMs kept ``best_epoch``, ``monitor`` and ``stopped`` inside the dict and called the accuracies
    ``train_acc``/``valid_acc``; the fine-tuned encoder kept a list of per-epoch records. Anything else (a
    history in today's format, or another model's own dict) is returned unchanged.
    """
    if isinstance(history, list) and all(isinstance(record, dict) for record in history):
        if not history:  # a frozen encoder saved an empty list: it has no history
            return None, {}
        keys = list(dict.fromkeys(key for record in history for key in record))
        return {key: [record.get(key) for record in history] for key in keys}, {}
    if not isinstance(history, dict) or not isinstance(history.get("epoch"), list):
        return history, {}
    history = dict(history)
    training = {key: history.pop(key) for key in ("best_epoch", "stopped") if key in history}
    history.pop("monitor", None)
    for old, new in (("train_acc", "train_accuracy"), ("valid_acc", "valid_accuracy")):
        if old in history and new not in history:
            history[new] = history.pop(old)
    return history, training


def _versions() -> dict[str, str]:
    import sklearn

    versions = {"sentilab": __version__, "python": platform.python_version(), "numpy": np.__version__}
    versions["scikit-learn"] = sklearn.__version__
    import sys

    if "torch" in sys.modules:
        versions["torch"] = sys.modules["torch"].__version__
    return versions


def _model_entries(directory: Path) -> list[str] | None:
    """The files a saved model owns (its fixed files and every file meta.json hashes), or None if not a model.

    A model directory describes itself (config.json names the model and format), so it needs no output marker.
    """
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict) or "format_version" not in config or "model" not in config:
        return None
    hashed = meta.get("sha256") if isinstance(meta, dict) else None
    return sorted({*FILES, *(hashed if isinstance(hashed, dict) else {})})


SELF_DESCRIBED["model"] = _model_entries
