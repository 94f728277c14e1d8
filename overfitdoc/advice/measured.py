"""What a re-run measured, as input to the advice: ``overfitdoc diagnose H --rerun DIR``.

``overfitdoc rerun`` writes ``DIR/summary.json`` (:mod:`overfitdoc.rerun.compare`): per
variant, the paired change against the baseline of the same seed in the best validation loss
of the run (``change_best``) and in the validation loss of the weights it keeps (``change``),
each with its paired t-test (``p_value``) and ``judgement`` (``better`` / ``worse`` only when
p < 0.05, else ``within_noise``; None with one seed). :func:`read_rerun` reads it once into a
:class:`Measured`, which :func:`overfitdoc.advice.advise` takes: nothing is re-computed here
or in the renderers.

Each single-fix variant measures the rule of the same id. Its effect is the change in the
best validation loss, the question "does the fix let the model reach a better validation
loss at all"; early stopping cannot change that (it restores the very epoch of the best), so
its effect is the change in the kept weights' loss, what it does change. Variants that
combine fixes are not attributed to any one rule.

The ranking with a re-run (:meth:`Measured.tier`): the rules whose fix measured ``better``
first, the largest improvement first; then, by their score from the history, the rules the
re-run did not measure and those it measured ``within_noise`` or without a judgement (one
seed): it neither confirmed nor refuted them, and their evidence says so; last, those measured
``worse``, the smallest harm first. A measured fix that helped is advised even when the history
alone did not suggest it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..numbers import fmt
from ..readers.registry import read_path

SUMMARY_NAME = "summary.json"  # the name overfitdoc.rerun writes (rerun.runner.SUMMARY_NAME)
#: fixes whose effect is read on the kept weights: they cannot change the best of the run
KEPT_ONLY = frozenset({"early-stopping"})


@dataclass(frozen=True)
class Effect:
    """One fix's measured effect (a negative ``mean`` is better: the loss fell)."""

    rule: str
    variant: str
    measure: str  # "best_val_loss" or "kept_val_loss"
    mean: float
    relative: float | None
    p_value: float | None
    judgement: str | None  # better | worse | within_noise | None (one seed: no judgement)
    pairs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "measure": self.measure,
            "change": self.mean,
            "relative": self.relative,
            "p_value": self.p_value,
            "judgement": self.judgement,
            "seeds": self.pairs,
        }

    def sentence(self, source: str) -> str:
        """The evidence sentence: the effect and its p-value, as measured."""
        what = "best val_loss" if self.measure == "best_val_loss" else "kept val_loss"
        rel = f" ({100 * self.relative:+.2g}%)" if self.relative is not None else ""
        p = f"p = {fmt(self.p_value)}" if self.p_value is not None else "no p-value"
        verdict = {
            "better": "better beyond the noise",
            "worse": "worse beyond the noise",
            "within_noise": "within the noise",
        }.get(self.judgement or "", "not judged (one seed)")
        seeds = f"{self.pairs} seed{'s' if self.pairs != 1 else ''}"
        return (
            f"Re-run ({source}, {seeds}): {what} {'+' if self.mean > 0 else ''}{fmt(self.mean)}{rel} against the baseline, "
            f"{p}: {verdict}."
        )


@dataclass(frozen=True)
class Measured:
    """The effects one re-run measured, by rule id."""

    source: str  # the folder as the user named it
    spec: str | None
    effects: Mapping[str, Effect]

    def tier(self, rule_id: str, score: float) -> tuple[int, float]:
        """The sort key of a rule (lower first): see the module docstring."""
        e = self.effects.get(rule_id)
        if e is not None and e.judgement == "better":
            return (0, e.mean)
        if e is not None and e.judgement == "worse":
            return (2, e.mean)
        return (1, -score)


def _fail(source: str, reason: str) -> InputError:
    return InputError(source, reason)


def rerun_summary(directory: str) -> tuple[Path, dict]:
    """The path and content of ``directory/summary.json`` (a folder, or the summary itself),
    read bounded. A folder without one, a file that is not JSON, or a summary that is not a
    re-run's raises :class:`InputError` (one line, exit 2)."""
    p = Path(directory)
    if not p.exists():
        raise _fail(directory, "no such rerun output folder (--rerun)")
    summary = p / SUMMARY_NAME if p.is_dir() else p  # a pipe or a device: read_path refuses it
    if p.is_dir() and not summary.is_file():
        raise _fail(directory, f"not a rerun output folder: it has no {SUMMARY_NAME} (--rerun)")
    try:  # bounded, one-line errors for what cannot be read (as every input is)
        data = json.loads(read_path(summary, str(summary)).decode("utf-8"))
    except OSError as e:
        raise _fail(str(summary), f"cannot read the rerun summary ({e.strerror or type(e).__name__})") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise _fail(str(summary), f"cannot read the rerun summary ({type(e).__name__})") from None
    if not isinstance(data, dict) or data.get("command") != "rerun" or not isinstance(data.get("variants"), list):
        raise _fail(str(summary), "not an overfitdoc rerun summary (no command 'rerun' with variants)")
    return summary, data


def read_rerun(directory: str) -> Measured:
    """The effects a re-run measured, from its summary (:func:`rerun_summary`)."""
    summary, data = rerun_summary(directory)
    effects: dict[str, Effect] = {}
    for v in data["variants"]:
        if not isinstance(v, dict):
            raise _fail(str(summary), "not an overfitdoc rerun summary (a variant is not an object)")
        fixes = v.get("fixes")
        if not isinstance(fixes, list) or len(fixes) != 1 or not isinstance(fixes[0], str):
            continue  # the baseline, or a combination of fixes
        rule = fixes[0]
        measure = "kept_val_loss" if rule in KEPT_ONLY else "best_val_loss"
        change = v.get("change" if measure == "kept_val_loss" else "change_best")
        if not isinstance(change, dict) or not _number(change.get("mean")):
            continue  # no complete pair of runs
        effects[rule] = Effect(
            rule=rule,
            variant=str(v.get("name", rule)),
            measure=measure,
            mean=float(change["mean"]),
            relative=float(change["relative"]) if _number(change.get("relative")) else None,
            p_value=float(change["p_value"]) if _number(change.get("p_value")) else None,
            judgement=change.get("judgement") if isinstance(change.get("judgement"), str) else None,
            pairs=int(change.get("pairs") or 0),
        )
    if not effects:
        raise _fail(str(summary), "the rerun summary has no single-fix variant with a measured change")
    spec = data.get("spec")
    return Measured(source=directory, spec=spec if isinstance(spec, str) else None, effects=effects)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
