"""The ``sentilab`` command line: a thin click layer over the library.

Subcommands live in their own modules and are imported only when run, so ``sentilab --help`` stays fast.
Every :class:`~sentilab.errors.SentilabError` is printed as ``error: ...`` plus a hint line — never a
traceback for a user mistake — and the exit code says what kind of failure it was (:data:`EXIT_CODES`).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from sentilab import __version__
from sentilab.errors import FetchError, SentilabError

#: Exit codes, the same for every command (shown by ``sentilab --help``).
EXIT_USER_ERROR = 2  # bad input, a bad option, a path sentilab may not write: fix the command
EXIT_IO_ERROR = 3  # a download or the disk failed: retry, or free space / fix permissions
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (128 + SIGPIPE, as shells report it)
EXIT_CODES = {
    0: "success",
    1: "a bug in sentilab (a traceback is printed: please report it)",
    EXIT_USER_ERROR: "a mistake in the command or its input (the message says what to change)",
    EXIT_IO_ERROR: "a download, the network or the disk failed (retry later, or fix space/permissions)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); outputs are left as they were before the command",
}

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
    "models": "sentilab.cli.models_cmd:models",
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
            ctx.exit(EXIT_IO_ERROR if isinstance(exc, FetchError) else EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:  # `sentilab data list | head`: the reader has all it wanted; say nothing
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit cannot fail again
            ctx.exit(EXIT_BROKEN_PIPE)
        except OSError as exc:  # the disk or the system failed, not the user: no traceback, exit 3
            where = f": {exc.filename}" if exc.filename else ""
            click.secho(f"error: {exc.strerror or exc}{where}", err=True, fg="red")
            ctx.exit(EXIT_IO_ERROR)


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
      sentilab models build best               # the fine-tuned encoder, once; then --model best anywhere

    Files are cached under $SENTILAB_HOME (default ~/.cache/sentilab).

    \b
    Exit codes:
      0    success
      2    a mistake in the command or its input (the message says what to change)
      3    a download, the network or the disk failed (retry, or fix space/permissions)
      130  interrupted (Ctrl-C); outputs are left as they were
    """


def run() -> None:  # pragma: no cover - used by python -m sentilab
    main(prog_name="sentilab")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
