"""Every model by name, imported only when used.

Add a model by writing a :class:`~sentilab.models.base.SentimentModel` subclass and naming it in
:data:`MODELS`; the shared contract tests (tests/test_contract.py) then run over it automatically.
This module imports no model, so the base class can look names up here without an import circle.
"""

from __future__ import annotations

import importlib

from sentilab.errors import unknown_choice

#: name -> "module:Class". Keep the descriptions in each class's docstring.
MODELS: dict[str, str] = {
    "bow": "sentilab.models.linear:BowModel",
    "vader": "sentilab.models.lexicon:VaderModel",
    "encoder": "sentilab.models.encoder:EncoderModel",
    "numpy-lstm": "sentilab.models.numpy_lstm:NumpyLSTMModel",
    "lstm": "sentilab.models.torch_lstm:TorchLSTMModel",
}


def get_model_class(name: str):
    """The model class registered as ``name``."""
    if name not in MODELS:
        raise unknown_choice("model", name, MODELS)
    module_name, class_name = MODELS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def create_model(name: str, **params):
    """A new, unfitted model ``name`` with the given hyperparameters."""
    return get_model_class(name)(**params)
