"""sentilab's named models, in one place, and the one resolver that turns a ``--model`` value into a model.

==========  ===================================================================================================
``default`` bow with negation marking (:mod:`sentilab.defaults`): trained in seconds on first use, then cached
``best``    the MiniLM encoder fine-tuned on the train splits of every labelled registry dataset
            (:data:`BEST_RECIPE`), validated on their validation splits; built once by
            ``sentilab models build best`` (minutes: :func:`build_estimate`), never trained implicitly
==========  ===================================================================================================

Every entry point that takes a model — the commands' ``--model``, ``sentilab serve``, the batch engines,
``sentilab.load_model``, ``sentilab.pipeline`` and ``sentilab.predict`` — goes through :func:`resolve_model`.

Precedence: the exact strings ``"default"`` and ``"best"`` are the named models, even when the current
directory holds a folder of that name; ``./best`` (any other spelling of the path, or a :class:`pathlib.Path`)
is that folder.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sentilab import defaults
from sentilab.data.registry import LABELLED
from sentilab.errors import ModelError, SentilabError
from sentilab.paths import home

#: The named models, in the order ``sentilab models list`` shows them.
NAMES = ("default", "best")


@dataclass(frozen=True)
class BuildRecipe:
    """How a built named model is made: which model, which ``--set`` style settings, which datasets (their
    train splits train it, their validation splits score it). Bump ``version`` whenever anything changes."""

    version: int
    model: str
    params: dict[str, str] = field(default_factory=dict)
    datasets: tuple[str, ...] = LABELLED


#: The best model: MiniLM fine-tuned end to end on the eight labelled sets' train splits (51,077 texts); the
#: embeddings and the bottom 2 of its 6 layers stay frozen (their outputs are computed once and cached), so an
#: epoch trains 4 layers. Measured on this project's 2-core CPU (bf16 autocast, batch 32, max 128 tokens;
#: pooled validation accuracy on the 6,383 validation texts by epoch):
#:   frozen_layers=3, lr 8e-5, 3 epochs: 0.785 / 0.792 / 0.790 (the third epoch overfits), 21.9 min
#:   frozen_layers=2, lr 8e-5, 2 epochs: 0.787 / 0.796, 15.5 min   <- this recipe (12.9 min for the whole
#:                                       `sentilab models build best` on the idle machine, 3.9 GB peak RSS)
#:   frozen_layers=1, lr 8e-5, 2 epochs: 0.789 / 0.799, 15.9 min on a quieter machine (~25 % more per epoch)
#: For reference, a full fine-tune (nothing frozen, lr 5e-5, 3 epochs) on one H200 GPU reached
#: 0.790 / 0.801 / 0.803, 69 s per epoch (measured outside the project). Checkpoints after every epoch let
#: an interrupted build resume.
BEST_RECIPE = BuildRecipe(
    version=1,
    model="encoder",
    params={
        "finetune": "true",
        "epochs": "2",
        "frozen_layers": "2",
        "batch_size": "32",
        "learning_rate": "8e-5",
        "max_len": "128",
        "device": "auto",
        "precision": "auto",
    },
)

#: ESTIMATE of the best model's build time in minutes: measured on 2 idle CPU cores (above; data loading and
#: scoring included); on a GPU from the outside measurement (3 epochs of 69 s on an H200, so a few minutes
#: with loading). More CPU cores are ASSUMED to help in proportion, up to :data:`CPU_SCALING_CORES` (not
#: measured).
BUILD_MINUTES_CPU_2_CORES = 13.0
BUILD_MINUTES_GPU = 3.0
CPU_SCALING_CORES = 8

_LOADED: dict[str, object] = {}


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- where things are
def named_model_dir(name: str) -> Path:
    """Where a named model is cached: ``$SENTILAB_HOME/models/NAME``."""
    check_name(name)
    return defaults.default_model_dir() if name == "default" else home() / "models" / name


def best_checkpoint_dir() -> Path:
    """Where an unfinished build of the best model keeps its per-epoch checkpoints (sentilab's own folder)."""
    return home() / "builds" / "best" / "checkpoints"


def check_name(name: str) -> str:
    if name not in NAMES:
        from sentilab.errors import unknown_choice

        raise unknown_choice("named model", name, NAMES)
    return name


def is_named(spec: Any) -> bool:
    """True for the exact strings ``"default"`` and ``"best"`` (a :class:`~pathlib.Path` is a directory)."""
    return isinstance(spec, str) and spec in NAMES


# --------------------------------------------------------------------------- the resolver
def resolve_model(spec: Any, *, on_status: Callable[[str], None] | None = _stderr) -> tuple[Any, str]:
    """``(model, source)`` for a ``--model`` value: ``None`` or ``"default"`` (the default model, trained on
    first use), ``"best"`` (the built best model; a :class:`ModelError` saying how to build it when it is
    not built), or a saved model directory (a string or a path; ``./best`` reaches a folder named best).

    ``on_status`` receives one line per step of the default model's first-use training (default: stderr).
    """
    if spec is None or (isinstance(spec, str) and spec == "default"):
        return defaults.get_default_model(on_status=on_status), "default model"
    if is_named(spec):
        return load_best(on_status=on_status), f"{spec} model"
    if not isinstance(spec, (str, os.PathLike)):
        raise ModelError(
            f"a model is a name ({', '.join(NAMES)}) or a saved model directory, got {type(spec).__name__}"
        )
    from sentilab.models.base import SentimentModel

    return SentimentModel.load(spec), str(spec)


def load_model(spec: Any, *, on_status: Callable[[str], None] | None = _stderr):
    """The model a ``--model`` value names (see :func:`resolve_model`)."""
    return resolve_model(spec, on_status=on_status)[0]


def model_directory(spec: Any, *, on_status: Callable[[str], None] | None = None) -> tuple[Path, Any]:
    """``(directory, model)``: where the model ``spec`` names is saved (what a worker process loads)."""
    model, _ = resolve_model(spec, on_status=on_status)
    if spec is None or is_named(spec):
        return named_model_dir(spec or "default"), model
    return Path(spec), model


# --------------------------------------------------------------------------- the best model
def build_estimate(device: str | None = None) -> tuple[float, str]:
    """``(minutes, where)``: about how long building the best model takes here, e.g.
    ``(20.0, "2 CPU cores")`` or ``(3.0, "the GPU")``; ``device`` None/"auto" means what "auto" would pick."""
    if resolve_device(device) == "cuda":
        return BUILD_MINUTES_GPU, "the GPU"
    cores = cpu_cores()
    minutes = BUILD_MINUTES_CPU_2_CORES * 2 / max(1, min(cores, CPU_SCALING_CORES))
    return minutes, f"{cores} CPU core{'s' if cores != 1 else ''}"


def describe_estimate(device: str | None = None) -> str:
    minutes, where = build_estimate(device)
    return f"about {minutes:.0f} minute{'s' if round(minutes) != 1 else ''} here, on {where}"


def cpu_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cuda_available() -> bool:
    """Whether PyTorch is installed and sees a CUDA GPU (False without PyTorch)."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: str | None) -> str:
    """``"cuda"`` or ``"cpu"``: ``None``/``"auto"`` is the GPU when there is one."""
    if device in (None, "auto"):
        return "cuda" if cuda_available() else "cpu"
    return device


def not_built_error() -> ModelError:
    """The error for ``--model best`` before it is built: what, the command that builds it, how long."""
    here = Path("best")
    return ModelError(
        "the best model is not built yet; build it once with `sentilab models build best` "
        f"({describe_estimate()}; an interrupted build resumes when rerun)",
        hint=f"./{here} is a folder here: pass ./{here} to use it as a saved model"
        if here.is_dir()
        else None,
    )


def _read_meta(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(meta: dict | None, recipe: BuildRecipe) -> bool:
    return bool(meta) and meta.get("best_recipe") == json.loads(json.dumps(asdict(recipe)))


def load_best(*, on_status: Callable[[str], None] | None = _stderr):
    """The built best model, loaded once per process; a :class:`ModelError` when it is not built."""
    from sentilab.models.base import SentimentModel

    directory = named_model_dir("best")
    if str(directory) in _LOADED:
        return _LOADED[str(directory)]
    if not (directory / "config.json").is_file():
        raise not_built_error()
    try:
        model = SentimentModel.load(directory)
    except SentilabError as exc:
        raise ModelError(
            f"the built best model in {directory} is unusable: {exc.message}",
            hint="build it again: sentilab models build best --rebuild",
        ) from None
    if not _is_current(_read_meta(directory), BEST_RECIPE) and on_status is not None:
        on_status(
            "note: the best model was built from an older recipe; `sentilab models build best` updates it"
        )
    _LOADED[str(directory)] = model
    return model


@dataclass
class BuildResult:
    """What :func:`build_best` did: where the model is, whether it was built now, and how it scored."""

    directory: Path
    built_now: bool
    device: str | None
    seconds: float | None
    meta: dict[str, Any]

    @property
    def metrics(self) -> dict[str, Any]:
        return self.meta.get("metrics", {})

    def validation_accuracy(self) -> tuple[float | None, dict[str, float]]:
        """``(pooled, {source: accuracy})`` on the validation splits."""
        pooled = self.metrics.get("validation", {}).get("accuracy")
        per_source = {
            key.split(":", 1)[1]: value["accuracy"]
            for key, value in self.metrics.items()
            if key.startswith("validation:")
        }
        return pooled, per_source


def _build_settings(recipe: BuildRecipe, device: str | None, verbose: bool) -> dict[str, str]:
    """The recipe's settings plus what this build adds: the device asked for, the checkpoint folder (so a
    rerun resumes) and progress output — each only where the model has that setting."""
    from sentilab.models.registry import get_model_class

    accepted = get_model_class(recipe.model).param_types()
    settings = dict(recipe.params)
    if device is not None:
        if "device" not in accepted:
            raise ModelError(f"the best model's recipe ({recipe.model}) has no device setting to choose")
        settings["device"] = device
    if "checkpoint_dir" in accepted:
        settings["checkpoint_dir"] = str(best_checkpoint_dir())
    if verbose and "verbose" in accepted:
        settings["verbose"] = "true"
    return settings


def _clear_checkpoints() -> None:
    """Remove the build's checkpoints — only the files sentilab wrote there — and the folders they leave empty."""
    import contextlib

    from sentilab.models.encoder_training import remove_checkpoints

    remove_checkpoints(best_checkpoint_dir())
    with contextlib.suppress(OSError):
        best_checkpoint_dir().parent.rmdir()


