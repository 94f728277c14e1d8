"""The monitored pair's curves as every measurement reads them: the analysed points,
oriented so that lower is better, with their trends, noises and uncertainties.

``train`` and ``val`` are ``sign`` times the file's values (``sign`` is +1 for a loss, -1
for a score); ``train_file`` and ``val_file`` are the values as logged. The uncertainty of
one trend value is ``noise / sqrt(window)``; of a difference of two, ``sqrt(2)`` times that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .series import sign_of
from .settings import Settings
from .smoothing import log_space, noise, trend, window_for


@dataclass(frozen=True, eq=False)
class Curves:
    mode: str
    sign: float
    points: np.ndarray
    train_file: np.ndarray
    val_file: np.ndarray
    train: np.ndarray
    val: np.ndarray
    window: int
    train_trend: np.ndarray
    val_trend: np.ndarray
    train_noise: float
    val_noise: float
    train_se: float  # uncertainty of a training trend value
    val_se: float  # ... of a validation trend value (at least 1e-12 of val_scale)
    val_diff_se: float  # ... of a difference of two validation trend values
    val_scale: float  # the larger of the validation level and its trend's range
    #: the trend of ``ln(val)`` for a loss spanning more than a decade (:func:`log_space`), else None
    val_log_trend: np.ndarray | None = None

    @property
    def val_log_range(self) -> float | None:
        """The range of the log-space validation trend (None when it is not measured in log space)."""
        t = self.val_log_trend
        return None if t is None else float(t.max() - t.min())

    @property
    def n(self) -> int:
        return len(self.points)

    @property
    def last(self) -> int:
        return len(self.points) - 1


def curves(points: np.ndarray, train: np.ndarray, val: np.ndarray, mode: str, settings: Settings) -> Curves:
    """Measure the curves of the analysed points (all finite, at least 3)."""
    sign = sign_of(mode)
    train_o, val_o = sign * train, sign * val
    w = window_for(len(points), settings)
    train_trend, val_trend = trend(train_o, w), trend(val_o, w)
    train_noise, val_noise = noise(train_o, train_trend), noise(val_o, val_trend)
    val_scale = max(abs(float(np.median(val_o))), float(val_trend.max() - val_trend.min()), 1e-12)
    val_se = max(val_noise / math.sqrt(w), 1e-12 * val_scale)
    log_val = log_space(val_o) if mode == "min" else None
    return Curves(
        mode=mode,
        sign=sign,
        points=points,
        train_file=train,
        val_file=val,
        train=train_o,
        val=val_o,
        window=w,
        train_trend=train_trend,
        val_trend=val_trend,
        train_noise=train_noise,
        val_noise=val_noise,
        train_se=train_noise / math.sqrt(w),
        val_se=val_se,
        val_diff_se=val_se * math.sqrt(2),
        val_scale=val_scale,
        val_log_trend=None if log_val is None else trend(log_val, w),
    )


def badness(mode: str, series: np.ndarray, at: float) -> float:
    """How far the value ``at`` of ``series`` is from perfect, the scale a gap, a late gain or a
    rise is judged against: the value itself for a loss, the error ``1 - at`` for a score
    bounded by 1."""
    if mode == "max" and np.nanmax(series) <= 1.0 + 1e-9:
        return max(1.0 - at, 1e-3)
    return abs(at)
