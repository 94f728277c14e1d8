"""Terminal renderer (rich): the report of each run, and a summary table for several runs."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..advice.base import ALL_FRAMEWORK_NAMES
from ..numbers import num
from .chart import terminal_chart
from .markdown import figures

VERDICT_STYLE = {
    "good_fit": "bold green",
    "overfitting": "bold red",
    "underfitting": "bold yellow",
    "overfitting_and_underfitting": "bold red",
    "still_improving": "bold cyan",
    "not_learning": "bold magenta",
    "unstable": "bold magenta",
    "insufficient_data": "bold",
}


def verdict_text(verdict: str) -> Text:
    return Text(verdict.replace("_", " ").upper(), style=VERDICT_STYLE.get(verdict, "bold"))


class Code(Text):
    """A fix snippet: printed as it is, never wrapped or cropped at the console's width, so
    that it pastes (a terminal that is too narrow soft-wraps it on screen, not in the text)."""


def render_parts(run: dict, diagnosis=None, *, chart: bool = True, unicode: bool = True, width: int = 80) -> list:
    """The report of one run as a list of renderables; snippets are :class:`Code`."""
    parts: list[RenderableType] = []
    if not run["ok"]:
        return [Text(f"{run['source']}: error: {run['error']}", style="red")]
    mon = run["monitor"]
    parts.append(Text(run["source"], style="bold"))
    dot = "·" if unicode else "-"  # an ASCII terminal (PYTHONIOENCODING=ascii) gets ASCII
    head = Text(
        f"{run['format']}  {dot}  {run['epochs']} {run.get('unit', 'epoch')}{'' if run['epochs'] == 1 else 's'} with validation",
        style="dim",
    )
    if mon:
        head.append(
            f"  {dot}  monitor {mon['train']} / {mon['val']} ({'lower' if mon['mode'] == 'min' else 'higher'} is better)"
        )
    parts.append(head)
    line = Text("Verdict: ")
    line.append_text(verdict_text(run["verdict"]))
    line.append(f"  (confidence {run['confidence']:.2f}; bias {run['bias']}, variance {run['variance']})")
    parts.append(line)
    parts.append(Text(run["summary"]))
    if run["best_epoch"] is not None:  # the figures exist once there were points to analyse
        table = Table(show_header=False, box=None, pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column(style="dim")
        table.add_column()
        for k, v in figures(run):
            table.add_row(k, v)
        parts.append(table)
        if chart and diagnosis is not None and len(diagnosis.points) >= 2:
            parts.append(Text("\n".join(terminal_chart(diagnosis, width=min(width, 72), unicode=unicode))))
    if run["advice"]:
        parts.append(Text("What to try, best first:", style="bold"))
        for a in run["advice"]:
            t = Text(f" {a['rank']}. ")
            t.append(a["title"], style="bold")
            t.append(f" [{a['id']}]", style="dim")
            parts.append(t)
            parts.append(Padding(Text(a["evidence"]), (0, 0, 0, 4)))
        top = run["advice"][0]
        for framework, code in (top.get("fix") or {}).items():
            parts.append(Text(f"Fix for #1 in {ALL_FRAMEWORK_NAMES.get(framework, framework)}:", style="bold"))
            parts.append(Code("\n".join(("    " + ln).rstrip() for ln in code.rstrip().splitlines())))
        hints = dict.fromkeys(a["context_hint"] for a in run["advice"] if a.get("context_hint"))
        for hint in hints:
            parts.append(Text(f"hint: {hint}", style="dim"))
        parts.append(Text("overfitdoc explain ID shows a remedy's full page.", style="dim"))
    for note in run.get("notes") or []:
        parts.append(Text(f"note: {note}", style="dim"))
    return parts


def render_run(run: dict, diagnosis=None, *, chart: bool = True, unicode: bool = True, width: int = 80) -> Group:
    """The report of one run as one renderable (snippets wrap in it: print with
    :func:`print_run` to keep them whole)."""
    return Group(*render_parts(run, diagnosis, chart=chart, unicode=unicode, width=width))


def print_run(run: dict, diagnosis, console: Console, *, chart: bool = True, unicode: bool = True) -> None:
    """Print one run's report; snippets are printed unwrapped (``soft_wrap``), so each code
    line stays one line whatever the width."""
    for part in render_parts(run, diagnosis, chart=chart, unicode=unicode, width=console.width):
        if isinstance(part, Code):
            console.print(part, soft_wrap=True, highlight=False, markup=False)
        else:
            console.print(part)


def render_summary_table(report: dict) -> Table:
    table = Table(title="Summary", title_justify="left")
    for col in ("run", "verdict", "best", "recommended", "divergence", "final gap"):
        table.add_column(col)
    for run in report["runs"]:
        if not run["ok"]:
            table.add_row(run["source"], Text("error", style="red"), "-", "-", "-", "-")
            continue
        table.add_row(
            run["source"],
            verdict_text(run["verdict"]),
            num(run["best_epoch"]),
            num(run["recommended_epoch"]),
            num(run["divergence_epoch"]),
            num(run["gap"]["final"]),
        )
    return table


def print_text(report: dict, diagnoses: dict, console: Console, *, chart: bool = True) -> None:
    """Print the report. On a console that is not UTF-8 (``PYTHONIOENCODING=ascii``, a latin-1
    terminal) the report is drawn with ASCII glyphs, and whatever its encoding still cannot
    hold (rich's ``…`` where a cell is cut, a metric or file name in another script) is
    written as ``?`` instead of raising UnicodeEncodeError."""
    if (console.encoding or "").lower().startswith("utf"):
        _print_text(report, diagnoses, console, chart=chart, unicode=True)
        return
    with console.capture() as captured:
        _print_text(report, diagnoses, console, chart=chart, unicode=False)
    encoding = console.encoding or "ascii"
    console.file.write(captured.get().encode(encoding, "replace").decode(encoding))
    console.file.flush()


def _print_text(report: dict, diagnoses: dict, console: Console, *, chart: bool, unicode: bool) -> None:
    shown = 0
    for i, run in enumerate(report["runs"]):
        if not run["ok"]:
            continue  # already said on standard error, in one line
        if shown:
            console.print()
        shown += 1
        print_run(run, diagnoses.get(i), console, chart=chart, unicode=unicode)
    if len(report["runs"]) > 1 and shown:
        console.print()
        console.print(render_summary_table(report))
