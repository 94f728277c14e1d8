"""GitHub Actions output of a check, only when ``GITHUB_ACTIONS=true``: an ``::error``
workflow command per failed gate (and per unreadable input, run that cannot be judged and gate
not applied), and the markdown summary appended
to the file named by ``GITHUB_STEP_SUMMARY``. Both read the report that ``check --format
json`` prints.

GitHub documents workflow commands as read from standard output, which is where they go;
with ``--format json`` standard output holds only the JSON, so they go to standard error,
which the runner reads for commands too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import UsageError
from .check_markdown import render_markdown
from .check_table import failed_gates, not_applied, unjudged_reason


def in_github_actions(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """The message of a workflow command: ``%``, CR and LF escaped."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (``file=``, ``title=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: dict) -> list[str]:
    """``::error file=<source>,title=overfitdoc <gate>::<details>`` for each failed gate, and an
    ``::error`` for each input that could not be read or judged and each gate not applied."""
    lines = []
    for run in report["runs"]:
        source = run["source"]
        if not run["ok"]:
            unread = f"cannot read {source}: {run['error']}"
            lines.append(
                f"::error file={escape_property(source)},title={escape_property('overfitdoc')}::{escape_data(unread)}"
            )
            continue
        if why := unjudged_reason(run):
            lines.append(
                f"::error file={escape_property(source)},title={escape_property('overfitdoc')}"
                f"::{escape_data(f'cannot judge {source}: {why}')}"
            )
        for name, g in not_applied(run):
            lines.append(
                f"::error file={escape_property(source)},title={escape_property(f'overfitdoc {name}')}"
                f"::{escape_data('not applied: ' + g['details'])}"
            )
        for name, g in failed_gates(run):
            lines.append(
                f"::error file={escape_property(source)},title={escape_property(f'overfitdoc {name}')}"
                f"::{escape_data(g['details'])}"
            )
    return lines


def append_step_summary(report: dict, env: Mapping[str, str] | None = None) -> str | None:
    """Append the markdown summary to ``$GITHUB_STEP_SUMMARY``; returns the path, or None when
    the variable is unset."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render_markdown(report) + "\n")
    except OSError as e:
        raise UsageError(f"cannot append the step summary to {path}: {e.strerror or e}") from None
    return path
