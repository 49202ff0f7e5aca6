"""``sentilab models``: the named models (``default``, ``best``): list them, build them.

A thin layer over :mod:`sentilab.named_models`, where the recipes, the build and the resolver live.
"""

from __future__ import annotations

import json

import click

from sentilab.named_models import NAMES


@click.group("models")
def models() -> None:
    """Named models: `default` (fast, trained on first use) and `best` (the fine-tuned encoder).

    \b
    `best` is MiniLM fine-tuned on the train splits of the eight labelled registry datasets; it is built
    once, by one command, and then works wherever a model is taken (--model best):
      sentilab models build best                # minutes on a GPU, tens of minutes on 2 CPU cores
      sentilab models list                      # built or not, where, size, accuracy
      sentilab predict --model best "not bad at all"
      sentilab serve --model default --model best
    A folder named like a named model is reached as ./best.
    """


def _size(size: int | None) -> str:
    if size is None:
        return "-"
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.0f} kB"


def _accuracy(entry: dict) -> str:
    if entry["validation_accuracy"] is not None:
        return f"{entry['validation_accuracy']:.3f} (validation)"
    if entry["held_out_accuracy"] is not None:
        return f"{entry['held_out_accuracy']:.3f} (test, mean)"
    return "-"


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per named model, one per line.")
def list_command(as_json: bool) -> None:
    """Every named model: built or not, where it is, its size, build date and accuracy.

    \b
    Accuracy is the pooled validation accuracy (best) or the mean over the held-out test splits
    (default). A model not built yet shows the command that builds it.
    """
    from sentilab.named_models import describe_named_models

    described = describe_named_models()
    if as_json:
        for entry in described:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return
    for entry in described:
        if entry["built"]:
            state = "built" if entry["current"] else "built (older recipe: rebuild with --rebuild)"
            click.echo(f"{entry['name']}: {state} {entry['built_at']}, {_size(entry['size_bytes'])}")
            click.echo(f"  where:    {entry['directory']}")
            click.echo(f"  accuracy: {_accuracy(entry)}")
        else:
            click.echo(f"{entry['name']}: not built")
            click.echo(f"  where:    {entry['directory']} (once built)")
        if entry["name"] == "best":
            click.echo(
                f"  build:    {entry['build_command']} (about {entry['build_estimate_minutes']:.0f} minutes "
                "here; resumes when interrupted)"
            )
        else:
            click.echo(f"  build:    {entry['build_command']} (seconds; also done on first use)")


@models.command("build")
@click.argument("name", type=click.Choice(NAMES))
@click.option(
    "--device",
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="Where to train `best`: the GPU when there is one (auto), or force cpu/cuda [default: the "
    "recipe's, auto].",
)
@click.option("--rebuild", is_flag=True, help="Build again even when it is built from the current recipe.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON summary on stdout (progress stays on stderr)."
)
def build_command(name: str, device: str | None, rebuild: bool, as_json: bool) -> None:
    """Build the named model NAME (default or best) and cache it under $SENTILAB_HOME/models/NAME.

    \b
    best: the MiniLM encoder fine-tuned on the train splits of the eight labelled registry datasets and
    scored on their validation splits (each, and pooled). It takes minutes on a GPU and tens of minutes
    on 2 CPU cores; the status lines say how long here. Each epoch is checkpointed, so an interrupted
    build (Ctrl-C, a closed laptop) resumes when you run the same command again.
    Examples:
      sentilab models build best
      sentilab models build best --device cpu
      sentilab models build best --rebuild --json
      sentilab models build default --rebuild    # retrain the default model now (seconds)
    Only files sentilab wrote are ever replaced: a folder holding anything else is refused.
    """
    from sentilab.named_models import build_best, build_default

    say = lambda line: click.echo(line, err=True)  # noqa: E731
    if name == "best":
        result = build_best(device=device, rebuild=rebuild, verbose=True, on_status=say)
    else:
        if device is not None:
            raise click.UsageError("--device is for best (the default model trains on the CPU in seconds)")
        result = build_default(rebuild=rebuild, on_status=say)
    pooled, per_source = result.validation_accuracy()
    lines = []
    if result.built_now:
        lines.append(f"built {name} in {result.seconds:,.1f} s on {result.device} → {result.directory}")
    else:
        lines.append(f"{name} is built → {result.directory}")
    if pooled is not None:
        lines.append(f"validation accuracy: {pooled:.3f} (all {len(per_source) or 1} datasets pooled)")
        width = max([0, *(len(source) for source in per_source)])
        lines += [f"  {source:<{width}}  {accuracy:.3f}" for source, accuracy in per_source.items()]
    lines.append(
        f'use it: sentilab predict --model {name} "..."  (or analyze, evaluate, serve --model {name})'
    )
    for line in lines:
        click.echo(line, err=as_json)
    if as_json:
        summary = {
            "name": name,
            "directory": str(result.directory),
            "built_now": result.built_now,
            "device": result.device,
            "seconds": result.seconds,
            "validation_accuracy": pooled,
            "validation_accuracy_per_source": per_source,
            "metrics": result.metrics,
        }
        click.echo(json.dumps(summary, indent=1, default=str))
