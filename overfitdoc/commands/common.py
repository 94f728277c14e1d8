"""Options shared by several commands (one definition each), and the input loop that
turns files into diagnoses with one-line errors."""

from __future__ import annotations

import enum
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Annotated, NoReturn, cast

import typer
from rich.console import Console

from ..errors import InputError, OverfitdocError

if TYPE_CHECKING:  # the analysis is imported when the first input is diagnosed
    from ..analysis import Diagnosis

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Mode(str, enum.Enum):
    min = "min"
    max = "max"


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


Files = Annotated[
    list[str],
    typer.Argument(help="Training histories (files, directories, or - for standard input).", show_default=False),
]
MonitorOpt = Annotated[
    str | None, typer.Option("--monitor", help="Metric to judge by (default: the loss), e.g. accuracy or val_auc.")
]
ModeOpt = Annotated[
    Mode | None, typer.Option("--mode", help="Override the metric's direction: min (lower is better) or max.")
]
TargetOpt = Annotated[
    float | None, typer.Option("--target", help="Training value you know is attainable (judges bias).")
]
ValSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--val-size",
        min=1,
        help="Number of validation samples (else read from the accuracy's steps when it can be): sets the confidence.",
    ),
]
InputFormatOpt = Annotated[
    str | None,
    typer.Option("--input-format", help="Skip detection and read with this format (see `overfitdoc formats`)."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]


@dataclass
class Loaded:
    """What came of each input, in order: a Diagnosis or an error reason."""

    sources: list[str] = field(default_factory=list)
    diagnoses: dict[int, Diagnosis] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    #: inputs that were read but cannot be judged (no validation series, no such --monitor):
    #: reported in full, said on stderr, and the command exits 2
    undiagnosable: set[int] = field(default_factory=set)


def expand(files: list[str]) -> list[str]:
    """Directories become the logs inside them (see readers.expand_inputs)."""
    from ..readers import expand_inputs

    return expand_inputs(files)


def load_all(
    files: list[str],
    *,
    monitor: str | None = None,
    mode: Mode | None = None,
    target: float | None = None,
    val_size: int | None = None,
    input_format: str | None = None,
    debug: bool = False,
    outputs: Iterable[tuple[str, str | None]] = (),
    other_inputs: Iterable[str | None] = (),
) -> Loaded:
    """Read and diagnose every input; a bad one is recorded and reported, the others go on.

    ``outputs``: the command's output options, ``(option, path)``: one that is an input (once
    directories are expanded) or one of ``other_inputs`` (a baseline, a configuration file)
    is a UsageError, exit 2, before anything is read."""
    from ..api import diagnose
    from ..io import refuse_inputs_as_outputs

    out = Loaded()
    try:
        sources = expand(files)
        refuse_inputs_as_outputs(outputs, [*sources, *other_inputs])
    except OverfitdocError as e:
        fail(e, debug)
    for i, src in enumerate(sources):
        out.sources.append(src)
        try:
            d = out.diagnoses[i] = diagnose(
                src,
                monitor=monitor,
                mode=mode.value if mode else None,
                target=target,
                val_size=val_size,
                input_format=input_format,
            )
            if d.monitor is None:
                err_console.print(f"Error: {src}: {d.missing}", markup=False)
                out.undiagnosable.add(i)
        except InputError as e:
            if debug:
                err_console.print_exception()
            err_console.print(f"Error: {e}", markup=False)
            out.errors[i] = e.reason
        except OverfitdocError as e:
            fail(e, debug)
    return out


def fail(e: OverfitdocError, debug: bool = False) -> NoReturn:
    """One line on stderr and the error's exit code."""
    if debug:
        err_console.print_exception()
    err_console.print(f"Error: {e}", markup=False)
    raise typer.Exit(e.exit_code)


class TrimmedLines(io.TextIOBase):
    """A text stream that drops the spaces rich pads table rows and wrapped lines with, before
    each newline (before any style codes that end the line): copied or diffed reports carry
    no trailing whitespace. Partial lines wait for their newline or a flush."""

    _PAD = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)\n")

    def __init__(self, target):
        self.target = target
        self.pending = ""

    def write(self, s: str) -> int:
        text = self.pending + s
        head, newline, self.pending = text.rpartition("\n")
        if newline:
            self.target.write(self._PAD.sub(r"\1\n", head + newline))
        return len(s)

    def flush(self) -> None:
        if self.pending:
            self.target.write(self.pending)
            self.pending = ""
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self):  # type: ignore[override]  # the target's, read-only as on a real stream
        return getattr(self.target, "encoding", "utf-8")


def stdout_console(file=None, width: int = 100) -> Console:
    """The console reports are printed on: the terminal's width on a terminal, else ``width``
    columns; trailing spaces removed (:class:`TrimmedLines`). ``file``: another stream than
    standard output (a buffer for ``-o``), never a terminal."""
    if file is not None:
        return Console(
            file=cast(IO[str], TrimmedLines(file)), highlight=False, soft_wrap=False, width=width, color_system=None
        )
    return Console(
        file=cast(IO[str], TrimmedLines(sys.stdout)),
        highlight=False,
        soft_wrap=False,
        width=None if sys.stdout.isatty() else width,
    )