def build_best(
    *,
    device: str | None = None,
    rebuild: bool = False,
    verbose: bool = False,
    on_status: Callable[[str], None] | None = _stderr,
) -> BuildResult:
    """Build the best model from :data:`BEST_RECIPE` into ``$SENTILAB_HOME/models/best`` (or keep the one
    there when it is built from the current recipe and ``rebuild`` is False).

    ``device``: ``"auto"``, ``"cpu"`` or ``"cuda"`` (None: the recipe's). An interrupted build resumes from
    its last epoch checkpoint when run again; ``rebuild`` starts afresh. Only files sentilab wrote are
    replaced: a foreign file in the model's folder stops the build before any work.
    """
    from sentilab.paths import check_output_dir
    from sentilab.training import build_model, load_training_data, save_run, train_and_save

    say = on_status or (lambda line: None)
    recipe = BEST_RECIPE
    directory = check_output_dir(named_model_dir("best"), "model", option="the best model's folder")
    meta = _read_meta(directory)
    if not rebuild and _is_current(meta, recipe):
        say(f"the best model is already built ({directory}); --rebuild builds it again")
        return BuildResult(directory, False, meta.get("device"), meta.get("build_seconds"), meta)
    if meta is not None and not rebuild:
        say("the built best model comes from an older recipe; building the current one")
    settings = _build_settings(recipe, device, verbose)
    build_model(recipe.model, settings)  # a setting the model does not have: an error before any loading
    used_device = resolve_device(settings["device"]) if "device" in settings else "cpu"
    if rebuild:
        _clear_checkpoints()
    say(
        f"building sentilab's best model: {recipe.model} ({_shown(recipe.params)}) on the train splits of "
        f"{', '.join(recipe.datasets)}; {describe_estimate(used_device)}"
    )
    if "checkpoint_dir" in settings:
        say(f"checkpoints go to {best_checkpoint_dir()}: if the build stops, the same command resumes it")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:  # data notes become status lines
        warnings.simplefilter("always")
        data = load_training_data(recipe.datasets, split="train", validation_split="validation")
    for message in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
        say(f"note: {message}")
    validation = data.pooled_validation()
    say(f"data: {len(data.train):,} train / {len(validation or ()):,} validation texts")
    run = train_and_save(
        recipe.model,
        data.train,
        validation=data.validation,
        settings=settings,
        command="sentilab models build best",
    )
    seconds = time.perf_counter() - start
    reported = getattr(run.model, "device_", None)  # what "auto" became, where the model says so
    used_device = str(reported) if reported else used_device
    extra = {"best_recipe": asdict(recipe), "device": used_device, "build_seconds": round(seconds, 1)}
    save_run(run, directory, extra)
    _clear_checkpoints()
    _LOADED.pop(str(directory), None)
    return BuildResult(directory, True, used_device, round(seconds, 1), {"metrics": run.metrics, **run.meta})


