"""Divergence: the epoch to keep, whether validation rose after it (the onset of
overfitting) with its range, and whether validation was still improving at the end.

* ``recommended_epoch`` is the minimum of the *kept score*, mostly (``kept_raw``) the raw
  validation value and partly its 3-point local trend; ``best_epoch`` the raw minimum;
* ``divergence_epoch`` is the recommended epoch when, after it, the validation trend rises
  by more than both ``z_rise`` trend uncertainties and ``min_rise`` of the validation scale
  (in log space for a loss spanning more than a decade, :func:`min_rise`),
  for at least ``min_sustain`` points, while the training trend does not rise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curves, badness
from .settings import Settings
from .smoothing import local3, trend


@dataclass(frozen=True, eq=False)
class KeptEpoch:
    score: np.ndarray  # the kept score at every point (oriented)
    light_trend: np.ndarray  # the validation trend over the light window
    best: int  # index of the raw best validation value
    kept: int  # index of the recommended epoch


def kept_epoch(c: Curves, settings: Settings) -> KeptEpoch:
    """The epoch to keep: the minimum of the kept score. On the benchmark's runs any wider
    smoothing moved the pick off sharp minima (validation noise there is mostly a
    fixed-sample bias shared by all epochs), while the score still rejects a lone dip much
    deeper than its neighbours. The wide trend judges whether validation rose since."""
    score = settings.kept_raw * c.val + (1 - settings.kept_raw) * local3(c.val)
    light_window = max(3, min(settings.light_window, c.window))
    return KeptEpoch(
        score=score, light_trend=trend(c.val, light_window), best=int(np.argmin(c.val)), kept=int(np.argmin(score))
    )


@dataclass(frozen=True)
class Divergence:
    diverged: bool
    rise: float  # how far the validation trend rose from the kept epoch to the end
    rise_needed: float  # the rise that counts
    range: tuple[int, int] | None  # indices of the onset range, when diverged
    val_rose: bool  # validation rose by the rise that counts, sustained, whatever training did


def min_rise(c: Curves, kept_score: float, settings: Settings) -> float:
    """The rise that counts by size: ``min_rise`` of the validation scale. For a loss spanning
    more than a decade the scale is measured in log space: a rise by the factor
    ``exp(min_rise * log_range)`` from the kept value (``log_range`` the range of the log-space
    trend), so the first epochs' huge values do not set the bar for a rise near the minimum."""
    if c.val_log_range is not None and kept_score > 0:
        return kept_score * float(np.expm1(settings.min_rise * c.val_log_range))
    return settings.min_rise * c.val_scale


def measure_divergence(c: Curves, k: KeptEpoch, gap_large: bool, settings: Settings) -> Divergence:
    """A sustained rise of the validation trend after the kept epoch, training not rising."""
    kept, last = k.kept, c.last
    kept_score = float(k.score[kept])
    rise = float(c.val_trend[last] - min(k.light_trend[kept], kept_score))
    rise_needed = max(settings.z_rise * c.val_diff_se, min_rise(c, kept_score, settings))
    tail = c.val_trend[kept + 1 :]
    # sustained over half a trend window at least: nearer the end the trend is an extrapolation
    hold = max(settings.min_sustain, c.window // 2)
    sustained = last - kept >= hold and bool(np.all(tail[-hold:] > kept_score + rise_needed / 2))
    if gap_large:
        # with a large gap still opening, a rise of `gap_rise` of the validation level (and of
        # z_rise noise units) is enough: the curve's whole range need not be its scale
        level = max(badness(c.mode, c.val_file, float(c.sign * kept_score)), 1e-12)
        rise_needed = min(
            rise_needed, max(settings.gap_rise * level, settings.z_rise * c.val_noise, settings.z_rise * c.val_diff_se)
        )
    train_ok = float(c.train_trend[last]) <= float(c.train_trend[kept]) + settings.z_rise * c.train_se
    val_rose = rise > rise_needed and sustained
    diverged = val_rose and train_ok
    if not diverged:
        return Divergence(False, rise, rise_needed, None, val_rose)
    band = kept_score + max(settings.z_range * c.val_noise, settings.range_floor * abs(kept_score))
    a = kept
    while a > 0 and k.score[a - 1] <= band:
        a -= 1
    b = kept
    while b < last and k.score[b + 1] <= band:
        b += 1
    a = max(0, min(a, kept - settings.range_halfwidth))
    b = min(last, max(b, kept + settings.range_halfwidth))
    return Divergence(True, rise, rise_needed, (a, b), True)


@dataclass(frozen=True)
class LateGain:
    still_improving: bool
    gain: float  # how much the validation trend improved over the last tenth
    needed: float  # the gain that counts
    tail: int  # the points in that last tenth (at least 3)


def late_gain(c: Curves, k: KeptEpoch, diverged: bool, settings: Settings) -> LateGain:
    """Still improving: over the last tenth of the run (at least 3 points) the validation
    trend gained more than 3 uncertainties and ``still_fall`` of the level it ended at, and
    the kept epoch lies in that tenth."""
    last = c.last
    tail = max(3, c.n // 10)
    gain = float(c.val_trend[max(0, last - tail)] - c.val_trend[last]) if c.n > tail else 0.0
    level_end = max(badness(c.mode, c.val_file, float(c.sign * c.val_trend[last])), 1e-12)
    needed = max(3 * c.val_diff_se, settings.still_fall * level_end)
    still = k.kept >= last - tail and not diverged and gain > needed
    return LateGain(still, gain, needed, tail)
