"""`overfitdoc check`: a CI gate on the generalization gap. Thin: parse, call
:mod:`overfitdoc.check`, render, exit with the outcome's code."""

from __future__ import annotations

import inspect
import sys
from typing import Annotated

import typer

from ..errors import OverfitdocError, UsageError
from .common import (
    DebugOpt,
    Files,
    InputFormatOpt,
    Mode,
    ModeOpt,
    MonitorOpt,
    OutputFormat,
    TargetOpt,
    ValSizeOpt,
    err_console,
    fail,
    load_all,
    stdout_console,
)

GATES_PANEL = "Gates (each off unless set)"
REGRESSION = "Regression gate"
OUTPUT = "Output"
CONFIG = "Configuration"


def check_command(
    files: Files,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            metavar="OLD_HISTORY",
            rich_help_panel=REGRESSION,
            help="Fail when the final gap or the best validation value is worse than this history's by more than --tolerance.",
        ),
    ] = None,
    tolerance: Annotated[
        str | None,
        typer.Option(
            "--tolerance",
            metavar="T",
            rich_help_panel=REGRESSION,
            help="How much worse than the baseline is allowed: absolute (0.02) or relative (5%). Default 0.",
        ),
    ] = None,
    monitor: MonitorOpt = None,
    mode: ModeOpt = None,
    target: TargetOpt = None,
    val_size: ValSizeOpt = None,
    input_format: InputFormatOpt = None,
    format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", rich_help_panel=OUTPUT, help="text (a table), json (the report plus gates), or markdown."
        ),
    ] = OutputFormat.text,
    junit: Annotated[
        str | None,
        typer.Option(
            "--junit",
            metavar="PATH",
            rich_help_panel=OUTPUT,
            help="Also write JUnit XML: one testcase per run and gate.",
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            metavar="FILE",
            rich_help_panel=CONFIG,
            help="Read settings from this pyproject.toml (\\[tool.overfitdoc.check]) or overfitdoc.toml (\\[check]) instead of the nearest one.",
        ),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", rich_help_panel=CONFIG, help="Ignore configuration files.")
    ] = False,
    debug: DebugOpt = False,
    **gate_limits,
) -> None:
    r"""Fail a CI job when training overfits: gates on the gap, the verdict and validation scores.

    Exit codes: 0 every run passed every gate; 1 a gate failed; 2 bad usage or configuration,
    or an input that could not be read or judged, or a gate that could not be applied (a metric
    the run lacks): 2 wins over 1.

    Settings also come from \[tool.overfitdoc.check] in the nearest pyproject.toml, or from
    overfitdoc.toml (\[check]); options given here win.

    Example: overfitdoc check history.csv --max-gap 0.2 --fail-on overfitting,unstable
    """
    from ..advice import advise
    from ..check import build_gates, evaluate, load_baseline, report_with_gates, resolve_config, settings_from

    cli = dict(
        **gate_limits,
        baseline=baseline,
        tolerance=tolerance,
        monitor=monitor,
        mode=mode,
        target=target,
        val_size=val_size,
        input_format=input_format,
        junit=junit,
    )
    try:
        cfg = resolve_config(config, no_config)
        settings = settings_from(cfg.values, cli)
        analysis = dict(
            monitor=settings.get("monitor"),
            mode=settings.get("mode"),
            target=settings.get("target"),
            val_size=settings.get("val_size"),
            input_format=settings.get("input_format"),
        )
        base = load_baseline(settings["baseline"], **analysis) if settings.get("baseline") else None
        gates = build_gates(settings, base)
    except OverfitdocError as e:
        fail(e, debug)
    loaded = load_all(
        files,
        monitor=analysis["monitor"],
        mode=Mode(analysis["mode"]) if analysis["mode"] else None,
        target=analysis["target"],
        val_size=analysis["val_size"],
        input_format=analysis["input_format"],
        debug=debug,
        outputs=[("--junit", settings.get("junit"))],
        other_inputs=[settings.get("baseline"), str(cfg.path) if cfg.path else None],
    )
    outcome = evaluate(
        loaded.sources, loaded.diagnoses, loaded.errors, gates, advice=lambda d: advise(d, top=5), config=cfg.path
    )
    for i, rc in enumerate(outcome.runs):  # the undiagnosable runs were said by load_all
        if i not in loaded.undiagnosable:
            for r in rc.not_applied:
                err_console.print(f"Error: {rc.source}: {r.gate} not applied: {r.details}", markup=False)
    rep = report_with_gates(outcome)
    try:
        if settings.get("junit"):
            from ..io import atomic_write
            from ..render.junit import render_junit

            atomic_write(settings["junit"], render_junit(rep))
    except OverfitdocError as e:
        fail(e, debug)
    _render(rep, format)
    _github(rep, annotations_to_stderr=format is OutputFormat.json)
    raise typer.Exit(outcome.exit_code)


def _render(rep: dict, format: OutputFormat) -> None:
    if format is OutputFormat.json:
        from ..render.json import render_json

        typer.echo(render_json(rep), nl=False)
    elif format is OutputFormat.markdown:
        from ..render.check_markdown import render_markdown

        typer.echo(render_markdown(rep), nl=False)
    else:
        from ..render.check_table import print_table

        print_table(rep, stdout_console())


def _github(rep: dict, *, annotations_to_stderr: bool) -> None:
    """Annotations and the step summary, under GitHub Actions only."""
    from ..render.github import append_step_summary, in_github_actions, workflow_commands

    if not in_github_actions():
        return
    for line in workflow_commands(rep):
        typer.echo(line, err=annotations_to_stderr)
    try:
        append_step_summary(rep)
    except UsageError as e:  # the gate's result matters more than the summary: warn, go on
        err_console.print(f"Warning: {e}", markup=False)
    sys.stdout.flush()


def with_gate_options(command):
    """Give ``command`` one option per gate that has one (``--<key>``, from its
    :class:`~overfitdoc.check.gates.GateOption`), after the files: a new gate adds its option
    in ``check/gates.py`` alone. typer reads the signature set here; the values arrive in
    ``**gate_limits``."""
    from ..check.gates import GATES

    sig = inspect.signature(command, eval_str=True)
    params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    gate_params = []
    for g in GATES:
        o = g.option
        if o is None:
            continue
        option = typer.Option(
            "--" + g.key.replace("_", "-"), metavar=o.metavar, rich_help_panel=GATES_PANEL, help=o.help, min=o.min
        )
        annotation = Annotated[o.type | None, option]  # type: ignore[name-defined]
        gate_params.append(
            inspect.Parameter(g.key, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        )
    rest = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params[1:]]
    command.__signature__ = sig.replace(parameters=[params[0], *gate_params, *rest])
    return command


check_command = with_gate_options(check_command)


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
