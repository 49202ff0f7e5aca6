"""The models: the contract (:mod:`.base`), the registry of names (:mod:`.registry`) and each model.

Every model is imported only when used, so ``import sentilab.models`` stays fast.
"""

from __future__ import annotations

from sentilab.models.registry import MODELS, create_model, get_model_class


def load_model(directory):
    """Load any saved sentilab model from ``directory`` (no pickle involved), or a named model.

    ``"default"`` is sentilab's default model (trained on first use, then cached) and ``"best"`` the
    fine-tuned encoder (built once by ``sentilab models build best``), as on the command line; a folder
    named like them loads as ``"./best"`` or ``pathlib.Path("best")`` (see :mod:`sentilab.named_models`).
    """
    from sentilab.named_models import load_model as load_named_or_saved

    return load_named_or_saved(directory)


__all__ = ["MODELS", "get_model_class", "create_model", "load_model"]
