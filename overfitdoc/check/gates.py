"""The gates of ``overfitdoc check``: each one measures a quantity of a run, then judges it
against a limit (deepchecks: measuring is separate from judging).

A gate is one class here: a ``key`` (the config key; the option is ``--`` plus the key with
dashes), the ``comparator`` it judges with, and a ``measure`` method that returns a
:class:`Measured`: the value, a subject phrase that names it with its number ("final gap
0.695") and the evidence in the run's own numbers ("validation loss 0.712 vs training 0.0173
at epoch 79"). :meth:`Gate.judge` turns that into a :class:`GateResult`, whose ``details``
sentence is the same for every gate: "<subject> is above the limit <limit> (<evidence>)".

Adding a gate is adding one class here, its option in ``commands/check.py``, and its key in
:data:`overfitdoc.check.config.KEYS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..analysis import VERDICTS, Diagnosis
from ..errors import UsageError
from ..naming import normalise, pick_monitor
from ..numbers import num

AT_MOST = "<="  # passes when value <= limit
AT_LEAST = ">="  # passes when value >= limit
NOT_IN = "not in"  # passes when value is not one of limit


@dataclass(frozen=True)
class Measured:
    """What a gate measured in one run.

    ``value`` is None when the run lacks what the gate needs; ``missing`` then says why and
    the gate fails with that reason.
    """

    value: float | int | str | None
    subject: str = ""
    evidence: str = ""
    missing: str = ""


@dataclass(frozen=True)
class GateResult:
    """The judgement of one gate on one run: what the JSON, JUnit and tables show."""

    gate: str
    value: float | int | str | None
    limit: float | int | list | None
    comparator: str
    passed: bool
    details: str

    def to_dict(self) -> dict:
        return {"value": self.value, "limit": self.limit, "passed": self.passed, "details": self.details}


@dataclass(frozen=True)
class RunView:
    """A run as the gates see it: the contract's run dict and the Diagnosis it came from."""

    run: dict
    diagnosis: Diagnosis

    @property
    def metric(self) -> str:
        mon = self.run["monitor"]
        return mon["metric"] if mon else "metric"

    @property
    def unit(self) -> str:
        return self.run.get("unit") or "epoch"

    def values_at(self, epoch: int | None) -> tuple[float, float, int] | None:
        """(training, validation, epoch) of the monitored pair at ``epoch`` (None: the last)."""
        d = self.diagnosis
        if not len(d.points):
            return None
        i = len(d.points) - 1 if epoch is None else int(np.argmin(np.abs(d.points - epoch)))
        return float(d.train[i]), float(d.val[i]), int(round(float(d.points[i])))

    def pair_evidence(self, epoch: int | None = None) -> str:
        at = self.values_at(epoch)
        if at is None:
            return ""
        t, v, e = at
        return f"validation {self.metric} {num(v)} vs training {num(t)} at {self.unit} {e}"

    def no_value(self, what: str) -> Measured:
        """A measurement the run cannot give: the reason in its own words."""
        reason = self.run.get("missing") or self.run.get("summary") or "not enough data"
        return Measured(None, missing=f"no {what}: {reason.rstrip('.')}")


def check_number(value, label):
    """A configuration value that must be a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UsageError(f"{label} must be a number, not {value!r}")
    return float(value)


def check_count(value, label):
    """A configuration value that must be a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageError(f"{label} must be a whole number, 0 or more, not {value!r}")
    return value


def check_verdicts(value, label):
    if not isinstance(value, (str, list)) or not all(
        isinstance(v, str) for v in (value if isinstance(value, list) else [value])
    ):
        raise UsageError(f'{label} must be a list of verdicts, e.g. ["overfitting", "unstable"]')
    return tuple(parse_verdicts(value))


def check_limits(value, label):
    if not isinstance(value, dict):
        raise UsageError(f"{label} must be a table of metric = value, e.g. {{val_accuracy = 0.9}}")
    return parse_metric_limits(value, label)


