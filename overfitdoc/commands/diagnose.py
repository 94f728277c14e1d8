"""`overfitdoc diagnose`: the terminal, JSON or markdown report of one or more histories."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import OverfitdocError, UsageError, exit_code
from .common import (
    DebugOpt,
    Files,
    InputFormatOpt,
    ModeOpt,
    MonitorOpt,
    OutputFormat,
    TargetOpt,
    ValSizeOpt,
    fail,
    load_all,
    stdout_console,
)


def diagnose_command(
    files: Files,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text (default), json (the contract), or markdown.")
    ] = OutputFormat.text,
    monitor: MonitorOpt = None,
    mode: ModeOpt = None,
    target: TargetOpt = None,
    val_size: ValSizeOpt = None,
    input_format: InputFormatOpt = None,
    top: Annotated[int, typer.Option("--top", help="How many remedies to show.", min=0)] = 5,
    task: Annotated[
        str | None, typer.Option("--task", help="image, text, tabular, audio or timeseries: sharpens the advice.")
    ] = None,
    train_size: Annotated[int | None, typer.Option("--train-size", help="Number of training samples.", min=1)] = None,
    params: Annotated[int | None, typer.Option("--params", help="Number of model parameters.", min=1)] = None,
    framework: Annotated[
        str | None,
        typer.Option(
            "--framework",
            help="keras, pytorch, lightning, hf (Hugging Face Trainer) or ultralytics: show only that fix (a Hugging Face or Ultralytics log picks its own by default).",
        ),
    ] = None,
    plot: Annotated[
        str | None, typer.Option("--plot", help="Also draw the curves to this image (PNG, SVG or PDF).")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the report to this file instead of standard output.")
    ] = None,
    chart: Annotated[bool, typer.Option("--chart/--no-chart", help="Small chart in the text report.")] = True,
    rerun: Annotated[
        str | None,
        typer.Option(
            "--rerun",
            help="An `overfitdoc rerun` output folder: rank the advice by the effects its summary.json measured.",
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Diagnose training histories: the gap, the divergence epoch, bias and variance, and what to do.

    Example: overfitdoc diagnose history.csv --format json
    """
    from ..advice import advise, read_rerun
    from ..advice.base import Context
    from ..report import error_report, report, run_report

    try:  # bad --task, --framework or --rerun: one line and exit 2, before reading anything
        Context.parse({"task": task, "train_size": train_size, "params": params, "framework": framework}, strict=True)
        measured = read_rerun(rerun) if rerun is not None else None
    except OverfitdocError as e:
        fail(e, debug)
    loaded = load_all(
        files,
        monitor=monitor,
        mode=mode,
        target=target,
        val_size=val_size,
        input_format=input_format,
        debug=debug,
        outputs=[("--output", output), ("--plot", plot)],
    )
    context = {"task": task, "train_size": train_size, "params": params, "framework": framework}
    runs = []
    for i, src in enumerate(loaded.sources):
        if i in loaded.errors:
            runs.append(error_report(src, loaded.errors[i]))
        else:
            d = loaded.diagnoses[i]
            runs.append(run_report(d, advise(d, context=context, top=top, measured=measured)))
    rep = report(runs)
    images = {}
    no_plot = _matplotlib_missing() if plot else None
    try:
        if plot and not no_plot:
            images = _plot(loaded, plot, output)
        text = _render(rep, loaded, format, images, chart, output)
        if output and text is not None:
            from ..io import atomic_write

            atomic_write(output, text)
        elif text is not None:
            typer.echo(text, nl=False)
    except OverfitdocError as e:
        fail(e, debug)
    if no_plot:  # the report is printed; the image alone is missing: say so, exit 2
        fail(UsageError(f"the plot was not drawn ({plot}): {no_plot}"))
    code = exit_code(errors=len(loaded.errors), undiagnosable=len(loaded.undiagnosable))
    if code:
        raise typer.Exit(code)


def _matplotlib_missing() -> str | None:
    from ..render.plot import matplotlib_missing

    return matplotlib_missing()


def _plot(loaded, path: str, report_path: str | None) -> dict[str, str]:
    """Draw each readable run; names are chosen among all inputs, so a bad one renames none.
    Returns each run's image path as the report should link it (relative to the report)."""
    import os

    from ..io import refuse_inputs_as_outputs
    from ..render.plot import output_paths, plot_diagnoses

    ok = sorted(loaded.diagnoses)
    names = output_paths(path, loaded.sources)
    if len(loaded.sources) > 1:  # out-<run>.png each
        refuse_inputs_as_outputs([("--plot", names[i]) for i in ok], loaded.sources)
    ds = [loaded.diagnoses[i] for i in ok]
    written = plot_diagnoses(ds, path, targets=[names[i] for i in ok] if len(loaded.sources) > 1 else None)
    base = os.path.dirname(os.path.abspath(report_path)) if report_path else os.getcwd()
    return {d.source: os.path.relpath(os.path.abspath(p), base) for d, p in zip(ds, written)}


def _render(rep, loaded, format, images, chart, output) -> str | None:
    if format is OutputFormat.json:
        from ..render.json import render_json

        return render_json(rep)
    if format is OutputFormat.markdown:
        from ..render.markdown import render_markdown

        return render_markdown(rep, images)
    from ..render.text import print_text

    if output:
        from io import StringIO

        buf = StringIO()
        print_text(rep, loaded.diagnoses, stdout_console(file=buf), chart=chart)  # rich flushes each print
        return buf.getvalue()
    print_text(rep, loaded.diagnoses, stdout_console(), chart=chart)
    return None


def register(app: typer.Typer) -> None:
    app.command("diagnose")(diagnose_command)
