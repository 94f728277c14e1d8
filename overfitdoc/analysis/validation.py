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

import math

import numpy as np

from ..naming import normalise
from .types import FrozenDecisions, PairSeries, ValidationSize

MAX_SIZE = 5000
MIN_DISTINCT = 3
# the fewest identical readings of each split that frozen_decisions reads (half of calibration.MIN_POINTS)
FROZEN_MIN = 7


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


def _accuracies(pairs: tuple[PairSeries, ...]):
    """The paired accuracies, in order: ``max`` metrics named ``acc...`` whose validation
    values lie in [0, 1], each with its finite validation values."""
    for s in pairs:
        if s.pair.mode != "max" or "acc" not in normalise(s.pair.metric):
            continue
        v = s.val_raw[np.isfinite(s.val_raw)]
        if len(v) and float(v.min()) >= 0 and float(v.max()) <= 1.0 + 1e-9:
            yield s, v


def training_accuracy(pairs: tuple[PairSeries, ...]) -> np.ndarray | None:
    """The first paired accuracy's finite training values over the last half of its points,
    None when the log pairs no accuracy (or it has fewer than two finite points)."""
    for s, _ in _accuracies(pairs):
        t = s.train_raw[s.finite]
        if len(t) >= 2:
            return t[-(len(t) // 2) :]
    return None


def validation_size(pairs: tuple[PairSeries, ...], given: int | None = None) -> ValidationSize | None:
    """The split's size: ``given`` when the user said it, else read from the first paired
    accuracy (a ``max`` metric named ``acc...`` whose values lie in [0, 1])."""
    if given is not None:
        return ValidationSize(int(given), "given")
    for s, v in _accuracies(pairs):
        n = accuracy_steps(v)
        if n is not None:
            return ValidationSize(n, "accuracy steps", s.pair.val)
    return None


def decisions_changed(pairs: tuple[PairSeries, ...], size: ValidationSize | None) -> float | None:
    """How many validation samples change sides in a typical epoch: ``N * median(|a[i+1] -
    a[i]|)`` over the validation accuracy ``a`` the split's size ``N`` was read from (or, for
    a given size, the first paired accuracy). None when the size or that accuracy is unknown.
    At most 1: the model's decisions on the split hardly move from one epoch to the next, so a
    loss that moves by a large share of its level is the confidence of a few samples near a
    loss of zero, not an unstable optimizer (docs/analysis.md, "Verdict")."""
    if size is None:
        return None
    for s, v in _accuracies(pairs):
        if size.series is None or s.pair.val == size.series:
            if len(v) < 4:
                return None
            return float(size.n * np.median(np.abs(np.diff(v))))
    return None


def split_se(level: float, mode: str, size: ValidationSize | None) -> float | None:
    """The sampling error of a validation loss of ``level`` measured on the split:
    ``level / sqrt(N)``, the standard error of a mean over ``N`` samples whose per-sample
    losses spread as much as their mean (a log loss concentrated on a few samples spreads more;
    a squared Gaussian error spreads ``sqrt(2)`` times its mean: this errs small). None for a
    score (higher is better), a level that is not positive, or a split of unknown size.

    It is the part of a validation curve no trend can remove: the same ``N`` samples are scored
    at every epoch, so the curve's departure from what a large test set would show is shared by
    neighbouring epochs, and a rise no larger than it can be a few samples growing more
    confidently wrong (docs/analysis.md, "The validation split's size")."""
    if size is None or mode != "min" or not level > 0:
        return None
    return float(level / np.sqrt(size.n))


def resolving_size(n: int, rise_se: float, resolved_at: float) -> int:
    """The split size at which a rise of ``rise_se`` sampling errors on ``n`` samples would be
    ``resolved_at`` errors: the error shrinks as ``1 / sqrt(size)``, so ``n (resolved_at /
    rise_se)^2`` (``rise_se`` taken as at least 0.1), to two significant digits: the sampling
    error is itself an estimate."""
    return int(float(f"{math.ceil(n * (resolved_at / max(rise_se, 0.1)) ** 2):.2g}"))


def frozen_decisions(pairs: tuple[PairSeries, ...]) -> FrozenDecisions | None:
    """A paired accuracy whose training and validation values are each one value, the training
    one below 1, at every analysed point of the last half of the run (at least ``FROZEN_MIN``
    points): no training or validation sample changed class while the weights kept moving. A
    model that predicts one class for every sample (the majority class of an imbalanced set)
    logs this, and so does one stuck where no step changes a decision: either way it has
    stopped learning anything its accuracy can see. ``since`` is where the stretch of equal
    readings began. Exact equality, no tolerance: an epoch-averaged accuracy is a count over
    the split, and a model still learning moves it by at least one sample now and then; a
    training accuracy whose every value is a multiple of 0.01 is not read (a log rounded to two
    decimals repeats a value by rounding alone; so does a training set of 100, which a frozen
    reading then cannot tell apart) (docs/analysis.md, "Frozen decisions"). None when no paired
    accuracy shows it."""
    for s, _ in _accuracies(pairs):
        ok = s.finite
        t, v, e = s.train_raw[ok], s.val_raw[ok], s.epochs[ok]
        half = len(t) // 2
        if half < FROZEN_MIN:
            continue
        tv, vv = float(t[-1]), float(v[-1])
        if not tv < 1.0 or np.any(t[-half:] != tv) or np.any(v[-half:] != vv):
            continue
        if np.all(np.abs(t * 100 - np.round(t * 100)) < 1e-6):
            continue  # every training value on a grid of 0.01: rounded to two decimals, it repeats by rounding
        same = (t == tv) & (v == vv)
        start = len(t) - int(np.argmin(same[::-1])) if not same.all() else 0
        n = len(t) - start
        return FrozenDecisions(s.pair.train, s.pair.val, tv, vv, int(round(float(e[start]))), n, n / len(t))
    return None
