"""Settings, the gates they turn on, and the outcome of a check: what the command calls.

A gate on a run is *applied* when the run has what the gate measures; it then passes or
fails. It is *not applied* when the run lacks it (no validation series, no final gap, no
series named by ``--min-val``/``--max-val``, a baseline monitoring another metric): the gate
measured nothing (its value is None, :class:`~overfitdoc.check.gates.Measured`), and its
details say why. A not-applied gate is neither passed nor failed.

The exit code of ``overfitdoc check`` (:attr:`Outcome.exit_code`) follows the one policy of
:func:`overfitdoc.errors.exit_code`:

* 2 (``EXIT_BAD_INPUT``) when any input could not be read, could not be judged (no monitored
  pair) or had a gate not applied, even if gates failed on the others: a CI job must not
  read "the gate failed" when the gate could not be applied;
* else 1 (``EXIT_GATE_FAILED``) when any applied gate failed on any run;
* else 0.

Bad options and configuration exit 2 before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..analysis import Diagnosis
from ..errors import InputError, UsageError, exit_code
from ..report import undiagnosable
from .config import KEYS, display_path, merge
from .gates import GATES, Gate, GateResult, RunView, Tolerance

#: how each command-line value is checked: the same rules as the configuration's
CLI_PARSERS = {
    **{g.key: g.option.parse_cli for g in GATES if g.option is not None and g.option.parse_cli is not None},
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
        raise UsageError(
            "no gates set: give at least one of "
            f"{', '.join(option_name(k.key) for k in GATES if not k.key.startswith('baseline'))}"
            " or --baseline, or set them in [tool.overfitdoc.check]"
        )
    return gates


def load_baseline(path: str, *, monitor=None, mode=None, target=None, val_size=None, input_format=None) -> RunView:
    """Read and diagnose the baseline history; one that cannot give a gap is a UsageError."""
    from ..api import diagnose
    from ..report import run_report

    try:
        d = diagnose(path, monitor=monitor, mode=mode, target=target, val_size=val_size, input_format=input_format)
    except InputError as e:
        raise UsageError(f"baseline {e.source}: {e.reason}") from None
    run = run_report(d)
    if run["gap"]["final"] is None or run["best_val"] is None:
        raise UsageError(f"baseline {path}: {d.summary}")
    return RunView(run, d)


#: what each output writes for a gate's result
PASS, FAIL, NOT_APPLIED = "pass", "fail", "not applied"


def status(r: GateResult) -> str:
    """``pass``, ``fail``, or ``not applied`` when the run lacks what the gate measures (a
    gate's value is None exactly then)."""
    if r.value is None:
        return NOT_APPLIED
    return PASS if r.passed else FAIL


@dataclass(frozen=True)
class RunCheck:
    """One input and what the gates made of it; ``error`` when it could not be read."""

    source: str
    results: tuple[GateResult, ...] = ()
    error: str | None = None
    run: dict | None = None  # the contract's RUN object

    @property
    def undiagnosable(self) -> str | None:
        """Why the run, read, cannot be judged (no monitored pair), or None."""
        return undiagnosable(self.run) if self.error is None and self.run is not None else None

    @property
    def not_applied(self) -> list[GateResult]:
        return [r for r in self.results if status(r) == NOT_APPLIED]

    @property
    def judged(self) -> bool:
        """Read, diagnosed, and every gate applied."""
        return self.error is None and self.undiagnosable is None and not self.not_applied

    @property
    def passed(self) -> bool:
        return self.judged and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[GateResult]:
        """The gates that were applied and failed."""
        return [r for r in self.results if status(r) == FAIL]


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
    def unjudged(self) -> list[RunCheck]:
        """Runs that were read but not judged: undiagnosable, or a gate not applied."""
        return [r for r in self.runs if r.error is None and not r.judged]

    @property
    def exit_code(self) -> int:
        return exit_code(
            errors=len(self.unreadable),
            undiagnosable=len(self.unjudged),
            gates_failed=sum(len(r.failed) for r in self.runs),
        )


def check_run(run: dict, diagnosis: Diagnosis, gates: list[Gate]) -> RunCheck:
    """Judge one diagnosed run with every gate."""
    view = RunView(run, diagnosis)
    return RunCheck(run["source"], tuple(g.judge(view) for g in gates), run=run)


def evaluate(
    sources: list[str], diagnoses: dict, errors: dict, gates: list[Gate], *, advice=None, config: Path | None = None
) -> Outcome:
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


def gate_dict(r: GateResult) -> dict:
    """A gate's result in the report: ``passed`` is null and ``status`` ``not applied`` when
    the gate could not be applied."""
    out = r.to_dict()
    out["status"] = status(r)
    if out["status"] == NOT_APPLIED:
        out["passed"] = None
    out["comparator"] = r.comparator
    return out


def report_with_gates(outcome: Outcome) -> dict:
    """The report ``check --format json`` prints, and every other output of a check renders
    (overfitdoc.render.check_table, check_markdown, junit, github): the contract's report plus,
    per run, ``gates`` (``{name: {value, limit, comparator, passed, status, details}}``) and
    ``passed``; at the top ``passed``, ``config`` and ``gates`` (the gates' names, in order)."""
    from ..report import clean, error_report, report

    runs = []
    for rc in outcome.runs:
        if rc.run is not None:
            run = dict(rc.run)
        else:
            run = error_report(rc.source, rc.error) if rc.error is not None else {"source": rc.source, "ok": True}
        run["gates"] = {r.gate: clean(gate_dict(r)) for r in rc.results}
        run["passed"] = rc.passed
        runs.append(run)
    rep = report(runs)
    rep["passed"] = outcome.passed
    rep["config"] = display_path(outcome.config) or None
    rep["gates"] = list(outcome.gates)
    return rep
