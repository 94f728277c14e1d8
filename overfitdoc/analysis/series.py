"""The series of a log as the analysis reads them: every paired metric aligned, trended and
summarised (:class:`PairSeries`), the learning-rate column, and the best value of every
validation column. This is the only place outside the readers that aligns a history."""

from __future__ import annotations

import math
import re

import numpy as np

from ..history import History
from ..naming import MetricPair, is_held_out, is_meta, metric_mode, normalise
from .settings import DEFAULT_SETTINGS, Settings
from .smoothing import noise, trend, window_for
from .types import ColumnBest, LearningRate, PairSeries


def sign_of(mode: str) -> float:
    """+1 for a series where lower is better, -1 where higher is: ``sign * x`` is oriented."""
    return 1.0 if mode == "min" else -1.0


def measure_pair(history: History, pair: MetricPair, settings: Settings = DEFAULT_SETTINGS) -> PairSeries:
    """Align one pair and measure its trends, noises, best and final values.

    The trends are fitted to the oriented values (lower is better) over the window of the
    number of finite points, and given back in the file's orientation."""
    epochs, train_raw, val_raw, missing = history.alignment(pair)
    finite = np.isfinite(train_raw) & np.isfinite(val_raw)
    ok_val = np.isfinite(val_raw)
    best_epoch = best_val = None
    if ok_val.any():
        masked = np.where(ok_val, val_raw, np.inf if pair.mode == "min" else -np.inf)
        i = int(np.argmin(masked) if pair.mode == "min" else np.argmax(masked))
        best_epoch, best_val = int(epochs[i]), float(val_raw[i])
    final_train = final_val = None
    if len(epochs):
        final_train = float(train_raw[-1]) if math.isfinite(train_raw[-1]) else None
        final_val = float(val_raw[-1]) if math.isfinite(val_raw[-1]) else None
    out = dict(
        pair=pair,
        epochs=np.asarray(epochs, dtype=float),
        train_raw=train_raw,
        val_raw=val_raw,
        finite=finite,
        missing=missing,
        nonfinite_rows=_bad_rows(history, pair),
        best_epoch=best_epoch,
        best_val=best_val,
        final_train=final_train,
        final_val=final_val,
    )
    n = int(finite.sum())
    if n >= 3:
        sign = sign_of(pair.mode)
        w = window_for(n, settings)
        t_oriented, v_oriented = sign * train_raw[finite], sign * val_raw[finite]
        t_trend, v_trend = trend(t_oriented, w), trend(v_oriented, w)
        out.update(
            window=w,
            train_trend=sign * t_trend,
            val_trend=sign * v_trend,
            train_noise=noise(t_oriented, t_trend),
            val_noise=noise(v_oriented, v_trend),
        )
    return PairSeries(**out)


def _bad_rows(history: History, pair: MetricPair) -> np.ndarray:
    """Epochs of logged rows where the pair went bad: an explicit NaN (the file's ``nan``, a
    JSON NaN) or an infinity on either side. An empty cell is nothing logged, not bad."""
    t = np.asarray(history.columns[pair.train], dtype=float)
    v = np.asarray(history.columns[pair.val], dtype=float)
    bad = np.isinf(t) | np.isinf(v)
    for column in (pair.train, pair.val):
        if column in history.nan_cells:
            bad |= history.nan_cells[column]
    return np.asarray(history.index, dtype=float)[bad]


def validation_bests(history: History, pairs: tuple[MetricPair, ...]) -> tuple[ColumnBest, ...]:
    """The best value of every validation column: each pair's validation series (in the
    pair's direction) and every other column named as held out (``val_f1``, ``test_auc``; in
    the direction its name says, lower is better when it says neither)."""
    modes = {p.val: p.mode for p in pairs}
    for column in history.columns:
        if column not in modes and not is_meta(column) and is_held_out(column):
            modes[column] = metric_mode(column) or "min"
    out = []
    for column, mode in modes.items():
        values = np.asarray(history.columns[column], dtype=float)
        ok = np.isfinite(values)
        if not ok.any():
            out.append(ColumnBest(column, mode, None, None))
            continue
        masked = np.where(ok, values, -np.inf if mode == "max" else np.inf)
        i = int(np.argmax(masked) if mode == "max" else np.argmin(masked))
        out.append(ColumnBest(column, mode, float(values[i]), int(round(float(history.index[i])))))
    return tuple(out)


def _lr_rank(name: str) -> int:
    """0 for the plain names, 1 for prefixed or suffixed ones, -1 when not a learning rate."""
    n = normalise(name)
    if n in ("lr", "learning_rate"):
        return 0
    if n.startswith("lr_") or n.endswith(("_lr", "learning_rate")) or re.fullmatch(r"lr\d+", n):
        return 1
    return -1


def learning_rate(history: History) -> LearningRate | None:
    """The log's learning-rate column (``lr``, ``learning_rate``, then prefixed or suffixed
    names), at every row where it holds a positive finite value; None when there is none."""
    names = sorted((r, i, c) for i, c in enumerate(history.columns) if (r := _lr_rank(c)) >= 0)
    for _, _, col in names:
        vals = np.asarray(history.columns[col], dtype=float)
        ok = np.isfinite(vals) & (vals > 0)
        if ok.sum() >= 1:
            return LearningRate(col, np.asarray(history.index, dtype=float)[ok], vals[ok], history.unit)
    return None


def epochs_trained(history: History) -> float | None:
    """The training epochs a step log covers: the last finite value of its ``epoch`` column
    (the Hugging Face Trainer logs the fractional epoch beside every step). None on an epoch
    log (its index counts the epochs) or a step log without one."""
    col = history.columns.get("epoch") if history.unit == "step" else None
    if col is None:
        return None
    vals = np.asarray(col, dtype=float)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    return float(vals.max()) if len(vals) else None
