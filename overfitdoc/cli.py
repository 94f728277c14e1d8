"""The command line: parse, call the library, render, map errors to exit codes. Nothing else.

Each command lives in ``overfitdoc/commands/<name>.py`` and registers itself.
"""

from __future__ import annotations

import importlib
import sys
import traceback
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
    """Entry point: the command's exit code, whatever happens to standard output.

    * any exception that escapes a command is a bug in overfitdoc: exit 3, with the traceback
      under ``--debug`` (still 3, never Python's 1, which means "gate failed");
    * Ctrl-C exits 130 (the shell's code for an interrupt), never 1;
    * standard output closed by its reader (``| head``): the command's own code
      (:class:`~overfitdoc.io.GuardedStdout`); standard output that cannot be written (a full
      disk): one line, exit 2.
    """
    from .errors import OverfitdocError
    from .io import GuardedStdout

    debug = "--debug" in sys.argv
    stream = sys.stdout
    sys.stdout = GuardedStdout(stream)
    code: int | str | None
    try:
        try:
            app()
        finally:  # what is still buffered is written here, where a failure is still one line
            sys.stdout.flush()
    except SystemExit as e:
        # click turns Ctrl-C into Abort, prints "Aborted!" and exits 1 while handling it
        code = EXIT_INTERRUPTED if e.code == 1 and type(e.__context__).__name__ == "Abort" else e.code
    except OverfitdocError as e:  # standard output failed outside a command's own handling
        if debug:
            traceback.print_exc()
        sys.stderr.write(f"Error: {e}\n")
        code = e.exit_code
    except Exception as e:  # noqa: BLE001
        if debug:
            traceback.print_exc()
            sys.stderr.write(f"Internal error in overfitdoc: {type(e).__name__}: {e}\n")
        else:
            sys.stderr.write(
                f"Internal error in overfitdoc: {type(e).__name__}: {e} (run with --debug for the traceback)\n"
            )
        code = EXIT_INTERNAL
    finally:
        sys.stdout = stream
    sys.exit(code)
