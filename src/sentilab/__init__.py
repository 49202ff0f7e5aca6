"""sentilab: sentiment analysis from raw labelled text to trained, evaluated, explained and audited models.

>>> import sentilab
>>> sentilab.predict("I love it")          # doctest: +SKIP
{'label': 'positive', 'score': 0.93, 'polarity': 0.91, 'scores': {...}}

The heavy parts (models, torch, the encoder) are imported on first use, so ``import sentilab`` stays fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "predict": "sentilab.pipelines",
    "pipeline": "sentilab.pipelines",
    "load_model": "sentilab.models",
    "NotFittedError": "sentilab.errors",
    "load_dataset": "sentilab.data",
    "list_datasets": "sentilab.data",
    "get_tokenizer": "sentilab.text.tokenize",
    "Vocabulary": "sentilab.text.vocab",
    "SentilabError": "sentilab.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sentilab' has no attribute {name!r}")
