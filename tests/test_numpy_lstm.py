"""numpy-lstm: gradients against finite differences and PyTorch, masking, training behaviour, persistence."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sentilab.errors import ModelError
from sentilab.models import load_model
from sentilab.models.numpy_lstm import LSTMNetwork, NumpyLSTMModel, loss_and_gradient
from tests.conftest import SIX_LABELS, SIX_TEXTS

# Three texts over 3 steps: full length, length 2 padded on the right, length 1 padded on the left,
# and (for the gradient checks) an empty one.
IDS = np.array([[2, 3, 4], [5, 6, 0], [0, 0, 3], [0, 0, 0]])
MASK = IDS != 0


def tiny_network(n_outputs, *, num_layers=2, hidden=4, dim=3, vocab=7, train_embedding=True, seed=1):
    rng = np.random.default_rng(seed)
    embedding = rng.normal(size=(vocab, dim))
    embedding[0] = 0.0
    net = LSTMNetwork(
        embedding,
        hidden_size=hidden,
        num_layers=num_layers,
        n_outputs=n_outputs,
        train_embedding=train_embedding,
        random_state=seed,
        dtype="float64",
    )
    # Random biases and head (not the init values) so that no gradient is trivially zero or symmetric.
    net.theta[...] += rng.normal(scale=0.3, size=net.theta.shape)
    return net


def network_loss(net, y):
    logits, _ = net.forward(IDS, MASK)
    return loss_and_gradient(logits, y)[0]


@pytest.mark.parametrize(("n_outputs", "y"), [(1, np.array([1, 0, 1, 0])), (3, np.array([2, 0, 1, 1]))])
def test_gradients_match_central_finite_differences(n_outputs, y):
    net = tiny_network(n_outputs)
    logits, cache = net.forward(IDS, MASK)
    _, d_logits = loss_and_gradient(logits, y)
    net.backward(d_logits, cache)
    analytic = net.grad.copy()
    numeric = np.zeros_like(analytic)
    eps = 1e-6
    for k in range(net.theta.size):  # every single parameter, the embedding included
        saved = net.theta[k]
        net.theta[k] = saved + eps
        plus = network_loss(net, y)
        net.theta[k] = saved - eps
        minus = network_loss(net, y)
        net.theta[k] = saved
        numeric[k] = (plus - minus) / (2 * eps)
    offset = 0
    for name, shape in net.shapes.items():
        size = math.prod(shape)
        a, n = analytic[offset : offset + size], numeric[offset : offset + size]
        offset += size
        relative = np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12)
        assert relative < 1e-6, f"{name}: relative error {relative:.2e}"
        assert np.linalg.norm(a) > 0 or name == "embedding", f"{name}: gradient is all zeros"
    # padding and unused rows of the embedding get exactly no gradient
    embedding_grad = net.grads["embedding"]
    assert not embedding_grad[0].any() and not embedding_grad[1].any()


def test_matches_torch_lstm_outputs_and_gradients_in_float64():
    torch = pytest.importorskip("torch")
    H, layers, K = 4, 2, 3
    y = np.array([2, 0, 1, 1])
    net = tiny_network(K, num_layers=layers, hidden=H)
    logits, cache = net.forward(IDS, MASK)
    loss, d_logits = loss_and_gradient(logits, y)
    net.backward(d_logits, cache)

    embedding = torch.nn.Embedding.from_pretrained(torch.tensor(net.params["embedding"]), freeze=False)
    lstm = torch.nn.LSTM(3, H, num_layers=layers, batch_first=True, dtype=torch.float64)
    head = torch.nn.Linear(H, K, dtype=torch.float64)
    with torch.no_grad():
        for layer in range(layers):
            # the same layout as torch: W_ih (4H, D), W_hh (4H, H), gate rows [i f g o]
            getattr(lstm, f"weight_ih_l{layer}").copy_(torch.tensor(net.params[f"lstm.{layer}.W_ih"]))
            getattr(lstm, f"weight_hh_l{layer}").copy_(torch.tensor(net.params[f"lstm.{layer}.W_hh"]))
            getattr(lstm, f"bias_ih_l{layer}").copy_(torch.tensor(net.params[f"lstm.{layer}.b"]))
            getattr(lstm, f"bias_hh_l{layer}").zero_()  # torch's two biases add up to our one
        head.weight.copy_(torch.tensor(net.params["head.W"]))
        head.bias.copy_(torch.tensor(net.params["head.b"]))

    # torch packs right-aligned sequences: move each row's tokens to the front; the empty row gets one
    # step and then its state is zeroed, which is what carrying the zero state through all-masked steps means.
    lengths = MASK.sum(axis=1)
    packed_ids = np.zeros_like(IDS)
    for row in range(len(IDS)):
        packed_ids[row, : lengths[row]] = IDS[row][MASK[row]]
    x = embedding(torch.tensor(packed_ids))
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x, torch.tensor(np.maximum(lengths, 1)), batch_first=True, enforce_sorted=False
    )
    _, (h_n, _) = lstm(packed)
    final = h_n[-1] * torch.tensor(lengths > 0, dtype=torch.float64)[:, None]
    torch_logits = head(final)
    torch_loss = torch.nn.functional.cross_entropy(torch_logits, torch.tensor(y))
    torch_loss.backward()

    np.testing.assert_allclose(logits, torch_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    g = net.grads
    np.testing.assert_allclose(g["embedding"], embedding.weight.grad.numpy(), atol=1e-12)
    for layer in range(layers):
        for ours, theirs in [
            ("W_ih", "weight_ih"),
            ("W_hh", "weight_hh"),
            ("b", "bias_ih"),
            ("b", "bias_hh"),
        ]:
            np.testing.assert_allclose(
                g[f"lstm.{layer}.{ours}"], getattr(lstm, f"{theirs}_l{layer}").grad, atol=1e-12
            )
    np.testing.assert_allclose(g["head.W"], head.weight.grad, atol=1e-12)
    np.testing.assert_allclose(g["head.b"], head.bias.grad, atol=1e-12)


def test_padding_side_and_extra_padding_do_not_change_outputs():
    net = tiny_network(1, num_layers=2)
    right = np.array([[2, 3, 4, 0, 0], [5, 6, 0, 0, 0]])
    left = np.array([[0, 0, 2, 3, 4], [0, 0, 0, 5, 6]])
    short = np.array([[2, 3, 4], [5, 6, 0]])
    out_right = net.forward(right, right != 0)[0]
    np.testing.assert_allclose(net.forward(left, left != 0)[0], out_right, atol=1e-12)
    np.testing.assert_allclose(net.forward(short, short != 0)[0], out_right, atol=1e-12)


def test_empty_text_ends_in_the_zero_state():
    net = tiny_network(1)
    logits = net.forward(np.zeros((2, 4), dtype=int), np.zeros((2, 4), dtype=bool))[0]
    np.testing.assert_allclose(logits, np.broadcast_to(net.params["head.b"], (2, 1)))


def test_frozen_embedding_has_no_gradient_and_stays_fixed():
    net = tiny_network(1, train_embedding=False)
    before = net.params["embedding"].copy()
    assert "embedding" not in net.grads
    for _ in range(3):
        logits, cache = net.forward(IDS, MASK)
        net.backward(loss_and_gradient(logits, np.array([1, 0, 1, 0]))[1], cache)
        net.adam_step(0.1)
    np.testing.assert_array_equal(net.params["embedding"], before)


def test_clipping_bounds_the_global_norm():
    net = tiny_network(1)
    net.grad[...] = 10.0
    norm = net.clip_gradients(1.0)
    assert norm == pytest.approx(10.0 * math.sqrt(net.grad.size))
    assert np.linalg.norm(net.grad) == pytest.approx(1.0)


def test_adam_first_step_moves_each_parameter_by_lr():
    # With bias correction the first Adam step is lr * g / |g| (up to eps) for every parameter.
    net = tiny_network(1)
    before = net.theta.copy()
    net.grad[...] = np.resize([-3.0, -0.5, 0.2, 4.0], net.grad.size)
    net.adam_step(0.01)
    np.testing.assert_allclose(before - net.theta, 0.01 * np.sign(net.grad), rtol=1e-5)


# --------------------------------------------------------------------------- the model
def small(**overrides):
    return NumpyLSTMModel(**{**NumpyLSTMModel.contract_params(), **overrides})


def test_overfits_six_sentences_and_survives_save_load(tmp_path):
    model = small().fit(SIX_TEXTS, SIX_LABELS)
    assert list(model.predict(SIX_TEXTS)) == SIX_LABELS
    assert model.history_["train_loss"][-1] < 0.05
    model.save(tmp_path / "np")
    loaded = load_model(tmp_path / "np")
    texts = [*SIX_TEXTS, "never seen before", ""]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert loaded.history_ == model.history_


def test_float64_and_two_layers_and_frozen_embeddings_train():
    model = small(dtype="float64", num_layers=2, freeze_embeddings=True).fit(SIX_TEXTS, SIX_LABELS)
    assert model.network_.theta.dtype == np.float64
    assert list(model.predict(SIX_TEXTS)) == SIX_LABELS


def test_same_seed_same_model():
    a = small(epochs=5).fit(SIX_TEXTS, SIX_LABELS)
    b = small(epochs=5).fit(SIX_TEXTS, SIX_LABELS)
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)
    c = small(epochs=5, random_state=1).fit(SIX_TEXTS, SIX_LABELS)
    assert not np.array_equal(a.network_.theta, c.network_.theta)


def test_empty_texts_in_training_and_prediction():
    texts = [*SIX_TEXTS, "", "   ", "!!!"]
    labels = [*SIX_LABELS, "negative", "positive", "negative"]
    model = small(tokenizer="whitespace", normalize=("punctuation",)).fit(texts, labels)
    proba = model.predict_proba(["", "   "])
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba[0], proba[1])


@pytest.mark.parametrize("keep", ["first", "last"])
def test_truncation_keeps_first_or_last_tokens(keep):
    model = small(max_len=3, keep=keep, tokenizer="whitespace").fit(SIX_TEXTS, SIX_LABELS)
    words = ["great", "awful", "happy", "sad", "love", "hate"]
    kept = words[:3] if keep == "first" else words[-3:]
    np.testing.assert_array_equal(
        model.predict_proba([" ".join(words)]), model.predict_proba([" ".join(kept)])
    )
    dropped = words[3:] if keep == "first" else words[:3]
    assert not np.allclose(model.predict_proba([" ".join(words)]), model.predict_proba([" ".join(dropped)]))


def test_non_finite_loss_stops_training_and_keeps_the_best_weights():
    class ExplodesAtEpoch3(NumpyLSTMModel):
        calls = 0

        def _net_train_step(self, ids, mask, y):
            type(self).calls += 1
            if type(self).calls == 3:  # one step per epoch (batch_size >= 6): the first step of epoch 3
                self.weights_before = self._net_state()
                return float("nan"), np.zeros((len(y), 1))
            return super()._net_train_step(ids, mask, y)

    model = ExplodesAtEpoch3(**{**NumpyLSTMModel.contract_params(), "epochs": 10})
    with pytest.warns(RuntimeWarning, match="training stopped at epoch 3: the loss became nan"):
        model.fit(SIX_TEXTS, SIX_LABELS)
    assert model.history_["epoch"] == [1, 2]
    assert model.best_epoch_ == 2
    assert "kept the weights of epoch 2" in model.stopped_
    for name, value in model.weights_before.items():
        np.testing.assert_array_equal(model.network_.params[name], value)
    assert np.isfinite(model.predict_proba(SIX_TEXTS)).all()


def test_early_stopping_restores_the_best_epoch():
    # Validation labels are the training labels flipped: the better the fit, the worse the validation loss.
    flipped = ["negative" if label == "positive" else "positive" for label in SIX_LABELS]
    model = small(epochs=30, patience=2, learning_rate=0.05)
    model.fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, flipped))
    history = model.history_
    best = model.best_epoch_
    assert len(history["epoch"]) == best + 2 < 30
    assert history["valid_loss"][best - 1] == min(history["valid_loss"])
    # the restored weights are the best epoch's: recomputing its validation loss gives the recorded value
    y = np.searchsorted(model.classes_, flipped)
    assert model._evaluate(*model._ragged(SIX_TEXTS), y)[0] == pytest.approx(
        history["valid_loss"][best - 1], rel=1e-5
    )


def test_epoch_lines_and_progress_go_to_stderr(capsys):
    small(epochs=2, verbose=True).fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, SIX_LABELS))
    out, err = capsys.readouterr()
    assert out == ""
    assert "epoch 1/2  train loss" in err and "| valid loss" in err and "acc" in err
    assert "best epoch" in err


def test_default_hold_out_needs_enough_texts():
    with pytest.raises(ModelError, match="validation_fraction=0.1 of 6 texts is too few"):
        NumpyLSTMModel().fit(SIX_TEXTS, SIX_LABELS)


def test_default_hold_out_is_used_for_early_stopping():
    texts, labels = SIX_TEXTS * 4, SIX_LABELS * 4
    model = NumpyLSTMModel(min_freq=1, epochs=2, validation_fraction=0.25).fit(texts, labels)
    assert len(model.history_["valid_loss"]) == 2


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"hidden_size": 0}, "setting hidden_size=0 is invalid: must be an integer >= 1"),
        ({"learning_rate": -1.0}, "setting learning_rate=-1.0 is invalid: must be a number > 0"),
        ({"learning_rate": float("inf")}, "setting learning_rate=inf is invalid: must be a number > 0"),
        ({"dtype": "float16"}, "setting dtype='float16' is invalid: must be one of 'float32', 'float64'"),
        ({"keep": "middle"}, "setting keep='middle' is invalid: must be one of 'first', 'last'"),
        ({"max_vocab": 0}, "setting max_vocab=0 is invalid: must be an integer >= 1 or None"),
        ({"max_grad_norm": -1}, "setting max_grad_norm=-1 is invalid: must be a number >= 0"),
        ({"validation_fraction": 1}, "setting validation_fraction=1 is invalid: must be a number in [0, 1)"),
        ({"hidden_size": True}, "setting hidden_size=True is invalid: must be an integer >= 1"),
    ],
)
def test_bad_settings_are_clear_errors(setting, message):
    with pytest.raises(ModelError, match=re.escape(message)):
        small(**setting).fit(SIX_TEXTS, SIX_LABELS)


def test_settings_from_cli_strings():
    model = NumpyLSTMModel.from_overrides(
        {"hidden_size": "32", "normalize": "lowercase,squeeze", "keep": "first"}
    )
    assert model.hidden_size == 32 and model.normalize == ("lowercase", "squeeze") and model.keep == "first"


def test_glove_initialised_frozen_embeddings(tmp_path):
    glove = tmp_path / "glove.6B.4d.txt"
    vectors = {"love": [0.5, 0.1, -0.2, 0.3], "hate": [-0.5, 0.2, 0.1, -0.3], "great": [0.4, 0.0, 0.1, 0.2]}
    glove.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in vectors.items()), encoding="utf-8")
    model = small(embeddings=str(glove), freeze_embeddings=True, embedding_dim=None).fit(
        SIX_TEXTS, SIX_LABELS
    )
    vocab, table = model.vocabulary_, model.network_.params["embedding"]
    assert table.shape == (len(vocab), 4)
    for word, vector in vectors.items():
        np.testing.assert_allclose(table[vocab[word]], vector, rtol=1e-6)
    assert model.embedding_coverage_ == {"words": len(vocab) - 2, "found": 3, "oov": len(vocab) - 5}
    with pytest.raises(ModelError, match="embedding_dim=16 but the vectors"):
        small(embeddings=str(glove)).fit(SIX_TEXTS, SIX_LABELS)


def test_adam_matches_torch_adam_over_several_steps():
    torch = pytest.importorskip("torch")
    net = tiny_network(1)
    theta = torch.tensor(net.theta.copy(), requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    rng = np.random.default_rng(5)
    for _ in range(5):
        gradient = rng.normal(size=net.theta.shape)
        net.grad[...] = gradient
        net.adam_step(0.01)
        theta.grad = torch.tensor(gradient)
        optimizer.step()
    np.testing.assert_allclose(net.theta, theta.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_left_padded_batches_predict_the_same():
    model = small(epochs=5).fit(SIX_TEXTS, SIX_LABELS)
    texts = [*SIX_TEXTS, "short", "", "a somewhat longer text than all of the others in this batch"]
    right = model.predict_proba(texts)
    model.pad_side = "left"
    np.testing.assert_allclose(model.predict_proba(texts), right, atol=1e-6)


def test_batches_are_padded_to_their_longest_text():
    model = small(epochs=1, max_len=4, keep="first", tokenizer="whitespace").fit(SIX_TEXTS, SIX_LABELS)
    flat, offsets = model._ragged(["love", "", "I love this , it is"])
    assert offsets.tolist() == [0, 1, 1, 5]  # the long text is cut to its first 4 tokens
    ids, mask = model._batch(flat, offsets, np.array([0, 1]))
    assert ids.shape == (2, 1) and mask.tolist() == [[True], [False]] and ids[1, 0] == 0
    model.pad_side = "left"
    ids, mask = model._batch(flat, offsets, np.array([0, 2]))
    assert mask.tolist() == [[False, False, False, True], [True, True, True, True]]
    assert ids[0, 3] == ids[1, 1] == model.vocabulary_["love"]


@pytest.mark.parametrize("model_name", ["numpy-lstm", "lstm"])
def test_trains_from_the_cli_with_a_line_per_epoch(model_name, tmp_path):
    if model_name == "lstm":
        pytest.importorskip("torch")
    from click.testing import CliRunner

    from sentilab.cli import main

    data = tmp_path / "six.csv"
    rows = [f'"{text} {k}",{label}' for k in range(10) for text, label in zip(SIX_TEXTS, SIX_LABELS)]
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    settings = [
        "--set",
        "epochs=2",
        "--set",
        "hidden_size=8",
        "--set",
        "embedding_dim=8",
        "--set",
        "min_freq=1",
    ]
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--model", model_name, *settings, "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert "epoch 1/2  train loss" in result.output and "epoch 2/2" in result.output
    assert "| valid loss" in result.output
    loaded = load_model(tmp_path / "m")
    assert loaded.name == model_name and len(loaded.history_["epoch"]) == 2
