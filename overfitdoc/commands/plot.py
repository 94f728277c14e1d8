"""`overfitdoc plot`: draw training histories with what the diagnosis found marked on them."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated

import typer

from ..errors import OverfitdocError, UsageError, exit_code
from .common import DebugOpt, Files, InputFormatOpt, ModeOpt, TargetOpt, ValSizeOpt, err_console, fail, load_all

MAX_INCHES = 60.0


def plot_command(
    files: Files,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Image to write, .png, .svg or .pdf. Several runs: out-<run>.png each (or one with --compare).",
            show_default=False,
        ),
    ] = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Overlay the validation curves and gaps of all runs in one figure.")
    ] = False,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            "--monitor",
            help="Pair to draw as the main one (default: the loss), e.g. accuracy.",
            show_default=False,
        ),
    ] = None,
    mode: ModeOpt = None,
    target: TargetOpt = None,
    val_size: ValSizeOpt = None,
    input_format: InputFormatOpt = None,
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis for the main panel.")] = False,
    smooth: Annotated[
        bool,
        typer.Option(
            "--smooth/--no-smooth",
            help="Draw the trends the analysis used over faint raw values (default), or the raw values alone.",
        ),
    ] = True,
    size: Annotated[
        str | None,
        typer.Option("--size", help="Figure size WxH in inches, e.g. 10x6 (default 8 wide).", show_default=False),
    ] = None,
    dpi: Annotated[int, typer.Option("--dpi", help="Resolution of PNG output, dots per inch.", min=20, max=1200)] = 100,
    title: Annotated[
        str | None, typer.Option("--title", help="Figure title (default: the run and its verdict).", show_default=False)
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="Open a window (needs a display); -o is then optional.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Draw training and validation curves with the recommended epoch, the divergence and the gap marked.

    One figure per run (one file each for several runs), or all runs in one with --compare.

    Renders without a display unless --show is given.

    Example: overfitdoc plot history.csv -o curves.png
    """
    try:
        options = _options(output, show, log_y, smooth, size, dpi, title)
        if show and not _display():
            if output is None:
                raise UsageError("--show needs a display, and none was found; write an image with -o PATH")
            err_console.print("note: no display found; --show ignored, writing the image only", markup=False)
            show = False
    except OverfitdocError as e:
        fail(e, debug)
    loaded = load_all(
        files,
        monitor=metric,
        mode=mode,
        target=target,
        val_size=val_size,
        input_format=input_format,
        debug=debug,
        outputs=[("--output", output)],
    )
    ok = sorted(loaded.diagnoses)
    if ok:
        from ..io import refuse_inputs_as_outputs
        from ..render.plot import output_paths, plot_diagnoses

        # one file per run, named among all the inputs given, so that a file that could not be
        # read does not change the names of the others
        targets = None
        if output is not None and not compare and len(loaded.sources) > 1:
            names = output_paths(output, loaded.sources)
            targets = [names[i] for i in ok]
        shown, bands = [loaded.diagnoses[i] for i in ok], None
        groups = rerun_groups(files, loaded.sources) if compare else None
        if groups:
            # a rerun's output folder: one curve per variant, the mean of its seeds, in a band
            from ..rerun.compare import seed_average

            shown, bands = [], []
            for name, members in groups.items():
                d, band = seed_average(name, [_rows(loaded.diagnoses[i]) for i in members if i in loaded.diagnoses])
                shown.append(d)
                bands.append(band)
            if options.title is None:
                options = replace(options, title=f"Comparing {len(shown)} variant{'s' if len(shown) != 1 else ''}")
        try:
            refuse_inputs_as_outputs([("--output", t) for t in targets or ()], loaded.sources)
            written = plot_diagnoses(
                shown, output, options=options, compare=compare, show=show, targets=targets, bands=bands
            )
        except OverfitdocError as e:
            fail(e, debug)
        for path in written:
            typer.echo(f"wrote {path}")
    # a run that cannot be judged is still drawn (the figure says why), and exits 2 like diagnose
    code = exit_code(errors=len(loaded.errors), undiagnosable=len(loaded.undiagnosable))
    if code:
        raise typer.Exit(code)


#: a rerun's history files: ``<variant>-seed<N>[-fold<K>].csv`` (or ``.json``)
RUN_FILE = re.compile(r"^(?P<variant>.+)-seed\d+(?:-fold\d+)?\.(?:csv|json)$")


def rerun_groups(files: list[str], sources: list[str]) -> dict[str, list[int]] | None:
    """When the one input is a rerun's output folder (its ``summary.json`` is a rerun's): each
    variant, in the summary's order, with the indices of its runs among ``sources``; else None."""
    from pathlib import Path

    from ..advice.measured import rerun_summary
    from ..errors import InputError

    if len(files) != 1 or not Path(files[0]).is_dir():
        return None
    try:
        _, doc = rerun_summary(files[0])
        names = [v["name"] for v in doc["variants"]]
    except (InputError, KeyError, TypeError):
        return None
    groups: dict[str, list[int]] = {n: [] for n in names}
    for i, src in enumerate(sources):
        m = RUN_FILE.match(Path(src).name)
        if m and m["variant"] in groups:
            groups[m["variant"]].append(i)
    return {n: g for n, g in groups.items() if g} or None


def _rows(d) -> list[dict]:
    """A diagnosed run's history as rows, ``{"epoch": e, series: value, ...}``."""
    h = d.history
    return [{"epoch": float(e), **{k: float(v[i]) for k, v in h.columns.items()}} for i, e in enumerate(h.index)]


def _options(output, show, log_y, smooth, size, dpi, title):
    from ..render.plot import PlotOptions, image_format  # no matplotlib: it is imported when drawing

    if output is None and not show:
        raise UsageError("plot needs -o PATH (an image to write: .png, .svg or .pdf), or --show")
    if output is not None:
        image_format(output)
    return PlotOptions(log_y=log_y, smooth=smooth, size=parse_size(size) if size else None, dpi=dpi, title=title)


def parse_size(text: str) -> tuple[float, float]:
    """``"8x6"`` -> ``(8.0, 6.0)`` inches; UsageError for anything else."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*[xX×]\s*(\d+(?:\.\d*)?|\.\d+)\s*", text)
    if not m:
        raise UsageError(f"--size {text!r}: expected WIDTHxHEIGHT in inches, e.g. 8x6")
    w, h = float(m.group(1)), float(m.group(2))
    if not (1.0 <= w <= MAX_INCHES and 1.0 <= h <= MAX_INCHES):
        raise UsageError(f"--size {text!r}: width and height must be between 1 and {MAX_INCHES:g} inches")
    return w, h


def _display() -> bool:
    from ..render.plot import has_display

    return has_display()


def register(app: typer.Typer) -> None:
    app.command("plot")(plot_command)
