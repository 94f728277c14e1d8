"""The verdict: it only combines the measurements, in a fixed order (the first that holds is
the verdict), with the margin of the test that decided it (:mod:`.calibration` turns that
into a confidence)."""

from __future__ import annotations

from .bias import Learning
from .divergence import Divergence, LateGain
from .gap import GapMeasure
from .settings import Settings
from .types import Instability


def variance_margin(div: Divergence, gap: GapMeasure, settings: Settings) -> float:
    if div.diverged:
        return div.rise / div.rise_needed
    return gap.relative_trend / settings.high_variance_gap


def decide(
    instability: Instability | None,
    learning: Learning,
    late: LateGain,
    div: Divergence,
    gap: GapMeasure,
    bias: str,
    bias_margin: float,
    settings: Settings,
    train_start: float,
    frozen_margin: float | None = None,
) -> tuple[str, float, str]:
    """-> (verdict, margin, deciding test). ``train_start``: the training trend's first value
    (oriented); ``frozen_margin``: for decisions that stopped changing
    (:func:`.validation.frozen_decisions`), the length of that stretch over half the run. The
    deciding test is the one whose margin is the verdict's: ``instability``, ``learning``,
    ``late_gain``, ``rise``, ``gap``, ``bias`` or ``frozen``."""
    # the verdict needs validation to have got worse: a gap that opens while validation holds
    # its level is reported (variance high, and in the summary) but is not yet overfitting
    overfit = div.diverged or (gap.large and settings.gap_verdict)
    if instability is not None:
        return "unstable", 2.0, "instability"
    if learning.flat and bias == "high":
        # flat and short of the level (without --target a flat run is taken as short of it:
        # core.py); flat at a target the user says is attainable is a model that converged
        drop = settings.not_learning_drop * abs(train_start) / max(learning.drop, 1e-12)
        return "not_learning", max(1.0, drop), "learning"
    if late.still_improving:
        return "still_improving", late.gain / max(late.needed, 1e-12), "late_gain"
    variance_test = "rise" if div.diverged else "gap"
    if overfit and bias == "high":
        v = variance_margin(div, gap, settings)
        return "overfitting_and_underfitting", min(v, bias_margin), variance_test if v <= bias_margin else "bias"
    if overfit:
        return "overfitting", variance_margin(div, gap, settings), variance_test
    if bias == "high":
        return "underfitting", bias_margin, "bias"
    if frozen_margin is not None:
        # the loss levelled off and no sample changes class: the model stopped learning at an
        # accuracy below 1, whatever share of its start the loss fell by
        return "underfitting", frozen_margin, "frozen"
    no_rise = div.rise_needed / max(div.rise, 1e-12) if div.rise > 0 else 10.0
    tests = {"rise": no_rise, "gap": settings.high_variance_gap / max(gap.relative_trend, 1e-12), "bias": bias_margin}
    test = min(tests, key=lambda k: tests[k])
    return "good_fit", tests[test], test
