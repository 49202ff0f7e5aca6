"""LSTM training throughput: numpy-lstm vs a naive per-sample NumPy LSTM vs the PyTorch ``lstm`` model.

Headline configuration (issue 4): hidden 64, 100-d embeddings, 20-token texts, batch 64, one layer, frozen
embeddings (the tutorial setup: GloVe vectors are the inputs), training steps = forward + backward +
clipping + Adam. Also hidden 128 and 256, and hidden 64 with trainable embeddings (numpy vs torch only).

* **naive**: the same model written the way the classic "LSTM from scratch" tutorial does it: one sample at a
  time, column vectors, a Python function per gate, ``[h; x]`` concatenated, one dictionary of caches per
  step, gradients and Adam state in dictionaries. It is checked against numpy-lstm first (same weights,
  same batch, one step: same loss and same updated weights), so the speed-up is for the same computation.
* **numpy-lstm** and **torch lstm**: the models' own training step (``_net_train_step``) on the same data.

Timings are interleaved (numpy, torch, numpy, torch, ...) so that both see the same machine load, and the
median round is reported. Peak memory is measured in a fresh subprocess per implementation, for both the same
way: the highest anonymous resident memory (``RssAnon`` in /proc/self/status, sampled every 0.2 ms by a
thread) during four training steps, minus its value just before them (file-backed pages such as shared
libraries are left out: under memory pressure they come and go and say nothing about the model). For numpy
also the ``tracemalloc`` peak (NumPy reports its allocations to tracemalloc; torch's allocator does not).

Run: ``python benchmarks/bench_lstm.py`` (about a minute on an idle machine; ``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _set_threads(n: int) -> None:
    # Before numpy/torch are imported: BLAS reads these once at load time.
    for name in THREAD_VARIABLES:
        os.environ[name] = str(n)


if __name__ == "__main__":  # parse --threads early, before the heavy imports
    _early = argparse.ArgumentParser(add_help=False)
    _early.add_argument("--threads", type=int, default=1)
    _set_threads(_early.parse_known_args()[0].threads)

import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

BATCH, STEPS_T, DIM = 64, 20, 100
VOCAB = 20_000


# =========================================================================== the naive reference
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class NaiveLSTM:
    """The classic tutorial LSTM: per sample, per gate, dictionaries of caches. Same model as numpy-lstm."""

    def __init__(self, params: dict[str, np.ndarray], embedding: np.ndarray):
        self.p = params  # Wf, Wi, Wc, Wo (H, H+D); bf, bi, bc, bo (H, 1); Wy (1, H); by (1, 1)
        self.embedding = embedding
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def forget_gate(self, concat):
        return sigmoid(self.p["Wf"] @ concat + self.p["bf"])

    def input_gate(self, concat):
        return sigmoid(self.p["Wi"] @ concat + self.p["bi"])

    def cell_candidate(self, concat):
        return np.tanh(self.p["Wc"] @ concat + self.p["bc"])

    def output_gate(self, concat):
        return sigmoid(self.p["Wo"] @ concat + self.p["bo"])

    def cell_forward(self, x, h_prev, c_prev):
        concat = np.vstack((h_prev, x))
        f = self.forget_gate(concat)
        i = self.input_gate(concat)
        c_bar = self.cell_candidate(concat)
        o = self.output_gate(concat)
        c = f * c_prev + i * c_bar
        h = o * np.tanh(c)
        cache = {"concat": concat, "f": f, "i": i, "c_bar": c_bar, "o": o, "c": c, "c_prev": c_prev, "h": h}
        return h, c, cache

    def forward(self, token_ids):
        hidden = self.p["Wf"].shape[0]
        h = np.zeros((hidden, 1), dtype=self.p["Wf"].dtype)
        c = np.zeros_like(h)
        caches = {}
        for t, token in enumerate(token_ids):
            x = self.embedding[token].reshape(-1, 1)
            h, c, caches[t] = self.cell_forward(x, h, c)
        y_hat = sigmoid(self.p["Wy"] @ h + self.p["by"])
        return y_hat, caches

    def backward(self, y_hat, label, caches, grads, scale):
        hidden = self.p["Wf"].shape[0]
        dy = (y_hat - label) * scale  # d(mean BCE)/d(logit)
        h_last = caches[len(caches) - 1]["h"]
        grads["Wy"] += dy @ h_last.T
        grads["by"] += dy
        dh_next = self.p["Wy"].T @ dy
        dc_next = np.zeros_like(dh_next)
        for t in reversed(range(len(caches))):
            cache = caches[t]
            tanh_c = np.tanh(cache["c"])
            dh = dh_next
            do = dh * tanh_c
            dc = dc_next + dh * cache["o"] * (1 - tanh_c**2)
            dc_bar = dc * cache["i"]
            di = dc * cache["c_bar"]
            df = dc * cache["c_prev"]
            dz = {
                "f": df * cache["f"] * (1 - cache["f"]),
                "i": di * cache["i"] * (1 - cache["i"]),
                "c": dc_bar * (1 - cache["c_bar"] ** 2),
                "o": do * cache["o"] * (1 - cache["o"]),
            }
            dconcat = np.zeros_like(cache["concat"])
            for gate, d in dz.items():
                grads["W" + gate] += d @ cache["concat"].T
                grads["b" + gate] += d
                dconcat += self.p["W" + gate].T @ d
            dh_next = dconcat[:hidden]
            dc_next = dc * cache["f"]

    def train_step(self, ids, labels, lr, clip_norm):
        grads = {k: np.zeros_like(v) for k, v in self.p.items()}
        losses = []
        for row, label in zip(ids, labels):
            y_hat, caches = self.forward(row)
            p = float(y_hat[0, 0])
            losses.append(-(label * math.log(p) + (1 - label) * math.log(1 - p)))
            self.backward(y_hat, label, caches, grads, 1.0 / len(ids))
        norm = math.sqrt(sum(float((g**2).sum()) for g in grads.values()))
        if norm > clip_norm:
            for g in grads.values():
                g *= clip_norm / (norm + 1e-12)
        self.t += 1
        for k in self.p:
            self.m[k] = 0.9 * self.m[k] + 0.1 * grads[k]
            self.v[k] = 0.999 * self.v[k] + 0.001 * grads[k] ** 2
            m_hat = self.m[k] / (1 - 0.9**self.t)
            v_hat = self.v[k] / (1 - 0.999**self.t)
            self.p[k] = self.p[k] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        return float(np.mean(losses))


def naive_from_network(net) -> NaiveLSTM:
    """The naive model with numpy-lstm's weights: gate g's rows of [W_hh | W_ih] act on concat = [h; x]."""
    H = net.hidden_size
    W_ih, W_hh, b = (net.params[f"lstm.0.{n}"] for n in ("W_ih", "W_hh", "b"))
    params = {}
    for k, gate in enumerate("ifco"):  # torch/numpy-lstm gate order i, f, g(=c), o
        rows = slice(k * H, (k + 1) * H)
        params["W" + gate] = np.hstack([W_hh[rows], W_ih[rows]]).copy()
        params["b" + gate] = b[rows].reshape(-1, 1).copy()
    params["Wy"] = net.params["head.W"].copy()
    params["by"] = net.params["head.b"].reshape(1, 1).copy()
    return NaiveLSTM(params, net.params["embedding"])


# =========================================================================== measurement helpers
def make_data(rng, n_batches):
    ids = rng.integers(2, VOCAB, size=(n_batches * BATCH, STEPS_T))
    mask = np.ones_like(ids, dtype=bool)  # 20-token texts
    y = rng.integers(0, 2, size=n_batches * BATCH)
    return ids, mask, y


def build(kind, hidden, *, trainable=False, seed=0):
    from sentilab.embeddings import OOV_SCALE

    rng = np.random.default_rng(seed)
    embedding = (rng.standard_normal((VOCAB, DIM)) * OOV_SCALE).astype(np.float32)
    embedding[0] = 0.0
    if kind == "numpy":
        from sentilab.models.numpy_lstm import NumpyLSTMModel

        model = NumpyLSTMModel(hidden_size=hidden, freeze_embeddings=not trainable, random_state=seed)
    else:
        from sentilab.models.torch_lstm import TorchLSTMModel

        model = TorchLSTMModel(
            hidden_size=hidden, freeze_embeddings=not trainable, dropout=0.0, random_state=seed
        )
    model._net_build(1, embedding)
    return model


def time_steps(step, ids, mask, y, n_steps) -> float:
    """Samples per second over ``n_steps`` batches."""
    started = time.perf_counter()
    for k in range(n_steps):
        batch = slice((k % (len(y) // BATCH)) * BATCH, (k % (len(y) // BATCH) + 1) * BATCH)
        step(ids[batch], mask[batch], y[batch])
    return n_steps * BATCH / (time.perf_counter() - started)


def check_naive_matches(hidden) -> float:
    """Max |difference| of the weights after one identical training step, naive vs numpy-lstm (float32)."""
    model = build("numpy", hidden)
    naive = naive_from_network(model.network_)
    ids, mask, y = make_data(np.random.default_rng(1), 1)
    loss_naive = naive.train_step(ids, y, model.learning_rate, model.max_grad_norm)
    loss_numpy, _ = model._net_train_step(ids, mask, y)
    reference = naive_from_network(model.network_).p
    diff = max(float(np.abs(reference[k] - naive.p[k]).max()) for k in reference)
    if not (abs(loss_naive - loss_numpy) < 1e-4 and diff < 1e-4):
        raise SystemExit(
            f"naive reference disagrees with numpy-lstm: loss {loss_naive} vs {loss_numpy}, Δw {diff}"
        )
    return diff


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# =========================================================================== memory worker (subprocess)
def _anonymous_rss() -> int:
    """Resident anonymous memory (heap, not shared libraries or files) of this process, in bytes."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon in /proc/self/status (Linux only)")


