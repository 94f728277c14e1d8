"""Bias: whether the model's fit falls short, against ``--target`` when the user gives one,
else against the way from the first epoch to the metric's floor; and whether training
learned at all."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .curves import Curves
from .settings import Settings
from .types import StartUnseen


@dataclass(frozen=True)
class Bias:
    bias: str  # high | low | unknown
    margin: float  # how far past its bar the judgement is (1: on the bar)


def measure_bias(c: Curves, target: float | None, settings: Settings) -> Bias:
    """``high`` when the model's fit falls short of the target or of its floor.

    Against a target, the fit is the better of the training and validation trends: when
    validation does better than training, the training value is inflated by what only runs in
    training (dropout, augmentation, a regularization term in the loss, a running mean over a
    changing model) and the model fits its data at least as well as validation shows. Without
    one, the progress towards the floor is the better of the two series' own progress, each
    from its own start (:func:`progress`): a small validation split that sits below training
    from the first epoch (easier samples) is an offset, not progress, and mixing one series'
    start with the other's best would count it as such."""
    if target is not None:
        best_fit = min(float(c.train_trend.min()), float(c.val_trend.min()))  # oriented
        goal = c.sign * target
        allowed = settings.target_tolerance * max(abs(target), 1e-12)
        short = best_fit - goal
        margin = (allowed / max(short, 1e-12)) if short <= allowed else (short / allowed)
        return Bias("high" if short > allowed else "low", margin)
    # without a target: progress from the start towards the floor of the metric
    t = c.train_file
    if c.mode == "min":
        floor = 0.0 if float(np.min(t)) >= 0 else None
    else:
        floor = -1.0 if float(np.max(t)) <= 1.0 + 1e-9 and float(np.min(t)) >= 0 else None
    if floor is None:
        return Bias("unknown", 1.0)
    each = (progress(c.train, c.train_trend, floor), progress(c.val, c.val_trend, floor))
    made = [m for m in each if m is not None]
    if not made:
        return Bias("low", 10.0)
    progress_made = max(made)
    p = settings.bias_progress
    return Bias("high", p / max(progress_made, 1e-12)) if progress_made < p else Bias("low", progress_made / p)


def series_start(x: np.ndarray, x_trend: np.ndarray) -> float:
    """Where one oriented series starts: the worse of its first value and its trend's first (a
    steep first drop pulls the trend's first point below the untrained level)."""
    return max(float(x[0]), float(x_trend[0]))


def progress(x: np.ndarray, x_trend: np.ndarray, floor: float, start: float | None = None) -> float | None:
    """How far one oriented series got from ``start`` (by default :func:`series_start`) towards
    ``floor``: ``(start - min(trend)) / (start - floor)``; None when the start is at the floor."""
    start = series_start(x, x_trend) if start is None else start
    room = start - floor
    return (start - float(x_trend.min())) / room if room > 1e-12 else None


@dataclass(frozen=True)
class Learning:
    flat: bool  # the training trend barely improved: not learning
    drop: float  # how much the training trend improved from its start to its best
    needed: float  # the drop below which it is flat


def measure_learning(c: Curves, settings: Settings) -> Learning:
    """Flat: the training trend improved by less than ``not_learning_drop`` of its start and
    less than two trend uncertainties."""
    drop = float(c.train_trend[0] - c.train_trend.min())
    needed = flat_bar(c, float(c.train_trend[0]), settings)
    return Learning(drop < needed, drop, needed)


def flat_bar(c: Curves, start: float, settings: Settings) -> float:
    """The drop from ``start`` below which the training trend is flat: ``not_learning_drop`` of
    the start, and two trend uncertainties."""
    return max(settings.not_learning_drop * abs(start), 2 * c.train_se)


def binary_entropy(p: float) -> float:
    """``-p ln p - (1 - p) ln(1 - p)``, in nats; 0 at 0 and 1."""
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log(p) + (1.0 - p) * math.log(1.0 - p))


def constant_guess(loss: np.ndarray, accuracy: np.ndarray, noise: float) -> bool:
    """Whether a cross-entropy ``loss`` is no lower than a constant prediction with that
    ``accuracy`` could reach. A model that gives every sample the same class probabilities
    scores the majority class's share as its accuracy ``a`` and at least the entropy of the
    class shares as its loss, which is at least the binary entropy ``H(a)`` (the majority class
    against the rest). A mean loss below ``H(a)`` by more than three noise units proves the
    model tells samples apart; one at or above it is where a model at chance sits."""
    if not len(loss) or not len(accuracy):
        return False
    return float(np.mean(loss)) >= binary_entropy(float(np.mean(accuracy))) - 3.0 * noise


def start_unseen(
    c: Curves,
    test: str,
    first_epoch: int,
    unseen_epochs: int,
    unit: str,
    accuracy: np.ndarray | None,
    settings: Settings,
) -> StartUnseen | None:
    """Why the log cannot show where training started, for a verdict that reads high bias from
    the start (``test``: ``learning``, a ``not_learning`` run, or ``bias``, an ``underfitting``
    judged by its progress from the first value), or None when it can.

    Both read the first logged value as the untrained level. It is not when the log begins
    ``unseen_epochs >= 1`` epochs after the first (a resumed run, or one logged from a later
    epoch: ``resumed``), or when the first epoch's mean stands above the next point by enough
    to change the test (``first_epoch``): an epoch's mean over a falling loss is at most the
    mean of its first and last values, so the untrained level was at least
    ``2 * first - second``, and measured from there the run is not flat by the learning test's
    bar, or its progress passes ``bias_progress``. A cross-entropy that still sits where a
    constant prediction sits (:func:`constant_guess`, read from the paired training accuracy
    over the last half) is at chance whatever the start: not flagged. Epoch logs only (a step
    log's first point is a window, not an epoch)."""
    if unit != "epoch" or c.n < 2:
        return None
    first, second = float(c.train_file[0]), float(c.train_file[1])
    if unseen_epochs >= 1:
        return StartUnseen("resumed", first_epoch, first, second)
    if c.sign < 0 or float(np.min(c.train_file)) < 0:
        return None  # a score, or a loss with no floor at zero: the mean-of-a-descent bound is a loss's
    bound = 2.0 * float(c.train[0]) - float(c.train[1])  # oriented: lower is better
    if test == "learning":
        changes = bound - float(c.train_trend.min()) >= flat_bar(c, bound, settings)
    else:
        made = progress(c.train, c.train_trend, 0.0, start=bound)
        changes = bound > series_start(c.train, c.train_trend) and (made or 0.0) >= settings.bias_progress
    if not changes:
        return None
    half = c.n // 2
    if accuracy is not None and constant_guess(c.train_file[-half:], accuracy, c.train_noise):
        return None
    return StartUnseen("first_epoch", first_epoch, first, second)
