"""The markdown summary of a check (``check --format markdown``, and GitHub's step summary),
read from the report that ``check --format json`` prints. It only renders."""
from __future__ import annotations

from .check_table import shown_limit, shown_value, verdict_line


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict) -> str:
    """A markdown summary: a heading with the result, then a table of every run and gate."""
    icon = "✅" if report["passed"] else "❌"
    out = [f"### overfitdoc check: {icon} {verdict_line(report)}", "",
           "| run | gate | value | limit | result |", "|---|---|---|---|---|"]
    for run in report["runs"]:
        source = _cell(run["source"])
        if not run["ok"]:
            out.append(f"| `{source}` | - | - | - | ❌ error: {_cell(run['error'])} |")
            continue
        for name, g in run["gates"].items():
            result = "✅ pass" if g["passed"] else f"❌ **fail**: {_cell(g['details'])}"
            out.append(f"| `{source}` | {name} | {_cell(shown_value(g['value']))} | {_cell(shown_limit(g))} | {result} |")
    return "\n".join(out) + "\n"