@dataclass(frozen=True)
class GateOption:
    """How a gate's limit is given: the command-line option ``--<key>`` (what typer parses,
    its metavar and help) and the configuration key ``<key>`` (what it takes, its parser).
    ``check`` and the configuration reader build themselves from these."""

    type: Any  # float, int, str or list[str]: what typer parses
    metavar: str
    help: str
    takes: str  # what the configuration key takes, for its error messages
    parse_config: Callable[[Any, str], Any]
    parse_cli: Callable[[Any, str], Any] | None = None  # a check beyond typer's, shared with the config
    min: int | None = None


class Gate:
    """A quantity measured from a run, a limit, and the comparator that judges them."""

    key: ClassVar[str]  # config key, e.g. "max_gap"; the option is --max-gap
    comparator: ClassVar[str] = AT_MOST
    summary: ClassVar[str]  # one line for the docs
    option: ClassVar[GateOption | None] = None  # None: set by other options (the baseline gates)

    def __init__(self, limit):
        self.limit = limit

    @classmethod
    def from_settings(cls, settings: dict, baseline: RunView | None = None) -> list[Gate]:
        """The gates of this kind that ``settings`` (config and options, merged) turn on."""
        limit = settings.get(cls.key)
        return [] if limit is None else [cls(limit)]

    @property
    def name(self) -> str:
        """The gate's name in every output (table, JSON key, JUnit testcase): the option's name."""
        return self.key.replace("_", "-")

    def limit_value(self, run: RunView):
        """The limit this run is judged against (the baseline gates compute theirs)."""
        return self.limit

    def measure(self, run: RunView) -> Measured:  # pragma: no cover - abstract
        raise NotImplementedError

    def judge(self, run: RunView) -> GateResult:
        m = self.measure(run)
        limit = self.limit_value(run)
        shown_limit = list(limit) if isinstance(limit, tuple) else limit
        if m.value is None or limit is None:
            return GateResult(self.name, None, shown_limit, self.comparator, False, m.missing)
        if self.comparator == NOT_IN:
            passed = m.value not in limit
            verb = "is not one of" if passed else "is one of"
            details = f"{m.subject} {verb} the failing verdicts {', '.join(limit)}"
            if m.evidence:  # the evidence is the run's summary, a sentence of its own
                details += f": {m.evidence}"
            return GateResult(self.name, m.value, shown_limit, self.comparator, passed, details)
        passed = m.value <= limit if self.comparator == AT_MOST else m.value >= limit
        if self.comparator == AT_MOST:
            verb = "is within" if passed else "is above"
        else:
            verb = "meets" if passed else "is below"
        details = f"{m.subject} {verb} the limit {num(limit)}"
        if m.evidence:
            details += f" ({m.evidence})"
        return GateResult(self.name, m.value, shown_limit, self.comparator, passed, details)


# ---------------------------------------------------------------- the gates


class MaxGap(Gate):
    key = "max_gap"
    summary = "final gap of the monitored pair (validation minus training, oriented) at most X"
    option = GateOption(
        float,
        "X",
        "Fail when the final gap of the monitored pair (validation minus training, worse on validation is positive) is above X.",
        "number",
        check_number,
    )

    def measure(self, run: RunView) -> Measured:
        gap = run.run["gap"]["final"]
        if gap is None:
            return run.no_value("final gap")
        return Measured(gap, f"final gap {num(gap)}", run.pair_evidence())


class MaxRelativeGap(Gate):
    key = "max_relative_gap"
    summary = "final gap divided by the final training value at most R (0.5 or 50%)"
    option = GateOption(
        str,
        "R",
        "Fail when the final gap divided by the final training value is above R (0.5 or 50%).",
        "number or percentage",
        lambda v, label: parse_fraction(v, label),
        lambda v, label: parse_fraction(v, label),
    )

    def measure(self, run: RunView) -> Measured:
        rel = run.run["gap"]["relative_final"]
        gap = run.run["gap"]["final"]
        if gap is None:
            return run.no_value("relative gap")
        at = run.values_at(None)
        if rel is None:
            return Measured(None, missing=f"no relative gap: the final training {run.metric} is 0")
        t = at[0] if at else float("nan")
        return Measured(
            rel,
            f"relative final gap {num(rel)} ({rel:.0%})",
            f"gap {num(gap)} over the final training {run.metric} {num(t)}",
        )


