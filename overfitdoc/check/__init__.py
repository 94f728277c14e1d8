"""``overfitdoc check``: gates on the generalization gap, for CI.

* :mod:`.gates`: the gates, one class each: measure a quantity of a run, judge it against a limit;
* :mod:`.config`: ``[tool.overfitdoc.check]`` / ``overfitdoc.toml`` discovery and checking;
* :mod:`.core`: settings -> gates -> :class:`Outcome`, its exit code, and the report
  (:func:`report_with_gates`, what ``--format json`` prints) every output is rendered from.

The outputs live with the other renderers and read only that report:
:mod:`overfitdoc.render.check_table` (the terminal table), :mod:`overfitdoc.render.check_markdown`,
:mod:`overfitdoc.render.junit` and :mod:`overfitdoc.render.github`.

>>> from overfitdoc.check import build_gates
>>> [g.name for g in build_gates({"max_gap": 0.2, "min_val": {"val_accuracy": 0.9}})]
['max-gap', 'min-val[val_accuracy]']
"""

from __future__ import annotations

from .config import KEYS, Config, find_config, load_config, resolve_config
from .core import Outcome, RunCheck, build_gates, check_run, evaluate, load_baseline, report_with_gates, settings_from
from .gates import GATES, Gate, GateResult, Measured, RunView, Tolerance

__all__ = [
    "GATES",
    "KEYS",
    "Config",
    "Gate",
    "GateResult",
    "Measured",
    "Outcome",
    "RunCheck",
    "RunView",
    "Tolerance",
    "build_gates",
    "check_run",
    "evaluate",
    "find_config",
    "load_baseline",
    "load_config",
    "report_with_gates",
    "resolve_config",
    "settings_from",
]
