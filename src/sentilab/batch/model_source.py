"""How a model reaches another process: as the directory it was saved in, never as a pickled object.

A worker process (``--workers``) or a dask worker gets a :class:`ModelSource` (a path and a fingerprint) and
loads the model from disk once, on first use; every later chunk in that process reuses it. For a dask cluster
whose workers do not share the driver's disk, :meth:`ModelSource.files` carries the saved files' bytes
(``config.json``, ``weights.safetensors``, …) and :func:`materialise` writes them into the worker's own
directory, where they are checked and loaded like any saved model.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sentilab.errors import ModelError

#: Models loaded in this process, by fingerprint: each worker loads a model once.
_LOADED: dict[str, object] = {}


@dataclass(frozen=True)
class ModelSource:
    """A saved model: its directory and a fingerprint (the sha256 of its meta.json, which holds the
    sha256 of its weights), so a resumed run can tell whether it is the same model."""

    directory: str
    fingerprint: str

    def load(self):
        """The model, loaded from :attr:`directory` the first time this process asks."""
        model = _LOADED.get(self.fingerprint)
        if model is None:
            from sentilab.models import load_model

            model = _LOADED[self.fingerprint] = load_model(self.directory)
        return model

    def files(self) -> dict[str, bytes]:
        """Every file of the saved model, by name (what a worker without this disk needs)."""
        return {p.name: p.read_bytes() for p in sorted(Path(self.directory).iterdir()) if p.is_file()}


def model_source(model_dir: str | os.PathLike | None, *, on_status=None) -> tuple[ModelSource, object]:
    """``(source, model)`` for a model directory or a named model (None or ``"default"``: the default model,
    trained on first use; ``"best"``: the built best model): workers load its saved directory."""
    from sentilab.named_models import model_directory

    directory, model = model_directory(model_dir, on_status=on_status)
    meta = Path(directory) / "meta.json"
    try:
        fingerprint = hashlib.sha256(meta.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelError(f"cannot read {meta}: {exc.strerror or exc}") from None
    source = ModelSource(str(Path(directory).resolve()), fingerprint)
    _LOADED.setdefault(fingerprint, model)
    return source, model


def materialise(source: ModelSource, files: dict[str, bytes], root: str | os.PathLike) -> ModelSource:
    """Write shipped model ``files`` under ``root`` (once per fingerprint); the source to load them from."""
    target = Path(root) / "sentilab-models" / source.fingerprint
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".incoming-"))
        for name, data in files.items():
            (tmp / Path(name).name).write_bytes(data)
        try:
            os.replace(tmp, target)
        except OSError:  # another task on this worker got there first
            for leftover in tmp.iterdir():
                leftover.unlink()
            tmp.rmdir()
    return ModelSource(str(target), source.fingerprint)
