"""Fine-tuning MiniLM (the ``encoder`` model with ``finetune=True``): the training loop, the frozen-layer cache
and the per-epoch checkpoints.

* :func:`finetune` builds the trainable copy of MiniLM and a linear head and trains them through the shared
  trainer (:func:`sentilab.models.recurrent.train_epochs`) on ``device``, in bf16 autocast when
  ``precision`` says so (master weights, LayerNorm, softmax and the loss stay float32).
* ``frozen_layers=k`` (1..5): the embeddings and the bottom ``k`` transformer layers are not trained, so their
  output for every training and validation text never changes. :class:`HiddenStates` computes it once
  (no gradients, bf16 where autocast is on) and keeps it in memory ragged — one ``(n_tokens, 384)`` tensor
  and offsets, nothing padded — so each epoch runs only the top ``6 - k`` layers forward and backward.
  Dropout applies in the trained layers only. With ``k = 0`` everything is trained, the embeddings too.
* Training sees each text once per epoch, as its first window (the text truncated to ``max_len`` tokens);
  validation, like prediction, pools over all of a long text's windows.
* :class:`FineTuneCheckpoint`: with ``checkpoint_dir`` set, after every epoch the trainable tensors, AdamW's
  moments and step counts, the scheduler, the random generators and the history are written to
  ``checkpoint_dir/encoder-finetune-<fingerprint>.safetensors`` (one file, written atomically; the JSON state
  is in the safetensors header; no pickle). The fingerprint covers every setting that changes training
  and the training and validation data, so a later fit with the same settings and data resumes after the
  last completed epoch, and a checkpoint of other settings or data is never mixed in.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sentilab.errors import ModelError
from sentilab.models.base import fingerprint
from sentilab.models.devices import autocast, resolve_device, resolve_precision
from sentilab.models.minilm import (
    EMBEDDING_DIM,
    ENCODER_MODULE,
    INFERENCE_BATCH,
    _length_batches,
    _pretrained_config,
    _pretrained_weights,
    _torch,
    embedding_output,
    encoder_layers,
    mean_pool,
    package_version,
    pad_batch,
    pool_windows,
    pretrained_dir,
    token_windows,
    tokenize,
    warmup_linear_decay,
)
from sentilab.models.recurrent import EpochState, say, train_epochs
from sentilab.paths import atomic_file
from sentilab.progress import show_progress

CHECKPOINT_FORMAT = "sentilab-encoder-finetune-checkpoint/1"
CHECKPOINT_PREFIX = "encoder-finetune-"
#: Settings that do not change what fine-tuning computes, left out of a checkpoint's fingerprint.
NOT_FINGERPRINTED = ("verbose", "checkpoint_dir", "device", "precision", "C", "max_iter", "cache_embeddings")


def trainable_names(names, frozen_layers: int) -> list[str]:
    """The tensors fine-tuning trains: all of them, or (``frozen_layers`` = k > 0) those of layers k..5."""
    if frozen_layers == 0:
        return list(names)
    layers = tuple(f"encoder.layer.{index}." for index in range(frozen_layers, 6))
    return [name for name in names if name.startswith(layers)]


# ====================================================================== the frozen-layer cache
class HiddenStates:
    """Hidden states of id lists after the embeddings and the bottom ``n_layers`` layers, ragged:
    ``flat`` (total tokens, H) on the device, row ``i`` is ``flat[offsets[i]:offsets[i + 1]]``."""

    def __init__(self, flat, offsets: np.ndarray):
        self.flat, self.offsets = flat, offsets
        self.lengths = np.diff(offsets)

    @classmethod
    def compute(cls, weights, config, id_lists, n_layers: int, device, precision: str, progress: bool):
        torch = _torch()
        from tqdm.auto import tqdm

        lengths = np.array([len(ids) for ids in id_lists], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        flat = torch.empty((int(offsets[-1]), EMBEDDING_DIM), dtype=dtype, device=device)
        bar = tqdm(
            total=len(id_lists), desc=f"layers 1-{n_layers}", unit="text", leave=False, disable=not progress
        )
        with bar, torch.inference_mode(), autocast(device, precision):
            for batch in _length_batches(lengths, INFERENCE_BATCH):
                ids, mask = (torch.from_numpy(a).to(device) for a in pad_batch([id_lists[i] for i in batch]))
                x = embedding_output(weights, config, ids)
                hidden = encoder_layers(weights, config, x, mask, range(n_layers))  # (B, T, H)
                for row, index in enumerate(batch):
                    flat[offsets[index] : offsets[index + 1]] = hidden[row, : lengths[index]].to(dtype)
                bar.update(len(batch))
        return cls(flat, offsets)

    def batch(self, rows: np.ndarray):
        """Padded float32 states ``x`` (B, T, H) and ``mask`` (B, T) int64 of ``rows``, on the device."""
        torch = _torch()
        device = self.flat.device
        lengths = self.lengths[rows]
        positions = np.arange(int(lengths.max()))[None, :]  # (1, T)
        real = positions < lengths[:, None]  # (B, T)
        index = np.where(real, self.offsets[rows][:, None] + positions, 0)
        mask = torch.from_numpy(real.astype(np.int64)).to(device)
        x = self.flat[torch.from_numpy(index).to(device)].float() * mask[..., None]
        return x, mask


# ====================================================================== the training loop
class _FineTuning:
    """The fine-tuning :class:`~sentilab.models.recurrent.TrainingLoop`: MiniLM (or its top layers over cached
    states) + a linear head, AdamW with weight decay (not on biases and LayerNorm weights), warm-up then
    linear decay of the learning rate, bf16 autocast where ``precision`` is bf16."""

    def __init__(self, model, config, weights, trainable, head, train, y, validation, device, precision):
        torch = _torch()
        self.model, self.config, self.weights, self.device, self.precision = (
            model,
            config,
            weights,
            device,
            precision,
        )
        self.trainable = {name: weights[name] for name in trainable}
        self.head_weight, self.head_bias = head
        self.frozen = model.frozen_layers
        self.train = train  # id lists (frozen_layers 0) or HiddenStates
        self.train_lengths = [len(ids) for ids in train] if isinstance(train, list) else train.lengths
        self.labels = torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device)
        self.n_texts = len(self.train_lengths)
        self.validation = validation  # None or (windows or HiddenStates, window lengths, owner, labels)
        self.has_validation = validation is not None
        self.rng = np.random.default_rng(model.random_state)
        no_decay = [w for k, w in self.trainable.items() if k.endswith(".bias") or "LayerNorm" in k]
        decay = [w for k, w in self.trainable.items() if not (k.endswith(".bias") or "LayerNorm" in k)]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay + [self.head_weight], "weight_decay": model.weight_decay},
                {"params": no_decay + [self.head_bias], "weight_decay": 0.0},
            ],
            lr=model.learning_rate,
        )
        total_steps = math.ceil(self.n_texts / model.batch_size) * model.epochs
        warmup_steps = max(1, round(model.warmup_ratio * total_steps)) if model.warmup_ratio > 0 else 0
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            functools.partial(warmup_linear_decay, warmup_steps=warmup_steps, total_steps=total_steps),
        )

    def hidden(self, source, rows: np.ndarray, dropout: float):
        """Last-layer states (B, T, H) and mask (B, T) of ``rows`` of ``source`` (id lists or HiddenStates)."""
        torch = _torch()
        if isinstance(source, HiddenStates):
            x, mask = source.batch(rows)
            layers = range(self.frozen, self.config["num_hidden_layers"])
            return encoder_layers(self.weights, self.config, x, mask, layers, dropout=dropout), mask
        ids, mask = (torch.from_numpy(a).to(self.device) for a in pad_batch([source[i] for i in rows]))
        x = embedding_output(self.weights, self.config, ids, dropout=dropout)
        layers = range(self.config["num_hidden_layers"])
        return encoder_layers(self.weights, self.config, x, mask, layers, dropout=dropout), mask

    def epoch_batches(self) -> list[np.ndarray]:
        """Shuffled batches of texts of similar length: shuffle, sort within pools of 50 batches by length,
        cut into batches, shuffle the batches. Most of the padding (and its compute) goes away."""
        lengths = self.train_lengths
        size = self.model.batch_size
        order = self.rng.permutation(len(lengths))
        batches = []
        for start in range(0, len(order), size * 50):
            chunk = order[start : start + size * 50]
            chunk = chunk[np.argsort([-lengths[i] for i in chunk], kind="stable")]
            batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
        return [batches[i] for i in self.rng.permutation(len(batches))]

    def train_step(self, batch: np.ndarray) -> tuple[float, int]:
        torch = _torch()
        functional, dropout = torch.nn.functional, self.model.dropout
        with autocast(self.device, self.precision):
            hidden, mask = self.hidden(self.train, batch, dropout)
        pooled = functional.dropout(mean_pool(hidden.float(), mask), dropout, dropout > 0)
        logits = functional.linear(pooled, self.head_weight, self.head_bias)  # (B, n_classes), float32
        target = self.labels[torch.from_numpy(batch).to(self.device)]
        loss = functional.cross_entropy(logits, target)
        value = float(loss.item())
        if math.isfinite(value):  # a non-finite loss must not reach the weights
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.model.max_grad_norm:
                parameters = [*self.trainable.values(), self.head_weight, self.head_bias]
                torch.nn.utils.clip_grad_norm_(parameters, self.model.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
        return value, int((logits.argmax(1) == target).sum())

    def features(self, source, lengths: np.ndarray, owner: np.ndarray, n_texts: int) -> np.ndarray:
        """Per-text pooled features (n_texts, H) from windows (or their cached states), no gradients."""
        torch = _torch()
        pooled = np.zeros((len(lengths), EMBEDDING_DIM), dtype=np.float32)
        with torch.inference_mode(), autocast(self.device, self.precision):
            for batch in _length_batches(lengths, INFERENCE_BATCH):
                hidden, mask = self.hidden(source, batch, 0.0)
                pooled[batch] = mean_pool(hidden.float(), mask).cpu().numpy()
        return pool_windows(pooled, np.asarray(lengths, dtype=np.float64), owner, n_texts)

    def validation_scores(self) -> tuple[float, float]:
        source, lengths, owner, y = self.validation
        features = self.features(source, lengths, owner, len(y)).astype(np.float64)
        coef = self.head_weight.detach().cpu().numpy().astype(np.float64)
        intercept = self.head_bias.detach().cpu().numpy().astype(np.float64)
        logits = features @ coef.T + intercept  # (n, H) @ (H, k) + (k,) -> (n, k)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y)), y].mean()
        return float(loss), float((logits.argmax(1) == y).mean())

    def tensors(self) -> dict[str, Any]:
        """What training changes, by name: the trainable encoder tensors and the head."""
        return {**self.trainable, "head.weight": self.head_weight, "head.bias": self.head_bias}

    def snapshot(self) -> dict[str, Any]:
        return {name: tensor.detach().clone() for name, tensor in self.tensors().items()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        torch = _torch()
        with torch.no_grad():
            for name, tensor in self.tensors().items():
                tensor.copy_(snapshot[name])


# ====================================================================== checkpoints
def training_fingerprint(model, device, precision: str, texts, y, validation) -> str:
    """sha256 of what decides the course of fine-tuning: the settings, the resolved device kind and
    precision, the encoder package version, the classes, and the training and validation data."""
    params = {k: v for k, v in model.get_params(deep=False).items() if k not in NOT_FINGERPRINTED}
    payload = {
        "format": CHECKPOINT_FORMAT,
        "params": params,
        "device": device.type,
        "precision": precision,
        "encoder": package_version(ENCODER_MODULE),
        "classes": [str(c) for c in model.classes_],
        "train": fingerprint(texts, list(map(int, y))),
        "validation": fingerprint(validation[0], list(map(int, validation[1]))) if validation else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _checkpoint_metadata(path: Path) -> dict[str, str] | None:
    """The header metadata of a sentilab checkpoint file, or None when the file is not one."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception:
        return None
    return metadata if metadata.get("format") == CHECKPOINT_FORMAT else None


