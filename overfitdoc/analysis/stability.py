"""Stability: noise that dominates a curve, violent epoch-to-epoch moves, spikes, a loss with
no lower bound, a training trend that got worse, and non-finite values. Every measurement is
kept on :class:`~overfitdoc.analysis.types.Stability`; the first test that fires, in the
documented order, is the :class:`~overfitdoc.analysis.types.Instability`."""

from __future__ import annotations

import numpy as np

from .curves import Curves
from .settings import Settings
from .smoothing import noise_share, typical_move
from .types import Instability, Stability


def first_epoch_spike(train: np.ndarray, train_trend: np.ndarray, mode: str) -> float | None:
    """The first training value, when it is worse than the level the training trend starts
    from by more than half: the loss blew up within the first epoch (its mean holds the
    blow-up) and came back down. The trend's running median sets a lone first point aside
    (Tukey's end-point rule), so on a flat run its start is the level training sat at.
    Both arrays in the file's orientation."""
    if len(train) == 0:
        return None
    sign = 1.0 if mode == "min" else -1.0
    a, b = sign * float(train_trend[0]), sign * float(train[0])
    return float(train[0]) if b - a > 0.5 * max(abs(a), 1e-12) else None


def jumps(c: Curves) -> tuple[tuple[int, float, float], ...]:
    """(epoch, before, after) wherever the training series got worse by more than half from
    one point to the next and stands more than half above its own trend there (oriented: a
    loss rising, a score falling). The second test keeps out the mini-batch noise of a loss
    near 0, whose points often move by half from one to the next while the trend through them
    holds its level."""
    out = []
    t = c.train_file
    for i in range(1, c.n):
        a, b = float(t[i - 1]), float(t[i])
        level = float(c.train_trend[i])
        if (b - a) * c.sign > 0.5 * max(abs(a), 1e-12) and c.sign * b - level > 0.5 * max(abs(level), 1e-12):
            out.append((int(round(c.points[i])), a, b))
    return tuple(out)


def rising_bar(c: Curves, level: float, settings: Settings) -> float:
    """How far the training trend must get worse from ``level`` (oriented) to count as rising:
    ``unstable_train_rise`` of that level and 3 trend uncertainties."""
    return max(3 * c.train_se, settings.unstable_train_rise * abs(level))


def measure_stability(
    c: Curves,
    nonfinite: tuple[int, ...],
    flat: bool,
    settings: Settings,
    decisions: float | None = None,
    val_rose_after: int | None = None,
) -> Stability:
    """Every stability measurement of the curves, and the instability that fired first.
    ``decisions``: how many validation samples change sides in a typical epoch
    (:func:`~overfitdoc.analysis.validation.decisions_changed`), None when unknown;
    ``val_rose_after``: the index of the kept epoch when validation rose after it by as much as
    a divergence needs (:func:`~overfitdoc.analysis.divergence.measure_divergence`), else None.
    Training that got worse after that epoch as well did not overfit: it fell apart."""
    s = settings
    t = c.train_file
    last = c.last
    train_share = noise_share(c.train_noise, c.train_trend, s.unstable_train_level * abs(float(np.median(c.train))))
    val_share = noise_share(c.val_noise, c.val_trend, abs(float(np.median(c.val))))
    rose = float(c.train_trend[last]) - float(c.train_trend[0])
    rose_bar = rising_bar(c, float(c.train_trend[0]), s)
    train_rising = rose > rose_bar
    worse: Instability | None = None  # training got worse after the kept epoch, validation too
    if val_rose_after is not None:
        since = float(c.train_trend[last]) - float(c.train_trend[val_rose_after])
        since_bar = rising_bar(c, float(c.train_trend[val_rose_after]), s)
        if since > since_bar:
            worse = Instability("train_rising", since, since_bar, epoch=int(round(c.points[val_rose_after])))
    val_move = typical_move(c.val, c.val_log_trend)
    spike_i = None
    if c.mode == "min" and float(np.min(t)) >= 0 and t[0] > 0:
        over = np.flatnonzero(t[1:] > s.unstable_spike * t[0])
        spike_i = int(over[0]) + 1 if len(over) else None
    # a loss with no lower bound: below zero, many times the size of its first value, and
    # still falling at the end (a custom loss with a sign or scale error runs away like this)
    tail = max(3, c.n // 10)
    no_lower_bound = bool(
        c.mode == "min"
        and float(t[-1]) < 0
        and c.n > tail
        and abs(float(t[-1])) > s.runaway_factor * abs(float(t[0]))
        and float(c.train_trend[last]) < float(c.train_trend[last - tail])
    )
    train_high = train_share > s.unstable_train_noise
    val_high = val_share > s.unstable_val_noise
    # a loss whose model hardly changes a decision on the split from one epoch to the next
    # moves by the confidence of a few samples near zero loss, not by instability
    decisions_hold = decisions is not None and decisions <= 1.0
    move_high = val_move > s.unstable_val_jump and not decisions_hold

    found: Instability | None = None
    if nonfinite:
        found = Instability("nonfinite", float(len(nonfinite)), 0.0, epoch=nonfinite[0])
    elif no_lower_bound:
        found = Instability("no_lower_bound", float(t[-1]), s.runaway_factor, first=float(t[0]))
    elif train_high and not flat:
        found = Instability("train_noise", train_share, s.unstable_train_noise, sigma=c.train_noise)
    elif val_high:
        val_range = float(c.val_trend.max() - c.val_trend.min())
        found = Instability(
            "val_noise",
            val_share,
            s.unstable_val_noise,
            sigma=c.val_noise,
            scale_is_range=val_range > abs(float(np.median(c.val))),
        )
    elif spike_i is not None:
        found = Instability("spike", float(t[spike_i]), s.unstable_spike, epoch=int(round(c.points[spike_i])))
    elif move_high:
        found = Instability("val_jumps", val_move, s.unstable_val_jump)
    elif train_rising and not flat:
        found = Instability("train_rising", rose, rose_bar)
    elif worse is not None:
        found = worse  # validation rose after the kept epoch and training rose with it
    return Stability(
        train_noise_share=train_share,
        val_noise_share=val_share,
        val_move=val_move,
        val_decisions=decisions,
        spike_epoch=None if spike_i is None else int(round(c.points[spike_i])),
        jumps=jumps(c),
        first_epoch_spike=first_epoch_spike(t, c.sign * c.train_trend, c.mode),
        no_lower_bound=no_lower_bound,
        train_rising=train_rising,
        worse_after_best=worse is not None,
        flat=flat,
        train_noise_high=train_high,
        val_noise_high=val_high,
        val_move_high=move_high,
        instability=found,
    )
