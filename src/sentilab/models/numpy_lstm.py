"""An LSTM sentiment classifier written from scratch in NumPy (registry name ``numpy-lstm``).

Two parts, top to bottom:

1. :class:`LSTMNetwork`: the network as plain arrays. Embedding -> ``num_layers`` stacked LSTM layers ->
   linear head on the last hidden state; forward, backprop through time, Adam, clipping. No globals: every
   array lives in the object or is passed in.
2. :class:`NumpyLSTMModel`: :class:`~sentilab.models.recurrent.RecurrentModel` (text to ids, batching,
   GloVe, and the shared trainer with early stopping and ``history_``; also used by the PyTorch ``lstm``)
   driving (1).

Notation (shapes in comments): B batch, T time steps, D input size (embedding dim, or H above the first
layer), H hidden size, K outputs (1 for two classes: a sigmoid; the number of classes otherwise: a softmax),
V vocabulary size. Activations are stored time-major and feature-major, ``(T, features, B)``, so that one
time step is a contiguous block and each gate is a contiguous (H, B) block within it.

Gate order and weight layout are PyTorch's (input ``i``, forget ``f``, cell candidate ``g``, output ``o``),
fused into one ``4H``-row pre-activation so that each step is a single ``(4H, H) @ (H, B)`` matmul, and the
input part of every step is computed before the loop in one call::

    z_t = W_ih x_t + W_hh h_{t-1} + b                   (4H, B)
    i = σ(z[0:H])   f = σ(z[H:2H])   g = tanh(z[2H:3H])   o = σ(z[3H:4H])
    c_t = f ⊙ c_{t-1} + i ⊙ g                           (H, B)
    h_t = o ⊙ tanh(c_t)                                 (H, B)
    logits = W_head h_T + b_head                        (K, B), returned as (B, K)

Padding: where the mask is 0 a step is skipped, i.e. ``h`` and ``c`` are carried through unchanged. So the
final state is the state after the last real token whichever side the padding is on, and a text with no
tokens at all ends in ``h = 0`` (the prediction is then the head's bias: the training prior, roughly).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, ClassVar, Literal

import numpy as np

from sentilab.errors import ModelError
from sentilab.models.base import Options
from sentilab.models.recurrent import RECURRENT_HELP, RecurrentModel, loss_and_gradient
from sentilab.text.normalize import DEFAULT_STEPS

BETA1, BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


# =========================================================================== 1. the network
def _sigmoid_(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), in place. Via σ(x) = ½·tanh(½x) + ½: one transcendental call, no overflow."""
    x *= 0.5
    np.tanh(x, out=x)
    x *= 0.5
    x += 0.5
    return x