def remove_checkpoints(directory) -> int:
    """Delete the sentilab fine-tuning checkpoints in ``directory`` (files whose header says so; nothing else),
    and the directory when that leaves it empty. Returns how many files were removed."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    removed = 0
    for path in directory.glob(f"{CHECKPOINT_PREFIX}*.safetensors"):
        if _checkpoint_metadata(path) is not None:
            path.unlink()
            removed += 1
    with contextlib.suppress(OSError):  # not empty: something sentilab did not write stays, with its folder
        directory.rmdir()
    return removed


class FineTuneCheckpoint:
    """A :class:`~sentilab.models.recurrent.Checkpoint` for :class:`_FineTuning` (see the module docstring)."""

    def __init__(self, directory, key: str):
        """Checks the place before any work; :attr:`loop` is set once the training loop exists."""
        self.directory, self.key = Path(directory), key
        self.loop: _FineTuning | None = None
        self.path = self.directory / f"{CHECKPOINT_PREFIX}{key[:16]}.safetensors"
        if self.directory.exists() and not self.directory.is_dir():
            raise ModelError(
                f"checkpoint_dir={str(directory)!r} is a file, not a directory",
                hint="give a directory (it is created when missing)",
            )
        if self.path.exists() and _checkpoint_metadata(self.path) is None:
            raise ModelError(
                f"{self.path} exists but is not a sentilab fine-tuning checkpoint; sentilab will not replace it",
                hint="move that file away or choose another checkpoint_dir",
            )

    def load(self) -> EpochState | None:
        others = [
            path
            for path in self.directory.glob(f"{CHECKPOINT_PREFIX}*.safetensors")
            if path != self.path and _checkpoint_metadata(path) is not None
        ]
        metadata = _checkpoint_metadata(self.path) if self.path.exists() else None
        if metadata is not None and metadata.get("fingerprint") != self.key:
            others.append(self.path)
            metadata = None
        if metadata is None:
            if others:
                warnings.warn(
                    f"checkpoint_dir {self.directory} holds {len(others)} fine-tuning checkpoint(s) of other "
                    "settings or data; they are ignored and training starts from scratch",
                    stacklevel=2,
                )
            return None
        return self._restore(json.loads(metadata["state"]))

    def _restore(self, state: dict[str, Any]) -> EpochState:
        torch = _torch()
        from safetensors import safe_open

        loop, device = self.loop, self.loop.device
        with safe_open(str(self.path), framework="pt") as handle:
            arrays = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        with torch.no_grad():
            for name, tensor in loop.tensors().items():
                tensor.copy_(arrays[f"weights.{name}"])
        optimizer_state = {
            int(index): {
                "step": torch.tensor(float(step)),
                "exp_avg": arrays[f"adam.{index}.exp_avg"],
                "exp_avg_sq": arrays[f"adam.{index}.exp_avg_sq"],
            }
            for index, step in state["adam_steps"].items()
        }
        loop.optimizer.load_state_dict({"state": optimizer_state, "param_groups": state["param_groups"]})
        loop.scheduler.load_state_dict(
            {**state["scheduler"], "lr_lambdas": [None] * len(state["param_groups"])}
        )
        loop.rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(arrays["rng.torch"])
        if device.type == "cuda" and "rng.cuda" in arrays:
            torch.cuda.set_rng_state(arrays["rng.cuda"], device)
        best = (
            {name: arrays[f"best.{name}"].to(device) for name in loop.tensors()}
            if state["has_best"]
            else loop.snapshot()
        )
        return EpochState(
            state["epoch"],
            state["history"],
            state["best_value"],
            state["best_epoch"],
            state["bad_epochs"],
            best,
        )

    def save(self, state: EpochState) -> None:
        torch = _torch()
        from safetensors.torch import save

        loop = self.loop
        arrays = {f"weights.{name}": t.detach() for name, t in loop.tensors().items()}
        if state.best_state is not None:
            arrays.update({f"best.{name}": t for name, t in state.best_state.items()})
        optimizer = loop.optimizer.state_dict()
        steps = {}
        for index, moments in optimizer["state"].items():
            arrays[f"adam.{index}.exp_avg"] = moments["exp_avg"]
            arrays[f"adam.{index}.exp_avg_sq"] = moments["exp_avg_sq"]
            steps[str(index)] = float(moments["step"])
        arrays["rng.torch"] = torch.get_rng_state()
        if loop.device.type == "cuda":
            arrays["rng.cuda"] = torch.cuda.get_rng_state(loop.device)
        scheduler = {k: v for k, v in loop.scheduler.state_dict().items() if k != "lr_lambdas"}
        json_state = {
            "epoch": state.epoch,
            "history": state.history,
            "best_value": state.best_value,
            "best_epoch": state.best_epoch,
            "bad_epochs": state.bad_epochs,
            "has_best": state.best_state is not None,
            "adam_steps": steps,
            "param_groups": optimizer["param_groups"],
            "scheduler": scheduler,
            "numpy_rng": loop.rng.bit_generator.state,
        }
        metadata = {"format": CHECKPOINT_FORMAT, "fingerprint": self.key, "state": json.dumps(json_state)}
        data = save({k: v.detach().cpu().contiguous() for k, v in arrays.items()}, metadata=metadata)
        with atomic_file(self.path, "wb") as handle:
            handle.write(data)


# ====================================================================== the entry point
def _validation_inputs(model, weights, config, validation, device, precision, progress):
    """(windows or their cached states, window lengths, owner, labels) of the validation texts, or None."""
    if validation is None:
        return None
    windows, owner = token_windows(validation[0], model.max_len, model.window_overlap)
    lengths = np.array([len(ids) for ids in windows], dtype=np.int64)
    source = windows
    if model.frozen_layers:
        source = HiddenStates.compute(
            weights, config, windows, model.frozen_layers, device, precision, progress
        )
    return source, lengths, owner, np.asarray(validation[1], dtype=np.int64)


def finetune(model, texts: list[str], y: np.ndarray, validation) -> None:
    """Fine-tune MiniLM + a linear head for ``model`` (an EncoderModel) and set its fitted attributes."""
    torch = _torch()
    device = resolve_device(model.device)
    precision = resolve_precision(model.precision, device)
    directory = str(pretrained_dir())
    config = _pretrained_config(directory)
    quiet = not model.verbose
    torch.manual_seed(model.random_state)
    generator = torch.Generator().manual_seed(model.random_state)
    pretrained = _pretrained_weights(directory)
    trainable = trainable_names(pretrained, model.frozen_layers)
    # Trainable copies: the shared pretrained tensors must stay untouched for frozen-encoder models.
    weights = {
        name: tensor.detach().clone().to(device).requires_grad_(True)
        if name in trainable
        else tensor.to(device)
        for name, tensor in pretrained.items()
    }
    head = (
        torch.nn.Parameter(
            torch.empty(len(model.classes_), EMBEDDING_DIM).normal_(0, 0.02, generator=generator).to(device)
        ),
        torch.nn.Parameter(torch.zeros(len(model.classes_), device=device)),
    )
    checkpoint = None
    if model.checkpoint_dir is not None:  # checked before the minutes of work below
        key = training_fingerprint(model, device, precision, texts, y, validation)
        checkpoint = FineTuneCheckpoint(model.checkpoint_dir, key)
    train = tokenize(texts, model.max_len)  # the first window of each text
    started = time.perf_counter()
    progress = show_progress(not quiet)
    if model.frozen_layers:
        train = HiddenStates.compute(weights, config, train, model.frozen_layers, device, precision, progress)
    valid = _validation_inputs(model, weights, config, validation, device, precision, progress)
    if model.frozen_layers:
        say(
            f"{model.frozen_layers} bottom layer(s) frozen: states for {len(texts):,} training and "
            f"{len(validation[0]) if validation else 0:,} validation texts computed once in "
            f"{time.perf_counter() - started:.1f}s ({device}, {precision})",
            quiet=quiet,
        )
    loop = _FineTuning(model, config, weights, trainable, head, train, y, valid, device, precision)
    if checkpoint is not None:
        checkpoint.loop = loop
    result = train_epochs(
        loop, epochs=model.epochs, keep_lowest_training_loss=False, quiet=quiet, checkpoint=checkpoint
    )
    model.history_, model.best_epoch_, model.stopped_ = result.history, result.best_epoch, result.stopped
    model.encoder_weights_ = {name: tensor.detach().cpu() for name, tensor in weights.items()}
    model.coef_ = head[0].detach().cpu().numpy().astype(np.float64)
    model.intercept_ = head[1].detach().cpu().numpy().astype(np.float64)
