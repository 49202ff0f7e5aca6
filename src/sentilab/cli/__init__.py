"""The ``sentilab`` command line: a thin click layer over the library.

Subcommands live in their own modules and are imported only when run, so ``sentilab --help`` stays fast.
Every :class:`~sentilab.errors.SentilabError` is printed as ``error: ...`` plus a hint line (exit code 2) —
never a traceback for a user mistake.
"""

from __future__ import annotations

import importlib
import sys

import click

from sentilab import __version__
from sentilab.errors import SentilabError

#: command name -> "module:attribute" of a click command or group.
COMMANDS: dict[str, str] = {
    "data": "sentilab.cli.data_cmds:data",
    "train": "sentilab.cli.model_cmds:train",
    "evaluate": "sentilab.cli.model_cmds:evaluate_command",
    "benchmark": "sentilab.cli.model_cmds:benchmark",
    "explain": "sentilab.cli.model_cmds:explain",
    "top-words": "sentilab.cli.model_cmds:top_words",
    "predict": "sentilab.cli.model_cmds:predict",
    "analyze": "sentilab.cli.analyze_cmd:analyze",
    "serve": "sentilab.cli.serve_cmd:serve",
    "demo": "sentilab.cli.demo_cmd:demo",
    "audit": "sentilab.cli.audit_cmd:audit",
    "explore": "sentilab.cli.explore_cmd:explore_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module_name, attribute = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SentilabError as exc:
            click.secho(f"error: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"  {exc.hint}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="sentilab")
def main() -> None:
    """sentilab: sentiment analysis from labelled text to trained, explained and audited models.

    \b
    Typical session:
      sentilab data list                       # the datasets sentilab knows, and which are cached
      sentilab data get crowdflower-tweets     # fetch one (registries work offline once cached)
      sentilab explore crowdflower-tweets --out runs/explore
      sentilab train --data crowdflower-tweets --model bow --out runs/bow
      sentilab evaluate runs/bow --data vader-tweets
      sentilab predict --model runs/bow "I can't stand this phone"

    Files are cached under $SENTILAB_HOME (default ~/.cache/sentilab).
    """


def run() -> None:  # pragma: no cover - used by python -m sentilab
    main(prog_name="sentilab")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
