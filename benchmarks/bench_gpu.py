"""Fine-tune the MiniLM encoder on a GPU: per-epoch time, pooled validation accuracy, inference speed.

    python benchmarks/bench_gpu.py                  # CUDA: all eight labelled sets, 3 epochs (~minutes)
    python benchmarks/bench_gpu.py --cpu-smoke      # anywhere: a tiny CPU run that exercises the same path

The recipe is the `best` model's, trained on a GPU: ``EncoderModel(finetune=True, device="cuda",
precision="bf16", epochs=3, batch_size=32, max_len=128, learning_rate=5e-5)`` on the merged train splits of
the eight labelled registry sets (sentilab.defaults.LABELLED; 3 classes, the UCI sets have two), scored on
their merged validation splits after each epoch. Then the fitted model predicts the validation texts in
batches of ``--predict-batch`` (bf16), timed after a warm-up: texts/s. On a machine without CUDA the script
says so and exits 0 (unless ``--cpu-smoke``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings


def merged(split: str, limit: int | None) -> tuple[list[str], list[str]]:
    """The ``split`` of every labelled registry set, concatenated (a seeded sample of ``limit`` rows)."""
    import numpy as np

    from sentilab.data import load_dataset
    from sentilab.defaults import LABELLED

    texts: list[str] = []
    labels: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the data layer's notes on replaced bytes; not what is measured
        for name in LABELLED:
            data = load_dataset(name, split=split)
            texts += list(data.texts)
            labels += list(data.labels)
    if limit is not None and limit < len(texts):
        keep = np.random.default_rng(0).choice(len(texts), limit, replace=False)
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    return texts, labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cpu-smoke", action="store_true", help="a tiny run on the CPU (no GPU needed)")
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N (default cuda)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--frozen-layers", type=int, default=0)
    parser.add_argument("--predict-batch", type=int, default=256)
    args = parser.parse_args(argv)

    import torch

    from sentilab.models import encoder as enc
    from sentilab.models.encoder import EncoderModel

    settings = {
        "finetune": True,
        "device": args.device,
        "precision": "bf16",
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "max_len": args.max_len,
        "learning_rate": args.learning_rate,
        "frozen_layers": args.frozen_layers,
        "verbose": True,
    }
    train_limit = valid_limit = None
    if args.cpu_smoke:
        settings.update(device="cpu", precision="auto", epochs=1, max_len=32, frozen_layers=4)
        train_limit, valid_limit = 300, 100
    elif not torch.cuda.is_available():
        print(
            "bench_gpu: PyTorch sees no CUDA GPU here "
            f"({'a CPU-only build' if torch.version.cuda is None else 'none visible'}); nothing measured.\n"
            "Run it on a machine with an NVIDIA GPU, or try `--cpu-smoke` for a tiny CPU run of the same path."
        )
        return 0

    train = merged("train", train_limit)
    valid = merged("validation", valid_limit)
    where = (
        torch.cuda.get_device_name(0) if settings["device"].startswith("cuda") else f"CPU x{os.cpu_count()}"
    )
    print(
        f"device: {where}; train {len(train[0]):,} texts, validation {len(valid[0]):,}; settings {settings}"
    )

    model = EncoderModel(**settings)
    started = time.perf_counter()
    model.fit(*train, validation=valid)
    build = time.perf_counter() - started

    model.predict_proba(valid[0][: args.predict_batch])  # warm-up (kernels, the weights on the device)
    started = time.perf_counter()
    for start in range(0, len(valid[0]), args.predict_batch):
        model.predict_proba(valid[0][start : start + args.predict_batch])
    if settings["device"].startswith("cuda"):
        torch.cuda.synchronize()
    predict_speed = len(valid[0]) / (time.perf_counter() - started)

    history = model.history_
    print(f"\n| epoch | seconds | texts/s | train acc | valid acc |  ({enc.ENCODER_PACKAGE}, bf16)")
    print("|---|---|---|---|---|")
    for index, epoch in enumerate(history["epoch"]):
        seconds = history["seconds"][index]
        print(
            f"| {epoch} | {seconds:.1f} | {len(train[0]) / seconds:,.0f} | "
            f"{history['train_accuracy'][index]:.3f} | {history['valid_accuracy'][index]:.3f} |"
        )
    print(
        f"\nbuilt in {build / 60:.1f} min (best epoch {model.best_epoch_}); prediction {predict_speed:,.0f} texts/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