class MaxGapAtBest(Gate):
    key = "max_gap_at_best"
    summary = "gap at the recommended epoch at most X"
    option = GateOption(float, "X", "Fail when the gap at the recommended epoch is above X.", "number", check_number)

    def measure(self, run: RunView) -> Measured:
        gap = run.run["gap"]["at_best"]
        rec = run.run["recommended_epoch"]
        if gap is None or rec is None:
            return run.no_value("gap at the recommended epoch")
        return Measured(gap, f"gap {num(gap)} at the recommended {run.unit} {rec}", run.pair_evidence(rec))


class MaxEpochsPastBest(Gate):
    key = "max_epochs_past_best"
    summary = "epochs trained after the recommended epoch at most N"
    option = GateOption(
        int,
        "N",
        "Fail when more than N epochs were trained after the recommended epoch.",
        "whole number",
        check_count,
        min=0,
    )

    def measure(self, run: RunView) -> Measured:
        past = run.run["epochs_past_best"]
        rec = run.run["recommended_epoch"]
        if past is None or rec is None:
            return run.no_value("recommended epoch")
        last = run.values_at(None)
        end = f"training ran to {run.unit} {last[2]}, " if last else ""
        return Measured(past, f"wasted {run.unit}s {past}", f"{end}the recommended {run.unit} is {rec}")


class MaxNonfinite(Gate):
    key = "max_nonfinite"
    summary = "epochs whose monitored pair is NaN or infinite at most N"
    option = GateOption(
        int,
        "N",
        "Fail when more than N epochs of the monitored pair are NaN or infinite (0: any).",
        "whole number",
        check_count,
        min=0,
    )

    def measure(self, run: RunView) -> Measured:
        bad = run.run.get("nonfinite_epochs") or []
        where = f"first at {run.unit} {bad[0]}" if bad else f"every {run.unit} finite"
        return Measured(len(bad), f"non-finite {run.unit}s {len(bad)}", where)


class FailOn(Gate):
    key = "fail_on"
    comparator = NOT_IN
    summary = "the verdict is none of these verdicts"
    option = GateOption(
        list[str],
        "VERDICT[,VERDICT]",
        "Fail on these verdicts, e.g. overfitting,unstable.",
        "list of verdicts",
        check_verdicts,
        lambda v, label: tuple(parse_verdicts(v)),
    )

    def __init__(self, limit):
        super().__init__(tuple(parse_verdicts(limit)))

    def measure(self, run: RunView) -> Measured:
        v = run.run["verdict"]
        return Measured(v, f"verdict {v}", run.run["summary"])


class _BestVal(Gate):
    """Best validation value of a named metric (metric or column name)."""

    def __init__(self, metric: str, limit: float):
        super().__init__(limit)
        self.metric = metric

    @classmethod
    def from_settings(cls, settings, baseline=None):
        return [cls(metric, limit) for metric, limit in (settings.get(cls.key) or {}).items()]

    @property
    def name(self) -> str:
        return f"{self.key.replace('_', '-')}[{self.metric}]"

    def measure(self, run: RunView) -> Measured:
        found = best_validation(run.diagnosis, self.metric)
        if isinstance(found, str):
            return Measured(None, missing=found)
        column, value, epoch, mode = found
        return Measured(
            value,
            f"best {column} {num(value)}",
            f"at {run.unit} {epoch}, {'higher' if mode == 'max' else 'lower'} is better",
        )


class MinVal(_BestVal):
    key = "min_val"
    comparator = AT_LEAST
    summary = "best validation value of METRIC at least VALUE (repeatable)"
    option = GateOption(
        list[str],
        "METRIC=VALUE",
        "Fail when the best validation value of METRIC is below VALUE, e.g. val_accuracy=0.9 (repeatable).",
        "table of metric = number",
        check_limits,
        lambda v, label: parse_metric_limits(v, label),
    )


