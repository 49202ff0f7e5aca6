"""lstm (PyTorch): padding, empty texts, determinism, early stopping, persistence, learning curves."""

from __future__ import annotations

import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sentilab.errors import ModelError, SentilabError  # noqa: E402
from sentilab.models import load_model  # noqa: E402
from sentilab.models.torch_lstm import LSTMClassifier, TorchLSTMModel  # noqa: E402
from tests.conftest import SIX_LABELS, SIX_TEXTS  # noqa: E402


def small(**overrides):
    return TorchLSTMModel(**{**TorchLSTMModel.contract_params(), **overrides})


@pytest.fixture(scope="module")
def fitted():
    return small().fit(SIX_TEXTS, SIX_LABELS)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_side_does_not_change_outputs(bidirectional):
    torch.manual_seed(0)
    net = LSTMClassifier(10, 4, 5, 2, 3, bidirectional=bidirectional).eval()
    right = torch.tensor([[2, 3, 4, 0, 0], [5, 6, 0, 0, 0], [7, 0, 0, 0, 0]])
    left = torch.tensor([[0, 0, 2, 3, 4], [0, 0, 0, 5, 6], [0, 0, 0, 0, 7]])
    short = right[:, :3]
    with torch.no_grad():
        expected = net(right, right != 0)
        torch.testing.assert_close(net(left, left != 0), expected)
        torch.testing.assert_close(net(short, short != 0), expected)
        # each text alone gives the same as in the batch
        for row in range(3):
            torch.testing.assert_close(
                net(right[row : row + 1], right[row : row + 1] != 0), expected[row : row + 1]
            )


def test_empty_text_gives_the_head_bias():
    net = LSTMClassifier(10, 4, 5, 1, 2).eval()
    ids = torch.zeros((2, 3), dtype=torch.long)
    with torch.no_grad():
        torch.testing.assert_close(net(ids, ids != 0), net.head.bias.expand(2, 2))


def test_forget_gate_bias_starts_at_one():
    net = LSTMClassifier(10, 4, 5, 1, 2)
    total = net.lstm.bias_ih_l0 + net.lstm.bias_hh_l0
    assert torch.all(total[5:10] == 1.0)


def test_overfits_six_sentences_and_survives_save_load(fitted, tmp_path):
    assert list(fitted.predict(SIX_TEXTS)) == SIX_LABELS
    fitted.save(tmp_path / "lstm")
    loaded = load_model(tmp_path / "lstm")
    assert isinstance(loaded, TorchLSTMModel)
    texts = [*SIX_TEXTS, "not seen in training", ""]
    np.testing.assert_array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.history_["train_loss"] == fitted.history_["train_loss"]


def test_bidirectional_two_layers_frozen_embeddings_train():
    model = small(bidirectional=True, num_layers=2, dropout=0.1, freeze_embeddings=True)
    model.fit(SIX_TEXTS, SIX_LABELS)
    assert list(model.predict(SIX_TEXTS)) == SIX_LABELS
    assert not model.module_.embedding.weight.requires_grad


def test_frozen_embeddings_do_not_change():
    model = small(freeze_embeddings=True, epochs=3)
    model.fit(SIX_TEXTS, SIX_LABELS)
    before = model.module_.embedding.weight.detach().clone()
    model2 = small(freeze_embeddings=True, epochs=6).fit(SIX_TEXTS, SIX_LABELS)
    torch.testing.assert_close(model2.module_.embedding.weight.detach(), before)


def test_same_seed_same_model_and_global_rng_untouched():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = small(epochs=5, dropout=0.3).fit(SIX_TEXTS, SIX_LABELS)
    assert torch.equal(torch.rand(1), expected_next)  # fit forked the RNG instead of consuming it
    b = small(epochs=5, dropout=0.3).fit(SIX_TEXTS, SIX_LABELS)
    for name, value in a._net_state().items():
        np.testing.assert_array_equal(value, b._net_state()[name])


def test_three_classes_use_softmax_and_empty_text_is_fine():
    texts = [*SIX_TEXTS, "it is a table", "the meeting is on monday", ""]
    labels = [*SIX_LABELS, "neutral", "neutral", "neutral"]
    model = small().fit(texts, labels)
    assert model.module_.head.out_features == 3
    proba = model.predict_proba(["", "I love this"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


def test_early_stopping_restores_the_best_epoch():
    flipped = ["negative" if label == "positive" else "positive" for label in SIX_LABELS]
    model = small(epochs=30, patience=2, learning_rate=0.05)
    model.fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, flipped))
    history = model.history_
    best = model.best_epoch_
    assert len(history["epoch"]) == best + 2 < 30
    y = np.searchsorted(model.classes_, flipped)
    assert model._evaluate(*model._ragged(SIX_TEXTS), y)[0] == pytest.approx(
        history["valid_loss"][best - 1], rel=1e-5
    )


