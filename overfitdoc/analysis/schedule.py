"""The learning-rate schedule, classified once from the log's learning-rate column.

``constant``, ``step`` (a few cuts, flat between them), ``linear`` or ``cosine`` (a smooth
decay from the peak, the shape closer of the two within 10% of the peak), ``decay`` (another
smooth decay, e.g. exponential), ``cyclical`` or ``increasing``; ``warmup`` is true when the
rate first rose to its peak. The advice reads the peak and the shape from here, never the last
value: a run annealed on purpose ends at a small rate because it was meant to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: how close (root mean square, as a share of the peak) a decay must follow a line or a cosine
SMOOTH_FIT = 0.1


@dataclass(frozen=True)
class Schedule:
    kind: str  # constant | step | linear | cosine | decay | cyclical | increasing
    warmup: bool
    peak: float
    peak_epoch: float
    first: float
    last: float
    cuts: tuple[tuple[int, float, float], ...] = ()  # (epoch, before, after), step schedules only

    @property
    def annealed(self) -> bool:
        """The rate was lowered on purpose by the end: a step, linear, cosine or other decay
        to under half its peak."""
        return self.kind in ("step", "linear", "cosine", "decay") and self.last < 0.5 * self.peak

    @property
    def name(self) -> str:
        """``warm-up then cosine decay``, ``step decay``, ``constant``..."""
        base = {
            "step": "step decay",
            "linear": "linear decay",
            "cosine": "cosine decay",
            "decay": "smooth decay",
        }.get(self.kind, self.kind)
        return f"warm-up then {base}" if self.warmup and self.kind not in ("constant", "increasing") else base


@np.errstate(all="ignore")  # measured lazily, after diagnose: a huge or tiny rate is the log's
def classify(epochs, values) -> Schedule | None:
    """The schedule of a learning-rate series (positive finite values, in order)."""
    v = np.asarray(values, dtype=float)
    e = np.asarray(epochs, dtype=float)
    if len(v) == 0:
        return None
    peak_i = int(np.argmax(v))
    peak, first, last = float(v[peak_i]), float(v[0]), float(v[-1])
    base: dict[str, Any] = dict(peak=peak, peak_epoch=float(e[peak_i]), first=first, last=last)
    if peak <= float(v.min()) * 1.01:
        return Schedule("constant", False, **base)
    warmup = peak_i > 0 and peak > 1.5 * first
    tail = v[peak_i:]
    if len(tail) < 2 or last >= peak / 1.01:
        return Schedule("increasing", warmup, **base)
    rises = int(np.sum(np.diff(tail) > 0.01 * peak))
    if rises > 1:
        return Schedule("cyclical", warmup, **base)
    changes = np.flatnonzero(np.abs(np.diff(tail)) > 0.01 * peak)
    if len(changes) <= max(3, len(tail) // 10) and len(tail) >= 4:
        cuts = tuple(
            (int(round(float(e[peak_i + i + 1]))), float(tail[i]), float(tail[i + 1]))
            for i in changes
            if tail[i + 1] > 0 and tail[i] / tail[i + 1] >= 1.2
        )
        if cuts:
            return Schedule("step", warmup, **base, cuts=cuts)
    x = (e[peak_i:] - e[peak_i]) / max(float(e[-1] - e[peak_i]), 1e-12)
    lo = float(tail.min())
    lin = peak - (peak - lo) * x
    cos = lo + (peak - lo) * 0.5 * (1 + np.cos(np.pi * x))
    err_lin = float(np.sqrt(np.mean((tail - lin) ** 2))) / peak
    err_cos = float(np.sqrt(np.mean((tail - cos) ** 2))) / peak
    if min(err_lin, err_cos) <= SMOOTH_FIT:
        return Schedule("linear" if err_lin <= err_cos else "cosine", warmup, **base)
    return Schedule("decay", warmup, **base)
