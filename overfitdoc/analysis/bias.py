"""Bias: whether the model's fit falls short, against ``--target`` when the user gives one,
else against the way from the first epoch to the metric's floor; and whether training
learned at all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .curves import Curves
from .settings import Settings


@dataclass(frozen=True)
class Bias:
    bias: str  # high | low | unknown
    margin: float  # how far past its bar the judgement is (1: on the bar)


def measure_bias(c: Curves, target: float | None, settings: Settings) -> Bias:
    """``high`` when the model's fit falls short of the target or of its floor.

    The fit is the better of the training and validation trends: when validation does better
    than training, the training value is inflated by what only runs in training (dropout,
    augmentation, a regularization term in the loss, a running mean over a changing model) and
    the model fits its data at least as well as validation shows."""
    best_fit = min(float(c.train_trend.min()), float(c.val_trend.min()))  # oriented
    if target is not None:
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
    # the start: the worse of the first value and its trend (a steep first drop pulls the
    # trend's first point below the untrained level)
    start = max(float(c.train[0]), float(c.train_trend[0]))
    room = start - floor
    if room <= 1e-12:
        return Bias("low", 10.0)
    progress = (start - best_fit) / room
    p = settings.bias_progress
    return Bias("high", p / max(progress, 1e-12)) if progress < p else Bias("low", progress / p)


@dataclass(frozen=True)
class Learning:
    flat: bool  # the training trend barely improved: not learning
    drop: float  # how much the training trend improved from its start to its best
    needed: float  # the drop below which it is flat


def measure_learning(c: Curves, settings: Settings) -> Learning:
    """Flat: the training trend improved by less than ``not_learning_drop`` of its start and
    less than two trend uncertainties."""
    drop = float(c.train_trend[0] - c.train_trend.min())
    needed = max(settings.not_learning_drop * abs(float(c.train_trend[0])), 2 * c.train_se)
    return Learning(drop < needed, drop, needed)
