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
) -> tuple[str, float]:
    """-> (verdict, margin). ``train_start``: the training trend's first value (oriented)."""
    # the verdict needs validation to have got worse: a gap that opens while validation holds
    # its level is reported (variance high, and in the summary) but is not yet overfitting
    overfit = div.diverged or (gap.large and settings.gap_verdict)
    if instability is not None:
        return "unstable", 2.0
    if learning.flat:
        return "not_learning", max(1.0, settings.not_learning_drop * abs(train_start) / max(learning.drop, 1e-12))
    if late.still_improving:
        return "still_improving", late.gain / max(late.needed, 1e-12)
    if overfit and bias == "high":
        return "overfitting_and_underfitting", min(variance_margin(div, gap, settings), bias_margin)
    if overfit:
        return "overfitting", variance_margin(div, gap, settings)
    if bias == "high":
        return "underfitting", bias_margin
    no_rise = div.rise_needed / max(div.rise, 1e-12) if div.rise > 0 else 10.0
    return "good_fit", min(no_rise, settings.high_variance_gap / max(gap.relative_trend, 1e-12), bias_margin)
