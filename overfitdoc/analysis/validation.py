"""The validation split's size: given by the user (``--val-size``), or read from the log,
where an accuracy is a count over the split, ``k / N``: the smallest ``N`` (at most
``MAX_SIZE``) that makes every logged validation accuracy strictly between 0 and 1 a whole
count to the precision logs keep (``|x N - k| < N 1e-6``: 6 significant digits, or a float32),
once at least ``MIN_DISTINCT`` distinct such values were logged. Values that are not counts fit
one ``N`` by chance with probability about ``2 N 1e-6`` each, so three of them fit some
``N <= 5000`` together with probability about 1e-3; a true count whose values all happen to be
multiples of ``2/N`` reads as ``N/2`` (with three values, one chance in 8): too small, never too
large, and a smaller split only lowers the confidence. A split of unknown size is ``None``:
nothing is guessed.

The size is what the analysis cannot see in a loss: how much a validation reading can move
by sampling alone. Calibration reads it (``confidence``), the advice quotes it."""

from __future__ import annotations

import numpy as np

from ..naming import normalise
from .types import PairSeries, ValidationSize

MAX_SIZE = 5000
MIN_DISTINCT = 3


def accuracy_steps(values: np.ndarray) -> int | None:
    """The smallest ``N <= MAX_SIZE`` with every value in (0, 1) a multiple of ``1/N``
    (to the 6 significant digits logs keep), or None.

    >>> accuracy_steps(np.array([k / 16 for k in (3, 5, 7, 8, 9, 11, 12, 13, 14)]))
    16
    >>> accuracy_steps(np.array([0.5, 0.75])) is None  # too few distinct values to tell
    True
    """
    vals = np.unique(np.round(np.asarray(values, dtype=float)[np.isfinite(values)], 9))
    vals = vals[(vals > 0) & (vals < 1)]
    if len(vals) < MIN_DISTINCT:
        return None
    sizes = np.arange(2, MAX_SIZE + 1, dtype=float)  # every candidate at once, narrowed value by value
    for v in vals:
        x = v * sizes
        sizes = sizes[np.abs(x - np.round(x)) < sizes * 1e-6 + 1e-9]
        if not len(sizes):
            return None
    return int(sizes[0])


def validation_size(pairs: tuple[PairSeries, ...], given: int | None = None) -> ValidationSize | None:
    """The split's size: ``given`` when the user said it, else read from the first paired
    accuracy (a ``max`` metric named ``acc...`` whose values lie in [0, 1])."""
    if given is not None:
        return ValidationSize(int(given), "given")
    for s in pairs:
        if s.pair.mode != "max" or "acc" not in normalise(s.pair.metric):
            continue
        v = s.val_raw[np.isfinite(s.val_raw)]
        if not len(v) or float(v.min()) < 0 or float(v.max()) > 1.0 + 1e-9:
            continue
        n = accuracy_steps(v)
        if n is not None:
            return ValidationSize(n, "accuracy steps", s.pair.val)
    return None
