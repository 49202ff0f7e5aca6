"""The one trainer of every model that learns in epochs, and what the two LSTMs share.

1. :func:`train_epochs`: the training loop of ``numpy-lstm``, ``lstm`` and the fine-tuned ``encoder``:
   epochs of shuffled batches, validation scoring after each epoch, early stopping with the best epoch's
   weights restored, a stop on a non-finite loss, a progress bar and one line per epoch on stderr, and the
   history. A model takes part by handing it a :class:`TrainingLoop` (its data, one optimisation step,
   scoring, weight snapshots).
2. Logits helpers both LSTMs score with (sigmoid for one logit, softmax for several).
3. :class:`RecurrentModel`: what ``numpy-lstm`` and ``lstm`` share besides the trainer: normalizer +
   tokenizer, :class:`~sentilab.text.vocab.Vocabulary`, optional GloVe initialisation, ragged token ids and
   padded batches, the held-out validation split, their settings and their constraints.

The history, ``history_``, has one format for every trainable model, and meta.json stores it as is under
``"history"``: a dict of per-epoch lists of equal length, one entry per completed epoch::

    epoch            1, 2, ...
    train_loss       mean training loss over the epoch's batches, each taken before its update
    train_accuracy   share of the training texts those batches predicted right (also before each update)
    valid_loss       mean loss on the validation texts after the epoch        (only with validation data)
    valid_accuracy   accuracy on the validation texts after the epoch         (only with validation data)
    seconds          wall-clock seconds of the epoch's training steps (validation not included)

Two fitted attributes go with it (meta.json keeps them under ``"training"``): ``best_epoch_``, the epoch whose
weights the model kept (0: the initial weights), and ``stopped_``, None or why a non-finite loss ended
training early.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from sentilab.errors import ModelError
from sentilab.models.base import STEP_LIST, TOKENIZER, Interval, Options, SentimentModel
from sentilab.progress import show_progress
from sentilab.text.normalize import Normalizer
from sentilab.text.tokenize import get_tokenizer
from sentilab.text.vocab import UNK_ID, Vocabulary

#: The keys of ``history_`` (documented above), in the order they are stored.
HISTORY_KEYS = ("epoch", "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "seconds")


# =========================================================================== 1. the trainer
class TrainingLoop(Protocol):
    """What a model hands :func:`train_epochs`."""

    #: Number of training texts; every epoch's batches cover each of them once.
    n_texts: int
    #: Whether :meth:`validation_scores` has validation data to score.
    has_validation: bool

    def epoch_batches(self) -> list[np.ndarray]:
        """Index batches into the training texts for the next epoch, in training order."""

    def train_step(self, batch: np.ndarray) -> tuple[float, int]:
        """One optimisation step on ``batch``: its mean loss and how many of its texts were predicted right,
        both from before the update. A non-finite loss must leave the weights as they were."""

    def validation_scores(self) -> tuple[float, float]:
        """Mean loss and accuracy on the validation texts."""

    def snapshot(self) -> Any:
        """A copy of the current weights."""

    def restore(self, snapshot: Any) -> None:
        """Put the weights of a :meth:`snapshot` back."""


@dataclass
class EpochState:
    """Where training stands after a completed epoch: what a :class:`Checkpoint` saves and gives back."""

    epoch: int  # epochs completed
    history: dict[str, list]
    best_value: float  # the monitored value of the best epoch so far (inf: none yet)
    best_epoch: int
    bad_epochs: int  # epochs since the best one
    best_state: Any  # a loop.snapshot() of the best epoch's weights; None when that is the last epoch


class Checkpoint(Protocol):
    """Optional for :func:`train_epochs`: saves the loop's full state after every epoch and resumes it."""

    def load(self) -> EpochState | None:
        """Put a saved state (weights, optimizer, random generators) into the loop and return where training
        stands (``best_state`` filled in), or None to start from scratch."""

    def save(self, state: EpochState) -> None:
        """Save the loop's full state and ``state`` (atomically: an interruption leaves the last save whole)."""


