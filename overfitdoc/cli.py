"""The command line: parse, call the library, render, map errors to exit codes. Nothing else.

Each command lives in ``overfitdoc/commands/<name>.py`` and registers itself.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from ._version import __version__
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED

COMMANDS = ("diagnose", "plot", "check", "explain", "rerun", "formats")

app = typer.Typer(
    name="overfitdoc",
    help="Diagnose overfitting and underfitting from a model's training history.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"overfitdoc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = None,
) -> None:
    """Diagnose overfitting and underfitting from a model's training history."""


for _name in COMMANDS:
    importlib.import_module(f".commands.{_name}", __package__).register(app)


def main() -> None:
    """Entry point: any exception that escapes a command is a bug in overfitdoc: exit 3.
    Ctrl-C exits 130 (the shell's code for an interrupt), never 1, which means "gate failed"."""
    try:
        app()
    except SystemExit as e:
        # click turns Ctrl-C into Abort, prints "Aborted!" and exits 1 while handling it
        if e.code == 1 and type(e.__context__).__name__ == "Abort":
            sys.exit(EXIT_INTERRUPTED)
        raise
    except Exception as e:  # noqa: BLE001
        if "--debug" in sys.argv:
            raise
        sys.stderr.write(
            f"Internal error in overfitdoc: {type(e).__name__}: {e} (run with --debug for the traceback)\n"
        )
        sys.exit(EXIT_INTERNAL)
