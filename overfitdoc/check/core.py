"""Settings, the gates they turn on, and the outcome of a check: what the command calls.

The exit code of ``overfitdoc check`` is decided here (:attr:`Outcome.exit_code`):

* 2 (``EXIT_BAD_INPUT``) when any input could not be read, even if gates failed on the
  others: a CI job must not read "the gate failed" when the gate could not be applied;
* else 1 (``EXIT_GATE_FAILED``) when any gate failed on any run;
* else 0.

Bad options and configuration exit 2 before anything is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis import Diagnosis
from ..errors import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_OK, InputError, UsageError
from .config import KEYS, display_path, merge
from .gates import GATES, Gate, GateResult, RunView, Tolerance, parse_fraction, parse_metric_limits, parse_verdicts

#: how each command-line value is checked: the same rules as the configuration's
CLI_PARSERS = {
    "max_relative_gap": parse_fraction,
    "fail_on": lambda v, label: tuple(parse_verdicts(v)),
    "min_val": parse_metric_limits,
    "max_val": parse_metric_limits,
    "tolerance": Tolerance.parse,
}


def option_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def settings_from(config: dict, cli: dict) -> dict:
    """Merge checked configuration values with the command line's (which win).

    ``cli`` holds the options as typer parsed them (None when not given)."""
    parsed = {}
    for key, value in cli.items():
        if key not in KEYS:
            raise ValueError(f"not a check setting: {key}")  # a bug in the command, not the user's
        if value is None or value == []:
            continue
        parse = CLI_PARSERS.get(key)
        parsed[key] = parse(value, option_name(key)) if parse else getattr(value, "value", value)
    if parsed.get("tolerance") is not None and not (parsed.get("baseline") or config.get("baseline")):
        raise UsageError("--tolerance needs --baseline (or baseline in the configuration)")
    return merge(config, parsed)


def build_gates(settings: dict, baseline: RunView | None = None) -> list[Gate]:
    """Every gate ``settings`` turn on, in the order of :data:`GATES`."""
    gates: list[Gate] = []
    for kind in GATES:
        gates.extend(kind.from_settings(settings, baseline))
    if not gates:
        raise UsageError("no gates set: give at least one of "
                         f"{', '.join(option_name(k.key) for k in GATES if not k.key.startswith('baseline'))}"
                         " or --baseline, or set them in [tool.overfitdoc.check]")
    return gates


def load_baseline(path: str, *, monitor=None, mode=None, target=None, input_format=None) -> RunView:
    """Read and diagnose the baseline history; one that cannot give a gap is a UsageError."""
    from ..api import diagnose
    from ..report import run_report

    try:
        d = diagnose(path, monitor=monitor, mode=mode, target=target, input_format=input_format)
    except InputError as e:
        raise UsageError(f"baseline {e.source}: {e.reason}") from None
    run = run_report(d)
    if run["gap"]["final"] is None or run["best_val"] is None:
        raise UsageError(f"baseline {path}: {d.summary}")
    return RunView(run, d)


@dataclass(frozen=True)
class RunCheck:
    """One input and what the gates made of it; ``error`` when it could not be read."""

    source: str
    results: tuple[GateResult, ...] = ()
    error: str | None = None
    run: dict | None = None  # the contract's RUN object

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]


@dataclass(frozen=True)
class Outcome:
    """Every run's gates, and what the check as a whole says."""

    runs: tuple[RunCheck, ...]
    gates: tuple[str, ...]
    config: Path | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.runs)

    @property
    def unreadable(self) -> list[RunCheck]:
        return [r for r in self.runs if r.error is not None]

    @property
    def exit_code(self) -> int:
        # 2 wins over 1: an unreadable input means the check could not be done at all
        if self.unreadable:
            return EXIT_BAD_INPUT
        return EXIT_OK if self.passed else EXIT_GATE_FAILED


def check_run(run: dict, diagnosis: Diagnosis, gates: list[Gate]) -> RunCheck:
    """Judge one diagnosed run with every gate."""
    view = RunView(run, diagnosis)
    return RunCheck(run["source"], tuple(g.judge(view) for g in gates), run=run)


def evaluate(sources: list[str], diagnoses: dict, errors: dict, gates: list[Gate], *,
             advice=None, config: Path | None = None) -> Outcome:
    """Apply ``gates`` to every input (as ``commands.common.load_all`` leaves them)."""
    from ..report import error_report, run_report

    runs = []
    for i, src in enumerate(sources):
        if i in errors:
            runs.append(RunCheck(src, error=errors[i], run=error_report(src, errors[i])))
            continue
        d = diagnoses[i]
        runs.append(check_run(run_report(d, advice(d) if advice else None), d, gates))
    return Outcome(tuple(runs), tuple(g.name for g in gates), config)


def report_with_gates(outcome: Outcome) -> dict:
    """The report ``check --format json`` prints, and every other output of a check renders
    (overfitdoc.render.check_table, check_markdown, junit, github): the contract's report plus,
    per run, ``gates`` (``{name: {value, limit, comparator, passed, details}}``) and
    ``passed``; at the top ``passed``, ``config`` and ``gates`` (the gates' names, in order)."""
    from ..report import clean, error_report, report

    runs = []
    for rc in outcome.runs:
        if rc.run is not None:
            run = dict(rc.run)
        else:
            run = error_report(rc.source, rc.error) if rc.error is not None else {"source": rc.source, "ok": True}
        run["gates"] = {r.gate: clean({**r.to_dict(), "comparator": r.comparator}) for r in rc.results}
        run["passed"] = rc.passed
        runs.append(run)
    rep = report(runs)
    rep["passed"] = outcome.passed
    rep["config"] = display_path(outcome.config) or None
    rep["gates"] = list(outcome.gates)
    return rep
