"""The terminal table of a check (``overfitdoc check``, the default ``--format text``), and the
helpers the markdown summary shares with it. They read the report that ``check --format
json`` prints (:func:`overfitdoc.check.report_with_gates`), as the other renderers do; they
only render."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..numbers import num
from ..report import undiagnosable

#: the result column for each status of a gate, and its style
RESULTS = {"pass": ("pass", "green"), "fail": ("FAIL", "bold red"), "not applied": ("NOT APPLIED", "bold red")}


def shown_value(value) -> str:
    return "-" if value is None else value if isinstance(value, str) else num(value)


def shown_limit(gate: dict) -> str:
    """A gate's limit as its column writes it: ``<= 0.2``, ``>= 0.9``, ``not overfitting, unstable``."""
    limit = gate["limit"]
    if limit is None:
        return "-"
    if isinstance(limit, list):
        return "not " + ", ".join(limit)
    return f"{gate['comparator']} {num(limit)}"


def gates_with(run: dict, status: str) -> list[tuple[str, dict]]:
    """A run's gates of one status (``fail``, ``not applied``), as ``(name, gate)``."""
    return [(name, g) for name, g in (run.get("gates") or {}).items() if g["status"] == status]


def failed_gates(run: dict) -> list[tuple[str, dict]]:
    """The gates that were applied and failed on a run."""
    return gates_with(run, "fail")


def not_applied(run: dict) -> list[tuple[str, dict]]:
    """The gates that could not be applied to a run: it lacks what they measure."""
    return gates_with(run, "not applied")


def unjudged_reason(run: dict) -> str | None:
    """Why a run that was read was not judged as a whole (it has no monitored pair), when no
    gate of it already says so by being not applied."""
    return None if not_applied(run) else undiagnosable(run)


def verdict_line(report: dict) -> str:
    """One sentence on the whole check, the last line of the text output."""
    runs = report["runs"]
    n = len(runs)
    runs_text = f"{n} run{'s' if n != 1 else ''}"
    failed = [r for r in runs if r["ok"] and failed_gates(r)]
    gates = sum(len(failed_gates(r)) for r in failed)
    failures = f"{len(failed)} of {runs_text} failed {gates} gate{'s' if gates != 1 else ''}"
    unreadable = [r for r in runs if not r["ok"]]
    unjudged = [r for r in runs if r["ok"] and (undiagnosable(r) or not_applied(r))]
    errors = []
    if unreadable:
        errors.append(f"{len(unreadable)} of {runs_text} could not be read")
    if unjudged:
        k = sum(len(not_applied(r)) for r in unjudged)
        errors.append(
            f"{len(unjudged)} of {runs_text} could not be judged"
            + (f" ({k} gate{'s' if k != 1 else ''} not applied)" if k else "")
        )
    if errors:
        return "ERROR: " + "; ".join(errors) + (f"; {failures}" if failed else "")
    if failed:
        return f"FAILED: {failures}"
    g = len(report["gates"])
    return f"PASSED: {runs_text}, {g} gate{'s' if g != 1 else ''} each"


def print_table(report: dict, console: Console) -> None:
    """The table: one row per run and gate, failures in red, then the reasons of the failures,
    the verdict line, and the configuration file read (when one was)."""
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
    # the run and gate names are what a reader greps for: never broken; the limit may wrap
    table.add_column("run", no_wrap=True)
    table.add_column("gate", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("limit", overflow="fold")
    table.add_column("result", no_wrap=True)
    for run in report["runs"]:
        if not run["ok"]:
            table.add_row(Text(run["source"]), "-", "-", "-", Text("ERROR", style="bold red"), style="red")
            continue
        for k, (name, g) in enumerate(run["gates"].items()):
            result = RESULTS[g["status"]]
            # Text, not str: a gate named min-val[val_accuracy] is not rich markup
            table.add_row(
                Text(run["source"] if k == 0 else ""),
                Text(name),
                Text(shown_value(g["value"])),
                Text(shown_limit(g)),
                Text(result[0], style=result[1]),
                style=None if g["status"] == "pass" else "red",
            )
    console.print(table)
    # the inputs that could not be read first, then each run's other problems
    problems = [(r["source"], "error: ", r["error"]) for r in report["runs"] if not r["ok"]]
    for r in (r for r in report["runs"] if r["ok"]):
        if why := unjudged_reason(r):
            problems.append((r["source"], "cannot be judged: ", why))
        for name, g in r["gates"].items():
            if g["status"] != "pass":
                label = f"{name}: not applied: " if g["status"] == "not applied" else f"{name}: "
                problems.append((r["source"], label, g["details"]))
    if problems:
        console.print()
        for source, label, why in problems:
            line = Text(f"{source}: ", style="bold")
            line.append(label, style="bold red")
            line.append(why or "", style="red")
            console.print(line, soft_wrap=True)  # one line per failure: greppable in CI logs
    console.print()
    tail = Text(verdict_line(report), style="bold green" if report["passed"] else "bold red")
    console.print(tail)
    if report.get("config"):
        console.print(Text(f"configuration: {report['config']}", style="dim"))