def _orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random (n, n) orthogonal matrix (QR of a Gaussian, signs fixed so it is uniformly distributed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


class LSTMNetwork:
    """Embedding -> stacked LSTM -> linear head, in NumPy. Parameters live in one flat vector.

    ``params[name]`` are views into ``self.theta`` and ``grads[name]`` views into ``self.grad`` (same layout),
    so Adam and gradient clipping are a handful of whole-vector operations instead of a loop over arrays.
    A frozen embedding is kept outside the flat vector: it is neither updated nor given a gradient.

    Parameter names and shapes follow ``torch.nn.LSTM`` / ``nn.Linear`` (so weights copy over one to one)::

        embedding       (V, D)      row 0 is padding (zeros)
        lstm.{l}.W_ih   (4H, D_l)   D_0 = D, D_l = H above the first layer; rows are gates [i f g o]
        lstm.{l}.W_hh   (4H, H)
        lstm.{l}.b      (4H,)       one bias (PyTorch has two, b_ih + b_hh, that add up to this one)
        head.W          (K, H)
        head.b          (K,)

    Activations are stored feature-major, ``(T, features, B)``: then each gate's rows of ``z_t`` (4H, B) are
    one contiguous (H, B) block, and every elementwise operation below runs on contiguous memory (strided
    gate slices of a (B, 4H) layout made those operations about five times slower).
    """

    def __init__(
        self,
        embedding: np.ndarray,
        *,
        hidden_size: int,
        num_layers: int,
        n_outputs: int,
        train_embedding: bool = True,
        random_state: int = 0,
        dtype: Any = np.float32,
    ):
        self.dtype = np.dtype(dtype)
        self.hidden_size, self.num_layers, self.n_outputs = hidden_size, num_layers, n_outputs
        self.train_embedding = train_embedding
        V, D = embedding.shape
        H, K = hidden_size, n_outputs
        shapes: dict[str, tuple[int, ...]] = {}
        if train_embedding:
            shapes["embedding"] = (V, D)
        for layer in range(num_layers):
            d_in = D if layer == 0 else H
            shapes[f"lstm.{layer}.W_ih"] = (4 * H, d_in)
            shapes[f"lstm.{layer}.W_hh"] = (4 * H, H)
            shapes[f"lstm.{layer}.b"] = (4 * H,)
        shapes["head.W"] = (K, H)
        shapes["head.b"] = (K,)
        self.shapes = shapes
        size = sum(math.prod(s) for s in shapes.values())
        self.theta = np.zeros(size, dtype=self.dtype)  # all trainable parameters, flat
        self.grad = np.zeros(size, dtype=self.dtype)  # their gradients, same layout
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        offset = 0
        for name, shape in shapes.items():
            n = math.prod(shape)
            self.params[name] = self.theta[offset : offset + n].reshape(shape)
            self.grads[name] = self.grad[offset : offset + n].reshape(shape)
            offset += n
        if not train_embedding:
            self.params["embedding"] = np.ascontiguousarray(embedding, dtype=self.dtype)
        self._initialise(np.random.default_rng(random_state), embedding)
        # Adam state: first and second moments, and the step count for bias correction.
        self.adam_m = np.zeros_like(self.theta)
        self.adam_v = np.zeros_like(self.theta)
        self.adam_t = 0
        self._adam_scratch: np.ndarray | None = None
        self._touched_rows: np.ndarray | None = None  # embedding rows given a gradient by the last step

    def _initialise(self, rng: np.random.Generator, embedding: np.ndarray) -> None:
        H = self.hidden_size
        if self.train_embedding:
            self.params["embedding"][...] = embedding
        for layer in range(self.num_layers):
            W_ih, W_hh, b = (self.params[f"lstm.{layer}.{n}"] for n in ("W_ih", "W_hh", "b"))
            for gate in range(4):  # each gate's block gets its own Glorot / orthogonal init
                rows = slice(gate * H, (gate + 1) * H)
                W_ih[rows] = _glorot(rng, H, W_ih.shape[1])
                W_hh[rows] = _orthogonal(rng, H)
            b[...] = 0.0
            b[H : 2 * H] = 1.0  # forget-gate bias 1: remember by default early in training (Jozefowicz 2015)
        self.params["head.W"][...] = _glorot(rng, self.n_outputs, H)
        self.params["head.b"][...] = 0.0

    # ----------------------------------------------------------------- forward
    def forward(self, ids: np.ndarray, mask: np.ndarray, *, keep_cache: bool = True):
        """Logits (B, K) for token ids (B, T) and mask (B, T), and the cache that :meth:`backward` needs."""
        ids_tb = np.ascontiguousarray(ids.T)  # (T, B)
        m_tb = np.ascontiguousarray(mask.T)  # (T, B) bool
        full = m_tb.all(axis=1)  # (T,) steps where no text is padding: masking can be skipped there
        m_float = m_tb[:, None, :].astype(self.dtype)  # (T, 1, B)
        # embedding lookup, then feature-major: (T, B, D) -> (T, D, B)
        x = np.ascontiguousarray(self.params["embedding"][ids_tb].transpose(0, 2, 1))
        layers = []
        for layer in range(self.num_layers):
            cache = _lstm_layer_forward(
                x,
                m_tb,
                full,
                self.params[f"lstm.{layer}.W_ih"],
                self.params[f"lstm.{layer}.W_hh"],
                self.params[f"lstm.{layer}.b"],
            )
            layers.append(cache)
            x = cache["h"][1:]  # (T, H, B): this layer's outputs are the next layer's inputs
        h_last = layers[-1]["h"][-1]  # (H, B): the state after the last real token (masked steps carry it)
        logits = (self.params["head.W"] @ h_last).T + self.params["head.b"]  # (B, K) = ((K, H) @ (H, B))ᵀ
        if not keep_cache:
            return logits, None
        return logits, {"ids": ids_tb, "m": m_float, "full": full, "layers": layers, "h_last": h_last}

    # ----------------------------------------------------------------- backward
    def backward(self, d_logits: np.ndarray, cache: dict) -> None:
        """Fill ``self.grads`` with dLoss/dparam, given dLoss/dlogits (B, K) and the forward cache."""
        g = self.grads
        d_logits = np.ascontiguousarray(d_logits, dtype=self.dtype)
        # head: logits = h_lastᵀ Wᵀ + b
        np.matmul(d_logits.T, cache["h_last"].T, out=g["head.W"])  # (K, H) = (K, B) @ (B, H)
        np.sum(d_logits, axis=0, out=g["head.b"])  # (K,)
        d_h_last = self.params["head.W"].T @ d_logits.T  # (H, B) = (H, K) @ (K, B)
        d_out: np.ndarray | None = None  # dLoss/d(outputs of the layer above), (T, D_l, B)
        for layer in reversed(range(self.num_layers)):
            d_out = _lstm_layer_backward(
                cache["layers"][layer],
                d_h_last if layer == self.num_layers - 1 else None,
                d_out,
                cache["m"],
                cache["full"],
                self.params[f"lstm.{layer}.W_ih"],
                self.params[f"lstm.{layer}.W_hh"],
                g[f"lstm.{layer}.W_ih"],
                g[f"lstm.{layer}.W_hh"],
                g[f"lstm.{layer}.b"],
                need_dx=layer > 0 or self.train_embedding,
            )
        if self.train_embedding:
            self._embedding_gradient(cache["ids"], d_out)

    def _embedding_gradient(self, ids_tb: np.ndarray, dx: np.ndarray) -> None:
        """dE[ids[t, b]] += dx[t, :, b], summing over repeated tokens.

        A sparse (unique tokens x T·B) 0/1 matrix times the (T·B, D) gradients sums the repeats in C;
        np.add.at does the same about five times slower. Only the rows the previous step touched are zeroed
        (dE is mostly zeros).
        """
        from scipy.sparse import csr_matrix

        dE = self.grads["embedding"]
        if self._touched_rows is not None:
            dE[self._touched_rows] = 0.0
        flat_ids = ids_tb.ravel()  # (T·B,)
        rows = dx.transpose(0, 2, 1).reshape(len(flat_ids), -1)  # (T·B, D), same (t, b) order as flat_ids
        unique, inverse = np.unique(flat_ids, return_inverse=True)
        n = len(flat_ids)
        onehot = csr_matrix((np.ones(n, dtype=dx.dtype), (inverse, np.arange(n))), shape=(len(unique), n))
        dE[unique] = onehot @ rows
        self._touched_rows = unique

    # ----------------------------------------------------------------- optimisation
    def clip_gradients(self, max_norm: float) -> float:
        """Scale all gradients together so that their global L2 norm is at most ``max_norm``; return the norm."""
        norm = float(np.sqrt(np.dot(self.grad, self.grad)))
        if max_norm and norm > max_norm:
            self.grad *= max_norm / (norm + 1e-12)
        return norm

    def adam_step(self, learning_rate: float) -> None:
        """One Adam update of every trainable parameter (Kingma & Ba 2015, with bias correction)::

        m ← β1 m + (1-β1) g          v ← β2 v + (1-β2) g²
        θ ← θ - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)        (lr = learning_rate)
        """
        self.adam_t += 1
        t = self.adam_t
        g, m, v = self.grad, self.adam_m, self.adam_v
        if self._adam_scratch is None:
            self._adam_scratch = np.empty_like(self.theta)
        s = self._adam_scratch  # one reused buffer: a trainable embedding makes these vectors millions long,
        # and a fresh temporary per operation would be a fresh page-faulted allocation every step
        np.subtract(m, g, out=s)  # m ← m - (1-β1)(m - g)  ==  β1 m + (1-β1) g
        s *= 1.0 - BETA1
        m -= s
        np.multiply(g, g, out=s)  # v ← v + (1-β2)(g² - v)  ==  β2 v + (1-β2) g²
        s -= v
        s *= 1.0 - BETA2
        v += s
        np.sqrt(v, out=s)  # sqrt(v̂) + ε with v̂ = v / (1-β2^t)
        s *= 1.0 / math.sqrt(1.0 - BETA2**t)
        s += ADAM_EPS
        np.divide(m, s, out=s)  # m̂ / (sqrt(v̂) + ε) with m̂ = m / (1-β1^t)
        s *= learning_rate / (1.0 - BETA1**t)
        self.theta -= s

    # ----------------------------------------------------------------- state
    def state(self) -> dict[str, np.ndarray]:
        """Copies of every parameter (the frozen embedding included), by name."""
        return {name: np.array(value, copy=True) for name, value in self.params.items()}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for name, value in arrays.items():
            if name not in self.params:
                raise ModelError(f"unexpected weight {name!r} for this numpy-lstm configuration")
            if self.params[name].shape != value.shape:
                raise ModelError(
                    f"weight {name!r} has shape {value.shape} but this configuration needs "
                    f"{self.params[name].shape}"
                )
            self.params[name][...] = value


def _lstm_layer_forward(x, m_tb, full, W_ih, W_hh, b) -> dict:
    """One LSTM layer over all time steps, feature-major.

    x (T, D, B); m_tb (T, B) bool; full (T,) bool; W_ih (4H, D), W_hh (4H, H), b (4H,).
    Returns the cache: ``gates`` (T, 4H, B) after their nonlinearities, ``h`` and ``c`` (T+1, H, B) with the
    zero initial state at index 0, ``tanh_c`` = tanh(c_t) (T, H, B), and ``x``.
    """
    T, _, B = x.shape
    H = W_hh.shape[1]
    dt = W_hh.dtype
    # Input projection of every step in one call: (4H, D) @ (T, D, B) -> (T, 4H, B); bias added once.
    gates = np.matmul(W_ih, x)
    gates += b[:, None]
    h = np.zeros((T + 1, H, B), dtype=dt)
    c = np.zeros((T + 1, H, B), dtype=dt)
    tanh_c = np.empty((T, H, B), dtype=dt)
    recurrent = np.empty((4 * H, B), dtype=dt)  # scratch for W_hh h_{t-1}
    ig = np.empty((H, B), dtype=dt)
    for t in range(T):
        z = gates[t]  # (4H, B), becomes [i; f; g; o] in place
        np.matmul(W_hh, h[t], out=recurrent)  # (4H, H) @ (H, B)
        z += recurrent
        _sigmoid_(z[: 2 * H])  # i, f
        np.tanh(z[2 * H : 3 * H], out=z[2 * H : 3 * H])  # g
        _sigmoid_(z[3 * H :])  # o
        i, f, g, o = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        c_t, h_t = c[t + 1], h[t + 1]  # written in place in the cache
        np.multiply(f, c[t], out=c_t)  # c_t = f ⊙ c_{t-1} + i ⊙ g
        np.multiply(i, g, out=ig)
        c_t += ig
        np.tanh(c_t, out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h_t)  # h_t = o ⊙ tanh(c_t)
        if not full[t]:  # padded texts carry their previous state through this step instead
            padded = ~m_tb[t][None, :]  # (1, B)
            np.copyto(c_t, c[t], where=padded)
            np.copyto(h_t, h[t], where=padded)
    return {"x": x, "gates": gates, "h": h, "c": c, "tanh_c": tanh_c}


def _lstm_layer_backward(
    cache, d_h_final, d_out, m_float, full, W_ih, W_hh, gW_ih, gW_hh, gb, *, need_dx
) -> np.ndarray | None:
    """Backprop through time for one layer: writes gW_ih, gW_hh, gb; returns dLoss/dx (T, D, B) or None.

    ``d_h_final`` (H, B) is the gradient on the final state (top layer only); ``d_out`` (T, H, B) the
    gradient on every step's output (from the layer above). Walking back from t = T-1 to 0::

        dh = d_out[t] + dh_next                      everything that reaches h_t
        do = dh ⊙ tanh(c_t)
        dc = dc_next + dh ⊙ o ⊙ (1 - tanh²(c_t))     ← this step's dh: h_t = o ⊙ tanh(c_t) depends on c_t
        di = dc ⊙ g     dg = dc ⊙ i     df = dc ⊙ c_{t-1}
        dz = [di ⊙ i(1-i); df ⊙ f(1-f); dg ⊙ (1-g²); do ⊙ o(1-o)]              (4H, B)
        dh_next = W_hhᵀ dz      dc_next = dc ⊙ f

    On a masked step (m = 0) the state was carried, so dz = 0 there and dh, dc pass straight through:
    dh_next = m ⊙ (W_hhᵀ dz) + (1-m) ⊙ dh, likewise dc. The weight gradients are sums over steps, done after
    the loop as single large matmuls: dW_hh = Σ_t dz_t h_{t-1}ᵀ, dW_ih = Σ_t dz_t x_tᵀ, db = Σ_t dz_t 1.
    """
    gates, h, c, tanh_c, x = cache["gates"], cache["h"], cache["c"], cache["tanh_c"], cache["x"]
    T, H4, B = gates.shape
    H = H4 // 4
    dt = gates.dtype
    dZ = np.empty((T, H4, B), dtype=dt)
    dh = np.zeros((H, B), dtype=dt) if d_h_final is None else np.array(d_h_final, dtype=dt)
    dc = np.zeros((H, B), dtype=dt)
    dc_t = np.empty((H, B), dtype=dt)
    tmp = np.empty((H, B), dtype=dt)
    dh_prev = np.empty((H, B), dtype=dt)
    W_hh_T = W_hh.T  # (H, 4H) view; BLAS reads it transposed, no copy
    for t in reversed(range(T)):
        if d_out is not None:
            dh += d_out[t]
        z = gates[t]
        i, f, g, o = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
        dz = dZ[t]
        dz_i, dz_f, dz_g, dz_o = dz[:H], dz[H : 2 * H], dz[2 * H : 3 * H], dz[3 * H :]
        if full[t]:
            dh_m = dh
            np.copyto(dc_t, dc)
        else:
            m = m_float[t]  # (1, B)
            dh_m = dh * m
            np.multiply(dc, m, out=dc_t)
        tc = tanh_c[t]
        np.multiply(dh_m, tc, out=dz_o)  # do = dh ⊙ tanh(c_t), then through σ: ⊙ o(1-o)
        np.subtract(1.0, o, out=tmp)
        tmp *= o
        dz_o *= tmp
        np.multiply(tc, tc, out=tmp)  # dc += dh ⊙ o ⊙ (1 - tanh²(c_t))
        np.subtract(1.0, tmp, out=tmp)
        tmp *= o
        tmp *= dh_m
        dc_t += tmp
        np.subtract(1.0, i, out=tmp)  # dz_i = dc ⊙ g ⊙ i(1-i)
        tmp *= i
        tmp *= g
        np.multiply(dc_t, tmp, out=dz_i)
        np.subtract(1.0, f, out=tmp)  # dz_f = dc ⊙ c_{t-1} ⊙ f(1-f)
        tmp *= f
        tmp *= c[t]
        np.multiply(dc_t, tmp, out=dz_f)
        np.multiply(g, g, out=tmp)  # dz_g = dc ⊙ i ⊙ (1-g²)
        np.subtract(1.0, tmp, out=tmp)
        tmp *= i
        np.multiply(dc_t, tmp, out=dz_g)
        np.matmul(W_hh_T, dz, out=dh_prev)  # (H, 4H) @ (4H, B): on to step t-1
        if full[t]:
            np.multiply(dc_t, f, out=dc)
            dh, dh_prev = dh_prev, dh
        else:
            carry = 1.0 - m_float[t]
            dh *= carry
            dh += dh_prev
            dc *= carry
            dc_t *= f
            dc += dc_t
    # Sums over steps and batch as single GEMMs over T·B columns: (4H, T·B) @ (T·B, ·).
    dZ_cols = dZ.transpose(1, 0, 2).reshape(H4, T * B)
    np.matmul(dZ_cols, h[:-1].transpose(0, 2, 1).reshape(T * B, H), out=gW_hh)  # Σ_t dz_t h_{t-1}ᵀ
    np.matmul(dZ_cols, x.transpose(0, 2, 1).reshape(T * B, -1), out=gW_ih)  # Σ_t dz_t x_tᵀ
    np.sum(dZ_cols, axis=1, out=gb)
    if not need_dx:
        return None
    return np.matmul(W_ih.T, dZ)  # dx_t = W_ihᵀ dz_t: (D, 4H) @ (T, 4H, B) -> (T, D, B)


def _blas_threads(n: int | None):
    """Limit BLAS (OpenBLAS/MKL) to ``n`` threads inside the block (None: leave it alone)."""
    if n is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency

    return threadpool_limits(limits=n, user_api="blas")


# =========================================================================== 2. numpy-lstm
class NumpyLSTMModel(RecurrentModel):
    """An LSTM written from scratch in NumPy: batched, masked, backprop through time, Adam.

    Embedding (random, or GloVe: frozen or trainable) -> ``num_layers`` LSTM layers -> a sigmoid head for two
    classes or a softmax head for more. Gradients are checked against finite differences and PyTorch in the
    tests. ``dtype='float64'`` trades speed for precision.
    """

    name = "numpy-lstm"
    param_help = {
        **RECURRENT_HELP,
        "dtype": "float32 (fast) or float64 (exact enough for gradient checks)",
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **RecurrentModel._parameter_constraints,
        "dtype": [Options(("float32", "float64"))],
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
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 0.002,
        max_grad_norm: float = 5.0,
        patience: int = 3,
        validation_fraction: float = 0.1,
        random_state: int = 0,
        dtype: Literal["float32", "float64"] = "float32",
        num_threads: int | None = 1,
        verbose: bool = False,
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
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_grad_norm = max_grad_norm
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.dtype = dtype
        self.num_threads = num_threads
        self.verbose = verbose

    @classmethod
    def contract_params(cls) -> dict[str, Any]:
        return {
            "min_freq": 1,
            "embedding_dim": 16,
            "hidden_size": 16,
            "epochs": 40,
            "batch_size": 8,
            "learning_rate": 0.02,
            "validation_fraction": 0.0,
        }

    def _fit(self, texts, y, validation) -> None:
        with _blas_threads(self.num_threads):
            super()._fit(texts, y, validation)

    def _predict_proba(self, texts):
        with _blas_threads(self.num_threads):
            return super()._predict_proba(texts)

    def _net_build(self, n_outputs, embedding):
        self.network_ = LSTMNetwork(
            embedding,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            n_outputs=n_outputs,
            train_embedding=not self.freeze_embeddings,
            random_state=self.random_state,
            dtype=self.dtype,
        )

    def _net_train_step(self, ids, mask, y):
        net = self.network_
        logits, cache = net.forward(ids, mask)
        loss, d_logits = loss_and_gradient(logits, y)
        if not math.isfinite(loss):
            return loss, logits
        net.backward(d_logits, cache)
        net.clip_gradients(self.max_grad_norm)
        net.adam_step(self.learning_rate)
        return loss, logits

    def _net_logits(self, ids, mask):
        return self.network_.forward(ids, mask, keep_cache=False)[0]

    def _net_state(self):
        return self.network_.state()

    def _net_load_state(self, arrays):
        self.network_.load_state(arrays)

    def _net_rebuild(self, arrays, n_outputs):
        embedding = arrays.get("embedding")
        if embedding is None or "head.W" not in arrays:
            raise ModelError("the saved numpy-lstm weights lack 'embedding' or 'head.W'; re-save the model")
        self.network_ = LSTMNetwork(
            embedding,
            hidden_size=arrays["head.W"].shape[1],
            num_layers=sum(1 for k in arrays if k.endswith(".W_hh")),
            n_outputs=n_outputs,
            train_embedding=not self.freeze_embeddings,
            dtype=self.dtype,
        )
        self.network_.load_state(arrays)
