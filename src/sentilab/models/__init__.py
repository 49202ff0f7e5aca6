"""The models: the contract (:mod:`.base`), the registry of names (:mod:`.registry`) and each model.

Every model is imported only when used, so ``import sentilab.models`` stays fast.
"""

from __future__ import annotations

from sentilab.models.registry import MODELS, create_model, get_model_class


def load_model(directory):
    """Load any saved sentilab model from ``directory`` (no pickle involved).

    ``"default"`` is sentilab's default model (trained on first use, then cached), as on the command line.
    """
    if str(directory) == "default":
        from sentilab.defaults import get_default_model

        return get_default_model()
    from sentilab.models.base import SentimentModel

    return SentimentModel.load(directory)


__all__ = ["MODELS", "get_model_class", "create_model", "load_model"]
