"""Where the PyTorch models run (``device``) and in which number format (``precision``).

``device``: ``"auto"`` (the first CUDA GPU when PyTorch sees one, else the CPU; never fails), ``"cpu"``,
``"cuda"`` or ``"cuda:N"``. Asking for a GPU on a machine without one is a :class:`ModelError` with a hint,
not a traceback. Saved models always hold CPU tensors, so a model trained on a GPU loads and predicts on a
CPU and the other way round.

``precision``: ``"auto"``, ``"fp32"`` or ``"bf16"``. ``bf16`` is *autocast*: the matrix products run in
bfloat16 while the master weights, LayerNorm, softmax and the loss stay float32. ``auto`` picks bf16 on a
CUDA GPU that supports it and on a CPU with bfloat16 instructions (AVX512-BF16 / AMX), fp32 elsewhere.
PyTorch is imported only when one of these functions runs.

Threads: PyTorch's CPU threads stay as the caller set them (``torch.set_num_threads``; default one per core).
Before PyTorch is first imported, :func:`prepare_torch_import` sets ``OMP_WAIT_POLICY=PASSIVE`` unless the
environment already says otherwise: OpenMP threads then sleep instead of spinning between operations. On
this project's 2-core machine shared with other work, spinning made a MiniLM training step 3-5x slower
(bf16, batch 32: 13 texts/s spinning, 35-65 texts/s passive); on an idle machine the difference is small.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from typing import Any

from sentilab.errors import ModelError, require
from sentilab.models.base import Options, Satisfies

PRECISIONS = ("auto", "fp32", "bf16")
_DEVICE_NAME = re.compile(r"auto|cpu|cuda(:\d+)?")

DEVICE = Satisfies(
    lambda value: isinstance(value, str) and _DEVICE_NAME.fullmatch(value) is not None,
    "'auto', 'cpu', 'cuda' or 'cuda:N'",
)
PRECISION = Options(PRECISIONS)

DEVICE_HELP = (
    "where to train and predict: 'auto' (a CUDA GPU when PyTorch sees one, else the CPU), 'cpu', 'cuda' or "
    "'cuda:N'; saved weights are CPU tensors, so a model trained on a GPU loads on a CPU and vice versa"
)


def prepare_torch_import() -> None:
    """Default ``OMP_WAIT_POLICY`` to PASSIVE before PyTorch (and its OpenMP) loads; see the module docstring."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _torch():
    prepare_torch_import()
    return require("torch", "torch", feature="PyTorch models")


def cpu_has_bf16() -> bool:
    """Whether this CPU has bfloat16 instructions oneDNN uses (AVX512-BF16 or AMX)."""
    torch = _torch()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_device(name: str) -> Any:
    """``"auto"``/``"cpu"``/``"cuda"``/``"cuda:N"`` -> a ``torch.device`` that exists on this machine."""
    torch = _torch()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        hint = "use device='auto' or device='cpu' (a model trained on a GPU also predicts on a CPU)"
        if not torch.cuda.is_available():
            why = "this PyTorch is a CPU-only build" if torch.version.cuda is None else "no GPU is visible"
            raise ModelError(f"device={name!r} asks for a CUDA GPU, but {why}", hint=hint)
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ModelError(
                f"device={name!r} asks for GPU {index}, but this machine has {torch.cuda.device_count()}",
                hint=hint,
            )
    return torch.device(name)


def resolve_precision(precision: str, device: Any) -> str:
    """``"fp32"`` or ``"bf16"``: what ``precision`` means on ``device`` (see the module docstring)."""
    torch = _torch()
    if device.type == "cuda":
        supported = bool(torch.cuda.is_bf16_supported())
        if precision == "bf16" and not supported:
            raise ModelError(
                f"precision='bf16' but the GPU {device} has no bfloat16 support",
                hint="use precision='auto' or 'fp32'",
            )
    else:
        supported = cpu_has_bf16()
    if precision == "auto":
        return "bf16" if supported else "fp32"
    return precision


def autocast(device: Any, precision: str):
    """A context: bfloat16 autocast on ``device`` when ``precision`` is ``"bf16"``, else nothing."""
    torch = _torch()
    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


__all__ = [
    "DEVICE",
    "DEVICE_HELP",
    "PRECISION",
    "PRECISIONS",
    "autocast",
    "cpu_has_bf16",
    "prepare_torch_import",
    "resolve_device",
    "resolve_precision",
]