@dataclass
class TrainingResult:
    history: dict[str, list]  # the format in the module docstring
    best_epoch: int  # the epoch whose weights were kept; 0: the initial weights
    stopped: str | None  # why a non-finite loss ended training early, else None


def say(line: str, *, quiet: bool = False) -> None:
    """One progress line on stderr, printed above a running progress bar (nothing when ``quiet``)."""
    if not quiet:
        from tqdm import tqdm

        tqdm.write(line, file=sys.stderr)


def train_epochs(
    loop: TrainingLoop,
    *,
    epochs: int,
    patience: int | None = None,
    keep_lowest_training_loss: bool = True,
    quiet: bool = False,
    checkpoint: Checkpoint | None = None,
) -> TrainingResult:
    """Train for up to ``epochs`` epochs and keep the best epoch's weights; returns the history.

    Which epoch is best: the lowest validation loss when there is validation data; without it the lowest
    training loss (``keep_lowest_training_loss``) or simply the last epoch. ``patience``: stop after this many
    epochs without a lower validation loss (None: never stop early). A non-finite training loss stops
    training at once, keeps the best weights so far and warns (RuntimeWarning). ``checkpoint``: saved after
    every completed epoch; when it holds a saved state, training resumes after that epoch.
    """
    history: dict[str, list] = {key: [] for key in HISTORY_KEYS}
    if not loop.has_validation:
        del history["valid_loss"], history["valid_accuracy"]
    monitor = "valid_loss" if loop.has_validation else "train_loss" if keep_lowest_training_loss else None
    best_value, best_state, best_epoch, bad_epochs = math.inf, loop.snapshot(), 0, 0
    stopped, first = None, 1
    resumed = checkpoint.load() if checkpoint is not None else None
    if resumed is not None:
        history, best_value, best_state = resumed.history, resumed.best_value, resumed.best_state
        best_epoch, bad_epochs, first = resumed.best_epoch, resumed.bad_epochs, resumed.epoch + 1
        say(f"resuming after epoch {resumed.epoch} of {epochs} from the checkpoint", quiet=quiet)
        if loop.has_validation and patience is not None and bad_epochs >= patience:
            first = epochs + 1  # it had stopped early
    for epoch in range(first, epochs + 1):
        started = time.perf_counter()
        loss_sum, correct, bad_loss = _train_one_epoch(loop, f"epoch {epoch}/{epochs}", quiet)
        if bad_loss is not None:
            stopped = (
                f"training stopped at epoch {epoch}: the loss became {bad_loss} (not finite); "
                f"kept the weights of epoch {best_epoch}"
                + (" (the initial weights)" if best_epoch == 0 else "")
            )
            break
        seconds = time.perf_counter() - started
        n = loop.n_texts
        record = {
            "epoch": epoch,
            "train_loss": loss_sum / n,
            "train_accuracy": correct / n,
            "seconds": seconds,
        }
        line = f"epoch {epoch}/{epochs}  train loss {loss_sum / n:.4f} acc {correct / n:.3f}"
        if loop.has_validation:
            record["valid_loss"], record["valid_accuracy"] = loop.validation_scores()
            line += f" | valid loss {record['valid_loss']:.4f} acc {record['valid_accuracy']:.3f}"
        for key, value in record.items():
            history[key].append(value)
        current = record[monitor] if monitor else -math.inf
        if not math.isfinite(current) and monitor:
            stopped = f"training stopped at epoch {epoch}: the {monitor.replace('_', ' ')} is {current}"
            break
        improved = monitor is None or current < best_value
        if improved:
            best_value, best_state, best_epoch, bad_epochs = current, loop.snapshot(), epoch, 0
        else:
            bad_epochs += 1
        speed = f"{seconds:.1f}s, {n / max(seconds, 1e-9):,.0f} texts/s"
        say(f"{line}  ({speed}){'  *' if improved and monitor else ''}", quiet=quiet)
        if checkpoint is not None:
            last_is_best = best_epoch == epoch
            state = EpochState(
                epoch, history, best_value, best_epoch, bad_epochs, None if last_is_best else best_state
            )
            checkpoint.save(state)
        if loop.has_validation and patience is not None and bad_epochs >= patience:
            say(f"early stop: no lower validation loss for {patience} epochs", quiet=quiet)
            break
    loop.restore(best_state)
    if stopped:
        warnings.warn(stopped, RuntimeWarning, stacklevel=2)
        say(f"warning: {stopped}", quiet=quiet)
    elif best_epoch and monitor:
        say(f"best epoch {best_epoch} restored ({monitor.replace('_', ' ')} {best_value:.4f})", quiet=quiet)
    return TrainingResult(history, best_epoch, stopped)