def test_non_finite_loss_stops_with_a_warning():
    class ExplodesAtStep2(TorchLSTMModel):
        steps = 0

        def _net_train_step(self, ids, mask, y):
            type(self).steps += 1
            loss, logits = super()._net_train_step(ids, mask, y)
            return (float("inf") if type(self).steps == 2 else loss), logits

    model = ExplodesAtStep2(**TorchLSTMModel.contract_params())
    with pytest.warns(RuntimeWarning, match="the loss became inf"):
        model.fit(SIX_TEXTS, SIX_LABELS)
    assert model.history_["epoch"] == [1] and model.best_epoch_ == 1
    assert np.isfinite(model.predict_proba(SIX_TEXTS)).all()


def test_bad_settings_are_clear_errors():
    with pytest.raises(
        ModelError, match=re.escape("setting dropout=1.5 is invalid: must be a number in [0, 1)")
    ):
        small(dropout=1.5).fit(SIX_TEXTS, SIX_LABELS)
    with pytest.raises(ModelError, match="setting num_threads=0 is invalid: must be an integer >= 1 or None"):
        small(num_threads=0).fit(SIX_TEXTS, SIX_LABELS)


def test_num_threads_is_restored():
    before = torch.get_num_threads()
    small(epochs=1, num_threads=1).fit(SIX_TEXTS, SIX_LABELS)
    assert torch.get_num_threads() == before


def test_learning_curves_plot(fitted, tmp_path):
    from sentilab.plots import save_figure
    from sentilab.plots.training import learning_curves

    model = small(epochs=3).fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, SIX_LABELS))
    figure = learning_curves(model, title="lstm")
    lines = [line.get_label() for line in figure.axes[0].get_lines()]
    assert lines[:2] == ["training", "validation"] and any("restored" in label for label in lines)
    path = save_figure(figure, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SentilabError, match="no training history"):
        learning_curves({})


def test_left_padded_batches_predict_the_same(fitted):
    texts = [*SIX_TEXTS, "short", "", "a somewhat longer text than all of the others in this batch"]
    right = fitted.predict_proba(texts)
    fitted.pad_side = "left"
    try:
        np.testing.assert_allclose(fitted.predict_proba(texts), right, atol=1e-6)
    finally:
        del fitted.pad_side


# ----------------------------------------------------------------------------------- device
def test_trains_and_predicts_on_an_explicit_cpu_device_and_saves_cpu_tensors(tmp_path):
    model = small(device="cpu").fit(SIX_TEXTS, SIX_LABELS)
    assert model.module_.head.weight.device.type == "cpu"
    model.save(tmp_path / "cpu")
    loaded = load_model(tmp_path / "cpu")
    assert loaded.device == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(SIX_TEXTS), model.predict_proba(SIX_TEXTS))


def test_device_auto_gives_the_same_model_as_cpu_without_a_gpu(monkeypatch, fitted):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    auto = small(device="auto").fit(SIX_TEXTS, SIX_LABELS)
    np.testing.assert_array_equal(auto.predict_proba(SIX_TEXTS), fitted.predict_proba(SIX_TEXTS))


def test_a_gpu_on_a_machine_without_one_is_a_clear_error(monkeypatch, fitted, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelError, match="device='cuda' asks for a CUDA GPU"):
        small(device="cuda").fit(SIX_TEXTS, SIX_LABELS)
    # a model saved with device='cuda' still loads; predicting says what to change
    fitted.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m").set_params(device="cuda:0")
    with pytest.raises(ModelError, match="asks for a CUDA GPU") as error:
        loaded.predict(SIX_TEXTS)
    assert "device='cpu'" in str(error.value.hint)
    assert list(loaded.set_params(device="cpu").predict(SIX_TEXTS)) == SIX_LABELS


def test_a_bad_device_name_is_named():
    with pytest.raises(ModelError, match="device='gpu' is invalid"):
        small(device="gpu").fit(SIX_TEXTS, SIX_LABELS)
