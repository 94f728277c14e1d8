"""Renderers of a check's :class:`~overfitdoc.check.core.Outcome`: the terminal table and the
markdown summary (``--format markdown`` and GitHub's step summary). They only render."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..numbers import num
from .core import Outcome
from .gates import AT_LEAST, AT_MOST, GateResult


def shown_value(value) -> str:
    return "-" if value is None else value if isinstance(value, str) else num(value)


def shown_limit(r: GateResult) -> str:
    if r.limit is None:
        return "-"
    if isinstance(r.limit, list):
        return "not " + ", ".join(r.limit)
    sign = {AT_MOST: "<=", AT_LEAST: ">="}.get(r.comparator, r.comparator)
    return f"{sign} {num(r.limit)}"


def verdict_line(outcome: Outcome) -> str:
    """One sentence on the whole check, the last line of the text output."""
    n = len(outcome.runs)
    runs = f"{n} run{'s' if n != 1 else ''}"
    failed = [r for r in outcome.runs if r.error is None and not r.passed]
    gates = sum(len(r.failed) for r in failed)
    failures = f"{len(failed)} of {runs} failed {gates} gate{'s' if gates != 1 else ''}"
    if outcome.unreadable:
        k = len(outcome.unreadable)
        return f"ERROR: {k} of {runs} could not be read" + (f"; {failures}" if failed else "")
    if failed:
        return f"FAILED: {failures}"
    g = len(outcome.gates)
    return f"PASSED: {runs}, {g} gate{'s' if g != 1 else ''} each"


def print_table(outcome: Outcome, console: Console, config_shown: str = "") -> None:
    """The table: one row per run and gate, failures in red, then the reasons of the failures."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    # the run and gate names are what a reader greps for: never broken; the limit may wrap
    table.add_column("run", no_wrap=True)
    table.add_column("gate", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("limit", overflow="fold")
    table.add_column("result", no_wrap=True)
    for rc in outcome.runs:
        if rc.error is not None:
            table.add_row(Text(rc.source), "-", "-", "-", Text("ERROR", style="bold red"), style="red")
            continue
        for k, r in enumerate(rc.results):
            result = Text("pass", style="green") if r.passed else Text("FAIL", style="bold red")
            # Text, not str: a gate named min-val[val_accuracy] is not rich markup
            table.add_row(Text(rc.source if k == 0 else ""), Text(r.gate), Text(shown_value(r.value)),
                          Text(shown_limit(r)), result, style=None if r.passed else "red")
    console.print(table)
    problems = [(rc.source, None, rc.error) for rc in outcome.unreadable]
    problems += [(rc.source, r.gate, r.details) for rc in outcome.runs for r in rc.failed]
    if problems:
        console.print()
        for source, gate, why in problems:
            line = Text(f"{source}: ", style="bold")
            line.append(f"{gate}: " if gate else "error: ", style="bold red")
            line.append(why or "", style="red")
            console.print(line, soft_wrap=True)  # one line per failure: greppable in CI logs
    console.print()
    tail = Text(verdict_line(outcome), style="bold green" if outcome.passed else "bold red")
    console.print(tail)
    if config_shown:
        console.print(Text(f"configuration: {config_shown}", style="dim"))


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(outcome: Outcome) -> str:
    """A markdown summary: a heading with the result, then a table of every run and gate."""
    icon = "✅" if outcome.passed else "❌"
    out = [f"### overfitdoc check: {icon} {verdict_line(outcome)}", "",
           "| run | gate | value | limit | result |", "|---|---|---|---|---|"]
    for rc in outcome.runs:
        if rc.error is not None:
            out.append(f"| `{_cell(rc.source)}` | - | - | - | ❌ error: {_cell(rc.error)} |")
            continue
        for r in rc.results:
            result = "✅ pass" if r.passed else f"❌ **fail**: {_cell(r.details)}"
            out.append(f"| `{_cell(rc.source)}` | {r.gate} | {_cell(shown_value(r.value))} | "
                       f"{_cell(shown_limit(r))} | {result} |")
    return "\n".join(out) + "\n"
