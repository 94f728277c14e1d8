"""Ranked remediation advice: a registry of rules, each judging one remedy against a
:class:`~overfitdoc.analysis.Diagnosis` and saying why in the run's own numbers.

>>> import overfitdoc
>>> from overfitdoc.advice import advise
>>> d = overfitdoc.diagnose("sample_runs/overfit.csv")              # doctest: +SKIP
>>> [a.id for a in advise(d, top=3)]                                # doctest: +SKIP
['early-stopping', ...]

Rules live one per module in :mod:`overfitdoc.advice.rules`; see :mod:`.base` for what a
rule is. :func:`evaluate` tells, for every rule, whether it fired, stayed silent, or was
skipped (and why); :func:`advise` ranks the ones that fired.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..analysis import Diagnosis
from .base import Advice, Context, Fix, Hit, Result, Rule, Skip
from .facts import Facts
from .frameworks import Run
from .measured import Measured, read_rerun
from .rules import load_rules

__all__ = [
    "Advice",
    "Context",
    "Fix",
    "Hit",
    "Result",
    "Rule",
    "Skip",
    "Facts",
    "Measured",
    "read_rerun",
    "advise",
    "evaluate",
    "rules",
    "get_rule",
    "UnknownRule",
]


class UnknownRule(KeyError):
    """No rule has this id."""


def rules() -> tuple[Rule, ...]:
    """Every registered rule, sorted by id."""
    return load_rules()


def get_rule(rule_id: str) -> Rule:
    """The rule with this id (``Early_Stopping`` is read as ``early-stopping``)."""
    key = rule_id.strip().lower().replace("_", "-")
    for r in load_rules():
        if r.id == key:
            return r
    raise UnknownRule(rule_id)


def evaluate(
    diagnosis: Diagnosis, context: Context | Mapping[str, Any] | None = None, *, strict: bool = False
) -> list[Result]:
    """Every rule's verdict on one diagnosis, in registry order.

    A rule that raises is reported ``skipped`` with the error as its reason (one broken rule
    never takes the report down); ``strict=True`` re-raises instead (the tests use it).
    """
    ctx = Context.parse(context)
    facts = Facts(diagnosis)
    out = []
    for rule in load_rules():
        if rule.needs_monitor and not facts.usable and not (facts.early_divergence and rule.on_early_divergence):
            why = diagnosis.missing or f"verdict {diagnosis.verdict}"
            out.append(Result(rule, "skipped", reason=f"no diagnosed pair to judge ({why})"))
            continue
        try:
            res = rule.check(facts, ctx)
        except Exception as e:  # noqa: BLE001 - reported, not raised (see docstring)
            if strict:
                raise
            out.append(Result(rule, "skipped", reason=f"internal error in the rule: {type(e).__name__}: {e}"))
            continue
        if isinstance(res, Hit):
            out.append(Result(rule, "fired", hit=res))
        elif isinstance(res, Skip):
            out.append(Result(rule, "skipped", reason=res.reason))
        else:
            out.append(Result(rule, "silent"))
    return out


@np.errstate(all="ignore")  # facts are measured lazily from the Diagnosis; no warning for the log's values
def advise(
    diagnosis: Diagnosis,
    context: Context | Mapping[str, Any] | None = None,
    top: int | None = None,
    *,
    strict: bool = False,
    measured: Measured | None = None,
) -> list[Advice]:
    """The remedies that apply to this run, best first (the ``top`` first when given).

    Ranked by score, then the experiment that would decide the verdict before remedies of the
    same score (``Hit.decides``), then by rule id: the order is deterministic. ``context`` is the dict the
    CLI passes (``task``, ``train_size``, ``params``, ``framework``) or a :class:`Context`.
    ``measured`` (:func:`read_rerun`): a re-run's effects re-rank the advice (see
    :mod:`.measured`); each measured rule's evidence starts with its effect and p-value.
    """
    ctx = Context.parse(context)
    results = evaluate(diagnosis, ctx, strict=strict)
    hits = [(r.rule, r.hit) for r in results if r.status == "fired" and r.hit is not None]
    if measured is not None:
        # a fix the re-run found better is advised even when the history did not suggest it
        fired = {rule.id for rule, _ in hits}
        for r in results:
            e = measured.effects.get(r.rule.id)
            if r.rule.id not in fired and e is not None and e.judgement == "better":
                hits.append((r.rule, Hit(0.0, "")))
        hits.sort(key=lambda rh: (*measured.tier(rh[0].id, rh[1].score), not rh[1].decides, rh[0].id))
    else:
        hits.sort(key=lambda rh: (-rh[1].score, not rh[1].decides, rh[0].id))
    if top is not None:
        hits = hits[: max(0, top)]
    out = []
    run = Run.of(diagnosis)
    for rank, (rule, hit) in enumerate(hits, 1):
        effect = measured.effects.get(rule.id) if measured is not None else None
        evidence = hit.evidence
        if effect is not None and measured is not None:
            evidence = effect.sentence(measured.source) + (" " + evidence if evidence else "")
        out.append(
            Advice(
                id=rule.id,
                rank=rank,
                title=rule.title,
                evidence=evidence,
                score=hit.score,
                why=rule.why,
                fix=rule.fix_for(ctx, hit.params, log_format=getattr(diagnosis, "format", None), run=run),
                params=dict(hit.params),
                context_hint=hit.hint,
                measured=effect.to_dict() if effect is not None else None,
            )
        )
    return out