def _shown(params: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items()) or "defaults"


def build_default(*, rebuild: bool = False, on_status: Callable[[str], None] | None = _stderr) -> BuildResult:
    """Train (``rebuild``: retrain) the default model now, as its first use would; see :mod:`defaults`."""
    start = time.perf_counter()
    built_before = _read_meta(defaults.default_model_dir())
    defaults.get_default_model(retrain=rebuild, on_status=on_status)
    meta = _read_meta(defaults.default_model_dir()) or {}
    built_now = rebuild or meta != built_before
    return BuildResult(
        defaults.default_model_dir(), built_now, "cpu", round(time.perf_counter() - start, 1), meta
    )


# --------------------------------------------------------------------------- listing
def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.iterdir() if path.is_file())


def describe_named_models() -> list[dict[str, Any]]:
    """One plain dict per named model: built or not, where, size, build date, accuracy, the build command."""
    described = []
    for name in NAMES:
        directory = named_model_dir(name)
        meta = _read_meta(directory) if (directory / "config.json").is_file() else None
        metrics = (meta or {}).get("metrics", {})
        tests = [v["accuracy"] for k, v in metrics.items() if k.startswith("test:") and "accuracy" in v]
        entry = {
            "name": name,
            "built": meta is not None,
            "directory": str(directory),
            "size_bytes": _size(directory) if meta is not None else None,
            "built_at": (meta or {}).get("created"),
            "validation_accuracy": metrics.get("validation", {}).get("accuracy"),
            "held_out_accuracy": round(sum(tests) / len(tests), 4) if tests else None,
            "current": _is_current(meta, BEST_RECIPE) if name == "best" else defaults.recipe_is_current(meta),
            "build_command": f"sentilab models build {name}",
        }
        if name == "best":
            entry["build_estimate_minutes"] = round(build_estimate()[0], 1)
            entry["device"] = (meta or {}).get("device")
            entry["build_seconds"] = (meta or {}).get("build_seconds")
        described.append(entry)
    return described


__all__ = [
    "BEST_RECIPE",
    "BUILD_MINUTES_CPU_2_CORES",
    "BUILD_MINUTES_GPU",
    "NAMES",
    "BuildRecipe",
    "BuildResult",
    "best_checkpoint_dir",
    "build_best",
    "build_default",
    "build_estimate",
    "describe_named_models",
    "is_named",
    "load_best",
    "load_model",
    "model_directory",
    "named_model_dir",
    "resolve_model",
]
