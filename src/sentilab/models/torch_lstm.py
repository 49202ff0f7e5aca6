"""The PyTorch LSTM sentiment classifier (registry name ``lstm``; needs the ``torch`` extra).

Embedding (random, or GloVe: frozen or trainable) -> stacked ``nn.LSTM`` (optionally bidirectional) over
packed sequences -> dropout -> linear head. Two classes: one logit, sigmoid + binary cross-entropy; more:
one logit per class, softmax + cross-entropy. Adam, gradient clipping, early stopping on validation loss with
the best epoch restored, ``history_``, a progress bar and one line per epoch: all shared with ``numpy-lstm``
through :class:`~sentilab.models.recurrent.RecurrentModel`, so the two differ only in the network.

Packing makes padding irrelevant: the LSTM runs exactly ``length`` steps per text, and the final states
``h_n`` are the states after each text's last real token. Left-padded batches are re-aligned to the left
before packing, so the result is the same whichever side is padded. A text with no tokens cannot be packed
(length 0); it runs one step and its final state is then set to zero, which is what ``numpy-lstm`` computes
for it too (the prediction is the head's bias).

Determinism: the same ``random_state`` gives the same model (initialisation, dropout and shuffling are all
seeded; the global torch random state is restored after ``fit``). Weights are saved as safetensors by the
base class, always as CPU tensors.

``device`` (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``; see :mod:`sentilab.models.devices`): where the
network trains and predicts. It is resolved at each ``fit`` and prediction, so a model trained on a GPU loads
anywhere and predicts on the CPU with ``device="auto"`` (or ``"cpu"``); asking for a GPU on a machine without
one is a clear error.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Literal

import numpy as np

from sentilab.errors import ModelError, require
from sentilab.models.base import Interval
from sentilab.models.devices import DEVICE, DEVICE_HELP, prepare_torch_import, resolve_device
from sentilab.models.recurrent import RECURRENT_HELP, RecurrentModel
from sentilab.text.normalize import DEFAULT_STEPS

prepare_torch_import()
torch = require("torch", "torch", feature="the 'lstm' model")
nn = torch.nn


@contextlib.contextmanager
def _torch_threads(n: int | None):
    """Run with ``n`` torch CPU threads, then restore the previous setting (None: leave it alone)."""
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class LSTMClassifier(nn.Module):
    """ids (B, T) + mask (B, T) -> logits (B, K)."""

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_layers: int,
        n_outputs: int,
        *,
        bidirectional: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            embedding_dim,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,  # between stacked layers; torch warns for one layer
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), n_outputs)
        self.bidirectional = bidirectional
        with torch.no_grad():  # forget-gate bias 1 (gate order i, f, g, o), as in numpy-lstm
            for name, param in self.lstm.named_parameters():
                if name.startswith("bias_ih"):
                    param[hidden_size : 2 * hidden_size] = 1.0
                elif name.startswith("bias_hh"):
                    param[hidden_size : 2 * hidden_size] = 0.0

    def forward(self, ids, mask):
        lengths = mask.sum(dim=1)  # (B,)
        positions = torch.arange(ids.shape[1], device=ids.device)
        left_aligned = positions[None, :] < lengths[:, None]  # what packing assumes: tokens first
        if not torch.equal(mask, left_aligned):
            # move each row's tokens to the front, keeping their order (stable sort of "is padding")
            order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
            ids = ids.gather(1, order)
        x = self.embedding(ids)  # (B, T, D)
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h_n, _) = self.lstm(packed)  # h_n: (num_layers * directions, B, H), the last layer last
        final = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.bidirectional else h_n[-1]  # (B, H * dirs)
        final = final * (lengths > 0).unsqueeze(1).to(final.dtype)  # empty texts: the zero state
        return self.head(self.dropout(final))  # (B, K)


class TorchLSTMModel(RecurrentModel):
    """Embedding -> stacked (bi)LSTM -> dropout -> linear head, in PyTorch, with packed sequences."""

    name = "lstm"
    param_help = {
        **RECURRENT_HELP,
        "bidirectional": "read each text in both directions and join the two final states",
        "dropout": "dropout on the final state (and between stacked layers) during training",
        "device": DEVICE_HELP,
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **RecurrentModel._parameter_constraints,
        "bidirectional": [bool],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "device": [DEVICE],
    }

    def __init__(
        self,
        *,
        tokenizer: str = "tweet",
        normalize: tuple[str, ...] = DEFAULT_STEPS,
        max_vocab: int | None = 20_000,
        min_freq: int = 2,
        max_len: int = 100,
        keep: Literal["first", "last"] = "last",
        embedding_dim: int | None = None,
        embeddings: str | None = None,
        freeze_embeddings: bool = False,
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.3,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        max_grad_norm: float = 5.0,
        patience: int = 3,
        validation_fraction: float = 0.1,
        random_state: int = 0,
        num_threads: int | None = 1,
        verbose: bool = False,
        device: str = "auto",
    ):
        self.tokenizer = tokenizer
        self.normalize = normalize
        self.max_vocab = max_vocab
        self.min_freq = min_freq
        self.max_len = max_len
        self.keep = keep
        self.embedding_dim = embedding_dim
        self.embeddings = embeddings
        self.freeze_embeddings = freeze_embeddings
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_grad_norm = max_grad_norm
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.num_threads = num_threads
        self.verbose = verbose
        self.device = device

    @classmethod
    def contract_params(cls) -> dict[str, Any]:
        return {
            "min_freq": 1,
            "embedding_dim": 16,
            "hidden_size": 16,
            "dropout": 0.0,
            "epochs": 40,
            "batch_size": 8,
            "learning_rate": 0.02,
            "validation_fraction": 0.0,
        }

    def _fit(self, texts, y, validation) -> None:
        self._device = resolve_device(self.device)  # first: a missing GPU is refused before any work
        cuda = [self._device] if self._device.type == "cuda" else []
        # Seed torch for initialisation and dropout without disturbing the caller's global random state.
        with torch.random.fork_rng(devices=cuda), _torch_threads(self.num_threads):
            torch.manual_seed(self.random_state)
            super()._fit(texts, y, validation)

    def _predict_proba(self, texts):
        self._device = resolve_device(self.device)
        self.module_.to(self._device)
        with _torch_threads(self.num_threads):
            return super()._predict_proba(texts)

    # ----------------------------------------------------------------- backend hooks
    def _module(self, vocab_size: int, embedding_dim: int, n_outputs: int) -> LSTMClassifier:
        return LSTMClassifier(
            vocab_size,
            embedding_dim,
            self.hidden_size,
            self.num_layers,
            n_outputs,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
        )

    def _net_build(self, n_outputs, embedding):
        module = self._module(embedding.shape[0], embedding.shape[1], n_outputs)
        with torch.no_grad():
            module.embedding.weight.copy_(torch.from_numpy(embedding))
        module.embedding.weight.requires_grad_(not self.freeze_embeddings)
        self.module_ = module.to(self._device)
        self._optimizer = torch.optim.Adam(
            [p for p in module.parameters() if p.requires_grad], lr=self.learning_rate, betas=(0.9, 0.999)
        )

    def _loss(self, logits, y):
        if logits.shape[1] == 1:
            return nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))
        return nn.functional.cross_entropy(logits, y)

    def _net_train_step(self, ids, mask, y):
        module, device = self.module_, self._device
        module.train()
        logits = module(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
        loss = self._loss(logits, torch.from_numpy(np.asarray(y, dtype=np.int64)).to(device))
        value = float(loss.item())
        if np.isfinite(value):
            self._optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.max_grad_norm:
                nn.utils.clip_grad_norm_(module.parameters(), self.max_grad_norm)
            self._optimizer.step()
        return value, logits.detach().cpu().numpy()

    def _net_logits(self, ids, mask):
        module, device = self.module_, self._device
        module.eval()
        with torch.inference_mode():
            return module(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)).cpu().numpy()

    def _net_state(self):
        return {name: t.detach().cpu().numpy().copy() for name, t in self.module_.state_dict().items()}

    def _net_load_state(self, arrays):
        try:
            self.module_.load_state_dict(  # copies into the module's tensors, on whatever device they are
                {name: torch.from_numpy(np.asarray(a)) for name, a in arrays.items()}
            )
        except RuntimeError as exc:
            raise ModelError(f"the saved lstm weights do not fit this configuration: {exc}") from None

    def _net_rebuild(self, arrays, n_outputs):
        embedding = arrays.get("embedding.weight")
        if embedding is None:
            raise ModelError("the saved lstm weights lack 'embedding.weight'; re-save the model")
        self.module_ = self._module(
            embedding.shape[0], embedding.shape[1], n_outputs
        )  # on the CPU: prediction
        self._net_load_state(arrays)  # moves it to `device`
