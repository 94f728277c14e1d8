"""Smoothing: the trend of a series, its noise, and the window both are measured over.

* the *trend* of a series is a local linear fit over a window of ``w`` points (after a
  3-point running median that removes single-epoch spikes); ``w`` grows with the run length;
* the *noise* ``sigma`` of a series is the robust spread (1.4826 x MAD) of its residuals
  around the trend; the trend's own uncertainty is ``sigma / sqrt(w)``.

Only the analysis calls these: every later stage reads the trends and noises it measured
from the :class:`~overfitdoc.analysis.Diagnosis`.
"""

from __future__ import annotations

import numpy as np

from .settings import DEFAULT_SETTINGS, Settings


def window_for(n: int, settings: Settings = DEFAULT_SETTINGS) -> int:
    """The trend window: an odd number of points, ``window_fraction`` of the run, clamped."""
    w = int(round(n * settings.window_fraction))
    w = max(settings.min_window, min(settings.max_window, w))
    if w % 2 == 0:
        w += 1
    return max(1, min(w, n if n % 2 else n - 1))


def running_median3(x: np.ndarray) -> np.ndarray:
    """3-point running median: removes single-point spikes, keeps steps. The ends take Tukey's
    end-point rule, the median of the end value, its smoothed neighbour and the straight-line
    extrapolation of the next two smoothed values, so a spike in the first or last epoch goes
    too while a straight line keeps its ends."""
    if len(x) < 3:
        return x.copy()
    out = x.copy()
    out[1:-1] = np.median(np.stack([x[:-2], x[1:-1], x[2:]]), axis=0)
    if len(x) >= 4:
        out[0] = np.median([x[0], out[1], 3 * out[1] - 2 * out[2]])
        out[-1] = np.median([x[-1], out[-2], 3 * out[-2] - 2 * out[-3]])
    return out


def local_linear(x: np.ndarray, w: int) -> np.ndarray:
    """Local linear fit over ``w`` points centred on each point (one-sided at the ends, so
    a trend rising into the last epoch is not flattened as a moving average would).

    Vectorised over sliding windows (exact: no running sums, which lose precision on a loss
    that diverged to 1e25)."""
    y = np.asarray(x, dtype=float)
    n = len(y)
    w = min(w, n)
    if n < 3 or w < 3:
        return y.copy()
    h = w // 2
    windows = np.lib.stride_tricks.sliding_window_view(y, w)  # (n - w + 1, w)
    dx = np.arange(w, dtype=float) - (w - 1) / 2
    means = windows.mean(axis=1)
    slopes = (windows - means[:, None]) @ dx / float(dx @ dx)
    starts = np.clip(np.arange(n) - h, 0, n - w)  # each point's window
    return means[starts] + slopes[starts] * (np.arange(n) - starts - (w - 1) / 2)


def local3(x: np.ndarray) -> np.ndarray:
    """The 3-point local linear trend (the mean of each point and its neighbours), kept at the
    first point within the range of the three points it is fitted to. A one-sided fit there
    extrapolates backwards, and a loss that explodes in its first epochs would drive it far
    below any value the run reached. At the last point the extrapolation stays: a validation
    loss still falling into the last epoch is more likely lowest there (clipping it too raised
    the benchmark's median regret from 1.29e-4 to 1.45e-4)."""
    out = local_linear(x, 3)
    if len(x) >= 3:
        out[0] = min(max(out[0], float(np.min(x[:3]))), float(np.max(x[:3])))
    return out


def trend(x: np.ndarray, w: int) -> np.ndarray:
    """The trend of a series: local linear fit of its 3-point running median."""
    return local_linear(running_median3(x), w)


def noise(x: np.ndarray, smooth: np.ndarray) -> float:
    """Robust spread of the residuals around the trend: 1.4826 x median absolute deviation."""
    r = x - smooth
    if len(r) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def noise_share(sigma: float, smooth: np.ndarray, level: float) -> float:
    """Noise against the larger of its trend's range and ``level``: how much of the curve is jitter."""
    return sigma / max(float(smooth.max() - smooth.min()), level, 1e-12)


def log_space(x: np.ndarray) -> np.ndarray | None:
    """``ln(x)`` of a positive series spanning more than a decade (its largest value over ten
    times its smallest), else None. Such a series is measured in log space where its scale
    matters: a loss falling by 15% a step over five decades moves by a constant share, and its
    linear range, set by the first epochs, says nothing about a rise near its minimum."""
    if len(x) == 0 or not float(np.min(x)) > 0 or float(np.max(x)) <= 10 * float(np.min(x)):
        return None
    return np.log(x)


def typical_move(x: np.ndarray, log_trend: np.ndarray | None = None) -> float:
    """The typical epoch-to-epoch change, ``median(|x[i+1] - x[i]|)``, against the level
    ``|median(x)|``. Given the log-space trend of a positive series spanning more than a decade
    (:func:`log_space`), it is the relative move that trend does not explain,
    ``exp(median|r[i+1] - r[i]|) - 1`` with ``r = ln x - log_trend``: a smooth exponential fall
    (15% a step over five decades) is its trend, and moves by nothing."""
    if len(x) <= 3:
        return 0.0
    if log_trend is not None:
        return float(np.expm1(np.median(np.abs(np.diff(np.log(x) - log_trend)))))
    return float(np.median(np.abs(np.diff(x)))) / max(abs(float(np.median(x))), 1e-12)
