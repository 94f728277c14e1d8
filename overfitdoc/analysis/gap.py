"""The gap: validation minus training (oriented, positive when validation is worse), its
trend and uncertainty, how it moved over the second half of the run, and whether it is
large against how far training is from perfect."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .curves import Curves, badness
from .settings import Settings
from .smoothing import noise, trend
from .types import Gap, GapSeries


@dataclass(frozen=True)
class GapMeasure:
    gap: Gap
    series: GapSeries
    relative_trend: float  # the gap trend at the end against the training badness
    large: bool  # relative_trend above high_variance_gap, beyond noise, and widening
    train_badness: float  # how far the last training value is from perfect


def measure_gap(c: Curves, kept: int, settings: Settings) -> GapMeasure:
    """The gap of the curves; ``kept`` is the index of the recommended epoch."""
    values = c.val - c.train
    gap_trend = trend(values, c.window)
    gap_noise = noise(values, gap_trend)
    gap_se = max(gap_noise / math.sqrt(c.window), 1e-12)
    last = c.last
    final = float(values[last])
    last_train = float(c.train_file[last])
    relative_final = final / abs(last_train) if abs(last_train) > 1e-12 else None
    middle = c.n // 2
    change = float(gap_trend[last] - gap_trend[middle])
    train_badness = badness(c.mode, c.train_file, float(c.train_file[-1]))
    # a change of the gap counts when beyond its noise, 5% of the gap and `gap_change` of how
    # bad training is (a gap of 0.007 that grows by 0.0007 on a loss of 0.15 has not widened)
    needed = max(
        2 * gap_se * math.sqrt(2), 0.05 * abs(float(gap_trend[middle])), settings.gap_change * train_badness, 1e-12
    )
    direction = "widening" if change > needed else "narrowing" if change < -needed else "stable"
    relative_trend = float(gap_trend[last]) / train_badness if train_badness > 1e-12 else math.inf
    # a gap alone counts when it is large and still opening: a large but steady gap while
    # validation holds its level is not yet hurting (the benchmark's good fits have many)
    large = (
        relative_trend > settings.high_variance_gap and float(gap_trend[last]) > 2 * gap_se and direction == "widening"
    )
    return GapMeasure(
        gap=Gap(final=final, at_best=float(values[kept]), relative_final=relative_final, trend=direction),
        series=GapSeries(values=values, trend=gap_trend, noise=gap_noise, se=gap_se),
        relative_trend=relative_trend,
        large=large,
        train_badness=train_badness,
    )
