"""The markdown summary of a check (``check --format markdown``, and GitHub's step summary),
read from the report that ``check --format json`` prints. It only renders."""

from __future__ import annotations

from .check_table import shown_limit, shown_value, unjudged_reason, verdict_line

#: the result cell for each status of a gate (a failure's and a not-applied gate's details follow)
RESULTS = {"pass": "✅ pass", "fail": "❌ **fail**", "not applied": "❌ **not applied**"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict) -> str:
    """A markdown summary: a heading with the result, then a table of every run and gate."""
    icon = "✅" if report["passed"] else "❌"
    out = [
        f"### overfitdoc check: {icon} {verdict_line(report)}",
        "",
        "| run | gate | value | limit | result |",
        "|---|---|---|---|---|",
    ]
    for run in report["runs"]:
        source = _cell(run["source"])
        if not run["ok"]:
            out.append(f"| `{source}` | - | - | - | ❌ error: {_cell(run['error'])} |")
            continue
        if why := unjudged_reason(run):
            out.append(f"| `{source}` | - | - | - | ❌ cannot be judged: {_cell(why)} |")
        for name, g in run["gates"].items():
            result = RESULTS[g["status"]] + ("" if g["status"] == "pass" else f": {_cell(g['details'])}")
            out.append(
                f"| `{source}` | {name} | {_cell(shown_value(g['value']))} | {_cell(shown_limit(g))} | {result} |"
            )
    return "\n".join(out) + "\n"