class MaxVal(_BestVal):
    key = "max_val"
    comparator = AT_MOST
    summary = "best validation value of METRIC at most VALUE (repeatable)"
    option = GateOption(
        list[str],
        "METRIC=VALUE",
        "Fail when the best validation value of METRIC is above VALUE, e.g. val_loss=0.5 (repeatable).",
        "table of metric = number",
        check_limits,
        lambda v, label: parse_metric_limits(v, label),
    )


class _Baseline(Gate):
    """Compared with a baseline run: worse than the baseline by more than the tolerance fails."""

    def __init__(self, baseline: RunView, tolerance: Tolerance):
        super().__init__(None)
        self.baseline = baseline
        self.tolerance = tolerance

    @classmethod
    def from_settings(cls, settings, baseline=None):
        return [] if baseline is None else [cls(baseline, settings.get("tolerance") or Tolerance(0.0))]

    def _same_monitor(self, run: RunView) -> str:
        mine, theirs = run.run["monitor"], self.baseline.run["monitor"]
        if mine and theirs and (mine["metric"], mine["mode"]) != (theirs["metric"], theirs["mode"]):
            return (
                f"not comparable: this run monitors {mine['metric']} ({mine['mode']}), the baseline "
                f"{self.baseline.run['source']} {theirs['metric']} ({theirs['mode']})"
            )
        return ""


class BaselineGap(_Baseline):
    key = "baseline_gap"
    summary = "final gap at most the baseline's final gap plus the tolerance"

    def limit_value(self, run: RunView):
        base = self.baseline.run["gap"]["final"]
        return base + self.tolerance.of(base)

    def measure(self, run: RunView) -> Measured:
        gap = run.run["gap"]["final"]
        if gap is None:
            return run.no_value("final gap")
        if other := self._same_monitor(run):
            return Measured(None, missing=other)
        base = self.baseline.run["gap"]["final"]
        return Measured(
            gap,
            f"final gap {num(gap)}",
            f"baseline {self.baseline.run['source']}: {num(base)}, tolerance {self.tolerance}",
        )


class BaselineBestVal(_Baseline):
    key = "baseline_best_val"
    summary = "best validation value no worse than the baseline's by more than the tolerance"

    @property
    def comparator(self) -> str:  # type: ignore[override]
        return AT_LEAST if self.baseline.run["monitor"]["mode"] == "max" else AT_MOST

    def limit_value(self, run: RunView):
        base = self.baseline.run["best_val"]
        slack = self.tolerance.of(base)
        return base - slack if self.comparator == AT_LEAST else base + slack

    def measure(self, run: RunView) -> Measured:
        best = run.run["best_val"]
        if best is None:
            return run.no_value("best validation value")
        if other := self._same_monitor(run):
            return Measured(None, missing=other)
        val = run.run["monitor"]["val"]
        b = self.baseline.run
        return Measured(
            best,
            f"best {val} {num(best)}",
            f"at {run.unit} {run.run['best_epoch']}; baseline {b['source']}: {num(b['best_val'])}"
            f" at {self.baseline.unit} {b['best_epoch']}, tolerance {self.tolerance}",
        )


#: every gate, in the order they are shown
GATES: tuple[type[Gate], ...] = (
    MaxGap,
    MaxRelativeGap,
    MaxGapAtBest,
    MaxEpochsPastBest,
    MaxNonfinite,
    FailOn,
    MinVal,
    MaxVal,
    BaselineGap,
    BaselineBestVal,
)