def memory_worker(kind: str, hidden: int, trainable: bool) -> dict:
    import threading
    import tracemalloc

    if kind == "torch":
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    model = build(kind, hidden, trainable=trainable)
    ids, mask, y = make_data(np.random.default_rng(0), 4)
    before = _anonymous_rss()
    peak = [before]
    done = threading.Event()

    def sample():  # poll the anonymous RSS every 0.2 ms while the steps run
        while not done.is_set():
            peak[0] = max(peak[0], _anonymous_rss())
            time.sleep(0.0002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    for k in range(4):
        s = slice(k * BATCH, (k + 1) * BATCH)
        model._net_train_step(ids[s], mask[s], y[s])
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    done.set()
    sampler.join()
    return {"rss_growth": max(peak[0] - before, 0), "traced_peak": traced_peak}


def measure_memory(kind, hidden, trainable, threads) -> dict:
    command = [sys.executable, __file__, "--threads", str(threads), "--memory-worker", kind, str(hidden)]
    if trainable:
        command.append("--trainable")
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# =========================================================================== main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads for every implementation")
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (median reported)")
    parser.add_argument("--steps", type=int, default=15, help="training steps (batches of 64) per round")
    parser.add_argument("--naive-batches", type=int, default=2, help="batches of 64 timed for the naive loop")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (1 round, few steps)")
    parser.add_argument("--memory-worker", nargs=2, metavar=("KIND", "HIDDEN"), help=argparse.SUPPRESS)
    parser.add_argument("--trainable", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_worker:
        print(json.dumps(memory_worker(args.memory_worker[0], int(args.memory_worker[1]), args.trainable)))
        return
    if args.quick:
        args.rounds, args.steps, args.naive_batches = 1, 3, 1

    import torch

    torch.set_num_threads(args.threads)
    load_before = load_average()
    diff = check_naive_matches(64)
    configs = [(h, False) for h in args.hidden] + [(64, True)]
    rows = []
    for hidden, trainable in configs:
        numpy_model = build("numpy", hidden, trainable=trainable)
        torch_model = build("torch", hidden, trainable=trainable)
        ids, mask, y = make_data(np.random.default_rng(2), 8)
        for model in (numpy_model, torch_model):  # warm-up: first-call allocations, BLAS initialisation
            time_steps(model._net_train_step, ids, mask, y, 2)
        numpy_rates, torch_rates = [], []
        for _ in range(args.rounds):
            numpy_rates.append(time_steps(numpy_model._net_train_step, ids, mask, y, args.steps))
            torch_rates.append(time_steps(torch_model._net_train_step, ids, mask, y, args.steps))
        naive_rate = None
        if not trainable:
            naive = naive_from_network(build("numpy", hidden).network_)
            naive_rate = time_steps(
                lambda i, m, t, net=naive: net.train_step(i, t, 0.002, 5.0), ids, mask, y, args.naive_batches
            )
        memory = {
            kind: measure_memory(kind, hidden, trainable, args.threads)
            for kind in ("numpy", "torch")
            if hidden == 64
        }
        rows.append(
            {
                "hidden": hidden,
                "trainable": trainable,
                "naive": naive_rate,
                "numpy": statistics.median(numpy_rates),
                "torch": statistics.median(torch_rates),
                "memory": memory,
            }
        )
    load_after = load_average()

    print(
        f"LSTM training throughput (samples/s): batch {BATCH}, {STEPS_T}-token texts, {DIM}-d embeddings, "
        f"1 layer, forward+backward+clip+Adam, float32"
    )
    print(
        f"threads: {args.threads} (numpy BLAS and torch); median of {args.rounds} interleaved rounds x "
        f"{args.steps} steps; naive: {args.naive_batches} batch(es); numpy {np.__version__}, torch "
        f"{torch.__version__}"
    )
    print(f"load average (1/5/15 min) before: {load_before}  after: {load_after}  cpus: {os.cpu_count()}")
    print(f"naive reference == numpy-lstm after one step (max |Δweight| {diff:.1e})\n")
    header = (
        f"{'hidden':>6}  {'embeddings':<10}  {'naive':>8}  {'numpy-lstm':>10}  {'torch lstm':>10}  "
        f"{'numpy/naive':>11}  {'numpy/torch':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        naive = f"{row['naive']:>8,.0f}" if row["naive"] else f"{'-':>8}"
        vs_naive = f"{row['numpy'] / row['naive']:>10.1f}x" if row["naive"] else f"{'-':>11}"
        print(
            f"{row['hidden']:>6}  {'trainable' if row['trainable'] else 'frozen':<10}  {naive}  "
            f"{row['numpy']:>10,.0f}  {row['torch']:>10,.0f}  {vs_naive}  {row['numpy'] / row['torch']:>10.2f}x"
        )
    print("\ngoals (hidden 64, frozen): numpy/naive >= 30x, numpy/torch >= 0.7x")
    print("\npeak memory during 4 training steps, hidden 64 (fresh process each; growth of anonymous RSS):")
    print(f"{'':<12}  {'embeddings':<10}  {'peak RSS growth':>15}  {'tracemalloc peak':>16}")
    for row in rows:
        for kind, memory in row["memory"].items():
            traced = f"{memory['traced_peak'] / 2**20:>13.1f} MiB" if kind == "numpy" else f"{'n/a':>16}"
            print(
                f"{'numpy-lstm' if kind == 'numpy' else 'torch lstm':<12}  "
                f"{'trainable' if row['trainable'] else 'frozen':<10}  "
                f"{memory['rss_growth'] / 2**20:>11.1f} MiB  {traced}"
            )


if __name__ == "__main__":
    main()