def _train_one_epoch(loop: TrainingLoop, description: str, quiet: bool) -> tuple[float, int, float | None]:
    """Sum of batch losses weighted by batch size, texts predicted right, and the first non-finite loss."""
    from tqdm import tqdm

    loss_sum, correct = 0.0, 0
    batches = loop.epoch_batches()
    bar = tqdm(
        total=loop.n_texts,
        desc=description,
        unit="text",
        unit_scale=True,
        leave=False,
        file=sys.stderr,
        disable=not show_progress(not quiet),
    )
    with bar:
        for batch in batches:
            loss, right = loop.train_step(batch)
            if not math.isfinite(loss):
                return loss_sum, correct, loss
            loss_sum += loss * len(batch)
            correct += right
            bar.update(len(batch))
    return loss_sum, correct, None


# =========================================================================== 2. logits
def logits_to_proba(logits: np.ndarray) -> np.ndarray:
    """(B, K) logits -> (B, n_classes) probabilities: sigmoid when K == 1 (two classes), softmax otherwise."""
    logits = np.asarray(logits, dtype=np.float64)
    if logits.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -500, 500)))
        return np.stack([1.0 - p, p], axis=1)
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def loss_and_gradient(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``logits`` (B, K) against class indices ``y`` (B,), and dLoss/dlogits (B, K).

    K == 1: binary cross-entropy with logits, ``max(x, 0) - x·y + log(1 + e^-|x|)`` (stable for any x);
    gradient ``(σ(x) - y) / B``. K > 1: softmax cross-entropy; gradient ``(softmax(x) - onehot(y)) / B``.
    """
    B = logits.shape[0]
    if logits.shape[1] == 1:
        x = logits[:, 0]
        yf = y.astype(logits.dtype)
        loss = np.maximum(x, 0) - x * yf + np.log1p(np.exp(-np.abs(x)))
        p = np.empty_like(x)
        np.negative(x, out=p)
        np.exp(np.clip(p, -80, 80), out=p)
        p += 1.0
        np.reciprocal(p, out=p)
        grad = ((p - yf) / B)[:, None]
        return float(loss.mean()), grad.astype(logits.dtype, copy=False)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    loss = -log_p[np.arange(B), y].mean()
    grad = np.exp(log_p)
    grad[np.arange(B), y] -= 1.0
    grad /= B
    return float(loss), grad.astype(logits.dtype, copy=False)


def predicted_classes(logits: np.ndarray) -> np.ndarray:
    """Class index of each row of (B, K) logits: ``logit > 0`` for one logit, the argmax otherwise."""
    logits = np.asarray(logits)
    return (logits[:, 0] > 0).astype(np.int64) if logits.shape[1] == 1 else logits.argmax(axis=1)


# =========================================================================== 3. the shared recurrent model
RECURRENT_HELP = {
    "tokenizer": "tweet (keeps emoticons, #tags and don't whole), basic_english, whitespace, spacy, toktok, "
    "moses, revtok, subword or wordpiece",
    "normalize": "normalization steps applied before tokenizing, in order (comma-separated)",
    "max_vocab": "keep at most this many most frequent tokens (PAD and UNK come on top)",
    "min_freq": "drop tokens seen fewer times; they become <unk>, which then gets trained too",
    "max_len": "texts longer than this many tokens are truncated (see `keep`)",
    "keep": "which tokens a truncated text keeps: 'last' (the end, next to the final state) or 'first'",
    "embedding_dim": "size of the word vectors (default 100, or the GloVe file's size)",
    "embeddings": "initialise embeddings from GloVe: a dataset (glove-6b-100d, offline) or a file path",
    "freeze_embeddings": "keep the embeddings fixed during training (the classic GloVe setup)",
    "hidden_size": "LSTM hidden state size",
    "num_layers": "stacked LSTM layers",
    "epochs": "maximum passes over the training data",
    "batch_size": "texts per training step",
    "learning_rate": "Adam learning rate",
    "max_grad_norm": "clip the global gradient norm to this (0 turns clipping off)",
    "patience": "stop after this many epochs without a lower validation loss; the best epoch is restored",
    "validation_fraction": "without explicit validation data, hold out this stratified share for early stopping "
    "(0: no early stopping, keep the epoch with the lowest training loss)",
    "random_state": "random seed (initialisation, shuffling, held-out split): the same seed gives the same model",
    "num_threads": "CPU threads for the matrix products (none: the library default). 1 by default: these "
    "small per-step products gain little from threads, and on a busy machine extra threads spin and crawl",
    "verbose": "a progress bar and one line per epoch on stderr (off in Python; `sentilab train` turns it on)",
}

_POSITIVE_INT = Interval(int, 1, None)


class RecurrentModel(SentimentModel):
    """Shared machinery of ``numpy-lstm`` and ``lstm``; subclasses implement the ``_net_*`` hooks."""

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "tokenizer": TOKENIZER,
        "normalize": [STEP_LIST],
        "max_vocab": [_POSITIVE_INT, None],
        "min_freq": [_POSITIVE_INT],
        "max_len": [_POSITIVE_INT],
        "keep": [Options(("first", "last"))],
        "embedding_dim": [_POSITIVE_INT, None],
        "embeddings": [str, None],
        "freeze_embeddings": [bool],
        "hidden_size": [_POSITIVE_INT],
        "num_layers": [_POSITIVE_INT],
        "epochs": [_POSITIVE_INT],
        "batch_size": [_POSITIVE_INT],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "max_grad_norm": [Interval(float, 0, None)],
        "patience": [_POSITIVE_INT],
        "validation_fraction": [Interval(float, 0, 1, closed="left")],
        "random_state": [Interval(int, 0, None)],
        "num_threads": [_POSITIVE_INT, None],
        "verbose": [bool],
    }

    #: Padding side of training/prediction batches. The networks are correct either way (masks / packing);
    #: tests flip it to prove that.
    pad_side: str = "right"

    # ----------------------------------------------------------------- backend hooks
    def _net_build(self, n_outputs: int, embedding: np.ndarray) -> None:
        raise NotImplementedError

    def _net_train_step(self, ids: np.ndarray, mask: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One optimisation step; returns the batch's mean loss and its logits (computed before the update)."""
        raise NotImplementedError

    def _net_logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _net_state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _net_load_state(self, arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def _net_rebuild(self, arrays: dict[str, np.ndarray], n_outputs: int) -> None:
        """Create the network from saved arrays (shapes say the sizes)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- text -> ids
    # Texts become one flat int32 array of token ids plus offsets (ragged rows), padded only per batch: a
    # dense (texts, max_len) int64 matrix, or every text's token list kept at once, would take gigabytes on
    # Sentiment140's 1.6M tweets.
    def _token_lists(self, texts: Iterable[str]) -> Iterator[list[str]]:
        """Normalize and tokenize one text at a time (a generator: nothing is kept)."""
        normalizer = Normalizer(self.normalize or ())
        tokenizer = get_tokenizer(self.tokenizer)
        for text in texts:
            yield tokenizer(normalizer(text))

    def _ragged(self, texts: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of all texts, each truncated to ``max_len`` (keeping its ``keep`` end), concatenated.

        Returns ``flat`` (int32, all ids) and ``offsets`` (int64, n_texts + 1): text k is
        ``flat[offsets[k]:offsets[k+1]]``.
        """
        get, limit, keep_first = self.vocabulary_.stoi.get, self.max_len, self.keep == "first"
        flat, offsets = array("i"), array("q", [0])
        for tokens in self._token_lists(texts):
            if len(tokens) > limit:
                tokens = tokens[:limit] if keep_first else tokens[-limit:]
            flat.extend([get(token, UNK_ID) for token in tokens])
            offsets.append(len(flat))
        return np.array(flat, dtype=np.int32), np.array(offsets, dtype=np.int64)

    def _batch(
        self, flat: np.ndarray, offsets: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Padded ids (B, T) int64 and mask (B, T) bool for ``rows``; T is the longest of them (at least 1)."""
        starts = offsets[rows]
        lengths = offsets[rows + 1] - starts  # (B,)
        width = max(int(lengths.max(initial=0)), 1)
        position = np.arange(width)[None, :]  # (1, T): which token of its text each cell holds
        if self.pad_side == "left":
            position = position - (width - lengths)[:, None]
        mask = (position >= 0) & (position < lengths[:, None])
        ids = np.zeros(mask.shape, dtype=np.int64)  # PAD_ID
        ids[mask] = flat[(starts[:, None] + position)[mask]]
        return ids, mask

    # ----------------------------------------------------------------- fit
    def _fit(self, texts, y, validation) -> None:
        rng = np.random.default_rng(self.random_state)
        n_classes = len(self.classes_)
        if validation is None and self.validation_fraction > 0:
            texts, y, validation = self._hold_out(texts, y, rng)
        # Two passes over the texts (count, then encode) instead of holding every token list in memory.
        self.vocabulary_ = Vocabulary.build(
            self._token_lists(texts), max_size=self.max_vocab, min_freq=self.min_freq
        )
        embedding = self._initial_embedding(rng)
        flat, offsets = self._ragged(texts)
        valid = None
        if validation is not None:
            valid = (*self._ragged(validation[0]), np.asarray(validation[1]))
        self._net_build(1 if n_classes == 2 else n_classes, embedding)
        loop = _RecurrentTraining(self, flat, offsets, np.asarray(y), valid, rng)
        result = train_epochs(loop, epochs=self.epochs, patience=self.patience, quiet=not self.verbose)
        self.history_, self.best_epoch_, self.stopped_ = result.history, result.best_epoch, result.stopped

    def _hold_out(self, texts, y, rng):
        from sklearn.model_selection import train_test_split

        n_valid = int(round(len(texts) * self.validation_fraction))
        counts = np.bincount(y)
        if n_valid < len(counts) or counts.min() < 2 or len(texts) - n_valid < len(counts):
            raise ModelError(
                f"validation_fraction={self.validation_fraction} of {len(texts)} texts is too few to hold out "
                f"a validation set with every class in it (class counts: {counts.tolist()})",
                hint="pass validation=(texts, labels), or set validation_fraction=0 to train without early "
                "stopping",
            )
        seed = int(rng.integers(2**31))
        train_idx, valid_idx = train_test_split(
            np.arange(len(texts)), test_size=n_valid, stratify=y, random_state=seed
        )
        return (
            [texts[i] for i in train_idx],
            y[train_idx],
            ([texts[i] for i in valid_idx], y[valid_idx]),
        )

    def _initial_embedding(self, rng) -> np.ndarray:
        """(V, D) float32: GloVe rows (with seeded vectors for unknown words) or N(0, 0.4²); row 0 zeros."""
        from sentilab.embeddings import OOV_SCALE, embedding_coverage, embedding_matrix, load_glove

        self.embedding_coverage_ = None
        if self.embeddings:
            self._say(
                f"reading word vectors from {self.embeddings} for {len(self.vocabulary_):,} vocabulary entries"
            )
            vectors = load_glove(self.embeddings, vocabulary=self.vocabulary_)
            if self.embedding_dim is not None and self.embedding_dim != vectors.dim:
                raise ModelError(
                    f"embedding_dim={self.embedding_dim} but the vectors from {self.embeddings} have "
                    f"{vectors.dim} dimensions",
                    hint=f"set embedding_dim={vectors.dim} or leave it unset",
                )
            matrix = embedding_matrix(self.vocabulary_, vectors, self.random_state)
            coverage = embedding_coverage(self.vocabulary_, vectors)
            self.embedding_coverage_ = {"words": coverage.words, "found": coverage.found, "oov": coverage.oov}
            self._say(str(coverage))
            return matrix
        dim = self.embedding_dim or 100
        matrix = (rng.standard_normal((len(self.vocabulary_), dim)) * OOV_SCALE).astype(np.float32)
        matrix[0] = 0.0
        return matrix

    def _say(self, line: str) -> None:
        say(line, quiet=not self.verbose)

    def _evaluate(self, flat, offsets, y) -> tuple[float, float]:
        """Mean loss and accuracy on encoded texts (no training)."""
        logits = self._logits(flat, offsets)
        loss, _ = loss_and_gradient(logits, y)
        return loss, float((predicted_classes(logits) == y).mean())

    def _logits(self, flat, offsets, batch_size: int = 512) -> np.ndarray:
        """Logits (n_texts, K) as float64, computed batch by batch in the order of the texts."""
        n = len(offsets) - 1
        parts = [
            np.asarray(
                self._net_logits(*self._batch(flat, offsets, np.arange(start, min(start + batch_size, n))))
            )
            for start in range(0, n, batch_size)
        ]
        return np.concatenate(parts).astype(np.float64)

    # ----------------------------------------------------------------- predict / state
    def _predict_proba(self, texts):
        return logits_to_proba(self._logits(*self._ragged(texts)))

    def _get_state(self):
        data = {"vocab": self.vocabulary_.to_dict(), "embedding_coverage": self.embedding_coverage_}
        return self._net_state(), data

    def _set_state(self, arrays, data):
        self.vocabulary_ = Vocabulary.from_dict(data["vocab"])
        self.embedding_coverage_ = data.get("embedding_coverage")
        n_classes = len(self.classes_)
        self._net_rebuild(arrays, 1 if n_classes == 2 else n_classes)


class _RecurrentTraining:
    """A :class:`TrainingLoop` over ragged token ids, driving a :class:`RecurrentModel`'s ``_net_*`` hooks."""

    def __init__(self, model: RecurrentModel, flat, offsets, y: np.ndarray, valid, rng: np.random.Generator):
        self.model, self.flat, self.offsets, self.y, self.valid, self.rng = (
            model,
            flat,
            offsets,
            y,
            valid,
            rng,
        )
        self.n_texts = len(y)
        self.has_validation = valid is not None

    def epoch_batches(self) -> list[np.ndarray]:
        order = self.rng.permutation(self.n_texts)
        size = self.model.batch_size
        return [order[start : start + size] for start in range(0, self.n_texts, size)]

    def train_step(self, batch: np.ndarray) -> tuple[float, int]:
        ids, mask = self.model._batch(self.flat, self.offsets, batch)
        loss, logits = self.model._net_train_step(ids, mask, self.y[batch])
        return loss, int((predicted_classes(logits) == self.y[batch]).sum())

    def validation_scores(self) -> tuple[float, float]:
        return self.model._evaluate(*self.valid)

    def snapshot(self) -> dict[str, np.ndarray]:
        return self.model._net_state()

    def restore(self, snapshot: dict[str, np.ndarray]) -> None:
        self.model._net_load_state(snapshot)


__all__ = [
    "HISTORY_KEYS",
    "Checkpoint",
    "EpochState",
    "RECURRENT_HELP",
    "RecurrentModel",
    "TrainingLoop",
    "TrainingResult",
    "logits_to_proba",
    "loss_and_gradient",
    "predicted_classes",
    "say",
    "train_epochs",
]