# ---------------------------------------------------------------- values the gates take


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the baseline a run may be: absolute (0.02) or relative (5%)."""

    amount: float
    relative: bool = False

    @classmethod
    def parse(cls, text, what: str = "tolerance") -> Tolerance:
        if isinstance(text, Tolerance):
            return text
        value, relative = parse_number_or_percent(text, what)
        if value < 0:
            raise UsageError(f"{what} must not be negative (got {text})")
        return cls(value, relative)

    def of(self, reference: float) -> float:
        """The allowed worsening for a baseline value ``reference``."""
        return abs(reference) * self.amount if self.relative else self.amount

    def __str__(self) -> str:
        return f"{num(self.amount * 100)}%" if self.relative else num(self.amount)


def parse_number_or_percent(text, what: str) -> tuple[float, bool]:
    """``0.02`` -> (0.02, False); ``"5%"`` -> (0.05, True). UsageError otherwise."""
    if isinstance(text, bool):
        raise UsageError(f"{what} must be a number or a percentage like 5%, not {text!r}")
    if isinstance(text, (int, float)):
        value, relative = float(text), False
    else:
        s = str(text).strip()
        relative = s.endswith("%")
        try:
            value = float(s[:-1] if relative else s)
        except ValueError:
            raise UsageError(f"{what} must be a number or a percentage like 5%, not {text!r}") from None
        if relative:
            value /= 100
    if not math.isfinite(value):
        raise UsageError(f"{what} must be finite, not {text!r}")
    return value, relative


def parse_fraction(text, what: str) -> float:
    """A fraction given as ``0.5`` or ``50%``."""
    value, _ = parse_number_or_percent(text, what)
    return value


def parse_verdicts(values) -> list[str]:
    """``["overfitting,unstable"]`` -> ``["overfitting", "unstable"]``; unknown names are a UsageError."""
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for item in values:
        for name in str(item).split(","):
            name = name.strip()
            if not name:
                continue
            if name not in VERDICTS:
                raise UsageError(f"unknown verdict '{name}' in fail-on; valid verdicts: {', '.join(VERDICTS)}")
            if name not in out:
                out.append(name)
    if not out:
        raise UsageError(f"fail-on needs at least one verdict; valid verdicts: {', '.join(VERDICTS)}")
    return out


def parse_metric_limits(values, option: str) -> dict[str, float]:
    """``["val_accuracy=0.9"]`` (command line) or ``{"val_accuracy": 0.9}`` (config) -> dict."""
    out: dict[str, float] = {}
    if isinstance(values, dict):
        items = list(values.items())
    else:
        items = []
        for item in values:
            metric, sep, value = str(item).partition("=")
            if not sep or not metric.strip():
                raise UsageError(f"{option} takes METRIC=VALUE, e.g. val_accuracy=0.9 (got {item!r})")
            items.append((metric.strip(), value.strip()))
    for metric, value in items:
        if isinstance(value, bool):
            raise UsageError(f"{option} {metric}: the limit must be a number, not {value!r}")
        try:
            limit = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{option} {metric}: the limit must be a number, not {value!r}") from None
        if not math.isfinite(limit):
            raise UsageError(f"{option} {metric}: the limit must be finite, not {value!r}")
        out[str(metric)] = limit
    return out


def best_validation(d: Diagnosis, name: str) -> tuple[str, float, int | None, str] | str:
    """``(column, best value, its epoch, mode)`` of the validation series ``name`` names (a
    metric like ``accuracy``, or a column like ``val_accuracy``), or the reason there is none.

    The monitored pair keeps the Diagnosis's best (and its ``--mode``); any other series is
    read from the analysis' validation bests, its direction from its name (lower is better when the name says
    neither, as everywhere in overfitdoc)."""
    pairs = [s.pair for s in d.pairs]
    pair = pick_monitor(pairs, name) if pairs else None
    bests = {b.column: b for b in d.validation_bests}
    if pair is not None:
        if d.monitor is not None and pair.val == d.monitor.val and d.best_val is not None:
            return pair.val, d.best_val, d.best_epoch, d.monitor.mode
        column = pair.val
    else:
        want = normalise(name)
        hits = [b.column for b in d.validation_bests if normalise(b.column) == want]
        if not hits:
            held = [p.val for p in pairs]
            have = f" (validation series: {', '.join(held)})" if held else " (the run has no validation series)"
            return f"the run has no validation series named '{name}'{have}"
        column = hits[0]
    found = bests.get(column)
    if found is None or found.best is None or found.epoch is None:
        return f"{column} has no finite value"
    return column, found.best, found.epoch, found.mode
