"""Keras' early-stopping rule, once: the advice simulates it on the logged series, ``rerun``'s
``early-stopping`` fix applies it epoch by epoch while training, and the accuracy benchmark's
Keras peer replays it. Torch-free.

The rule is Keras ``EarlyStopping(patience=p, min_delta=d, restore_best_weights=True)``
(keras/src/callbacks/early_stopping.py): at each point ``wait += 1``; a value ``min_delta``
better than the best so far (the first value always is one) becomes the best and resets
``wait``; training stops when ``wait >= patience`` at a point other than the first. The best
point's weights are restored, stop or not.

One deliberate difference: a non-finite value (NaN, infinity) never counts as an
improvement. Keras takes a first NaN as its best, then nothing compares better than NaN, so it
stops ``patience`` epochs in and restores the NaN epoch; here the first finite value becomes
the best. On finite series the two agree point for point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class EarlyStoppingRule:
    """The rule's state, fed one value at a time with :meth:`update`.

    >>> rule = EarlyStoppingRule("min", patience=2)
    >>> [rule.update(v) for v in [3, 2, 1, 2, 3]]
    [False, False, False, False, True]
    >>> rule.best_index, rule.best
    (2, 1.0)
    """

    def __init__(self, mode: str, patience: int, min_delta: float = 0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
        self.mode = mode
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.best: float | None = None
        self.best_index: int | None = None
        self.wait = 0
        self.index = -1
        self.stopped_index: int | None = None

    def improves(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < self.best
        return value - self.min_delta > self.best

    def update(self, value: float) -> bool:
        """Take the next value; True when training stops at it. Whether it became the new
        best is ``best_index == index`` afterwards."""
        self.index += 1
        value = float(value)
        self.wait += 1
        if self.improves(value):
            self.best, self.best_index, self.wait = value, self.index, 0
            return False
        if self.wait >= self.patience and self.index > 0:
            self.stopped_index = self.index
            return True
        return False


@dataclass(frozen=True)
class StopSimulation:
    """What the rule does on a logged series."""

    patience: int
    fired: bool  # True when the rule fired, at the last point too
    stopped: bool  # True when it stopped before the last point
    stop_index: int  # index of the point at which training ended
    restored_index: int  # index of the point whose weights are restored
    stop_epoch: int
    restored_epoch: int
    restored_value: float
    points_run: int  # validation points trained before the stop (incl. the stop)


def simulate_early_stopping(
    values: Sequence[float] | np.ndarray,
    epochs: Sequence[float] | np.ndarray,
    mode: str,
    patience: int,
    min_delta: float = 0.0,
) -> StopSimulation:
    """Replay :class:`EarlyStoppingRule` on a logged series. With no finite value at all, the
    first point is the one restored.

    >>> s = simulate_early_stopping([3, 2, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6], "min", 2)
    >>> s.stop_epoch, s.restored_epoch
    (4, 2)
    >>> s = simulate_early_stopping([float("nan"), 1.0, .9, .8, .7, .6], range(6), "min", 2)
    >>> s.stopped, s.restored_epoch
    (False, 5)
    """
    vals = [float(x) for x in values]
    epochs = list(epochs)
    rule = EarlyStoppingRule(mode, patience, min_delta)
    stop = None
    for i, v in enumerate(vals):
        if rule.update(v):
            stop = i
            break
    end = stop if stop is not None else len(vals) - 1
    best = rule.best_index if rule.best_index is not None else 0
    return StopSimulation(
        patience=patience,
        fired=stop is not None,
        stopped=stop is not None and stop < len(vals) - 1,
        stop_index=end,
        restored_index=best,
        stop_epoch=int(round(epochs[end])),
        restored_epoch=int(round(epochs[best])),
        restored_value=vals[best],
        points_run=end + 1,
    )
