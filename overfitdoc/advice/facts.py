"""What the rules read: quantities derived once from a :class:`Diagnosis`, shared by every rule.

A rule never recomputes a trend or re-reads a file; it asks :class:`Facts`. Each quantity is
a cached property, ``None`` when the run does not have what it needs (no accuracy series, no
learning-rate column). Arrays are indexed by validation point (``d.points``); ``epoch(i)``
turns an index into the file's own epoch number.

Facts measure nothing of their own: the series, trends, noises, the gap, the stability
measurements and the learning rate are the analysis' (read from the Diagnosis). What is here
are the advice's own judgements on them: when a gap counts as open, how early the trouble
began, which patience to advise, whether training memorised, whether validation is better
than training by more than measurement explains.

The monitored pair is *oriented* as in the analysis: ``train_o`` and ``val_o`` (and their
trends ``train_trend_o``, ``val_trend_o``) are the values times ``sign`` (+1 for a loss, -1
for a score), so lower is better. ``train`` and ``val`` are the file's values; numbers quoted
in evidence sentences are always those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..analysis import DEFAULT_SETTINGS, Diagnosis, LearningRate, PairSeries, Settings
from ..analysis.early_stopping import StopSimulation, simulate_early_stopping
from ..naming import MetricPair, normalise
from ..numbers import fmt  # noqa: F401  (the evidence sentences' number format)

#: a gap of this share of the training value counts as open (the analysis' own high-variance
#: threshold may differ; the advice keeps its own, so its wording does not move with it)
OPEN_GAP = 0.25
#: patience values tried when choosing one for this run (Keras counts validation points)
PATIENCE_LADDER = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50)


class Facts:
    """The advice's judgements on one :class:`Diagnosis`, each computed once and cached."""

    def __init__(self, d: Diagnosis, settings: Settings = DEFAULT_SETTINGS):
        self.d = d
        self.settings = settings
        # read only when ``usable``, which needs a monitored pair
        self.pair: MetricPair = d.monitor  # type: ignore[assignment]
        self.usable = d.monitor is not None and d.verdict != "insufficient_data" and len(d.points) >= 3
        self.unit = d.unit
        self.early_divergence = (
            d.monitor is not None and d.verdict == "unstable" and not self.usable and bool(d.nonfinite)
        )
        if not self.usable:
            return
        assert d.monitor is not None and d.stability is not None and d.gap_series is not None
        self.mode = d.monitor.mode
        self.sign = 1.0 if self.mode == "min" else -1.0
        self.metric = d.monitor.metric
        self.points = np.asarray(d.points, dtype=float)
        self.n = len(self.points)
        self.last = self.n - 1
        self.train = np.asarray(d.train, dtype=float)
        self.val = np.asarray(d.val, dtype=float)
        self.train_o, self.val_o = self.sign * self.train, self.sign * self.val
        self.window = int(d.window or 3)
        # the analysis' trends, oriented (lower is better)
        self.train_trend_o = self.sign * np.asarray(d.train_trend, dtype=float)
        self.val_trend_o = self.sign * np.asarray(d.val_trend, dtype=float)
        self.stability = d.stability
        self.gap = d.gap_series
        monitored = d.monitored
        assert monitored is not None
        self.monitored: PairSeries = monitored
        self.rec_i = self.index_at(d.recommended_epoch)
        self.best_i = self.index_at(d.best_epoch)

    # ------------------------------------------------------------------ helpers
    @property
    def framework(self) -> str | None:
        """The framework the log's format names (``hf``, ``ultralytics``), or None."""
        from .frameworks import FORMAT_FRAMEWORK

        return FORMAT_FRAMEWORK.get(self.d.format)

    @property
    def is_yolo(self) -> bool:
        return self.framework == "ultralytics"

    def index_at(self, epoch) -> int:
        return int(np.argmin(np.abs(self.points - float(epoch))))

    def epoch(self, i: int) -> int:
        return int(round(self.points[i]))

    @property
    def val_name(self) -> str:
        return self.pair.val

    @property
    def train_name(self) -> str:
        return self.pair.train

    @property
    def total_epochs(self) -> int:
        """How many epochs the log spans (validation points may be sparser)."""
        return int(self.points[-1] - self.points[0]) + 1

    def badness(self, i: int) -> float:
        """The scale a gap is judged against at point ``i``: the training loss itself, or the
        training error (1 - score) for a score bounded by 1 (as the analysis does at the end)."""
        t = self.sign * float(self.train_trend_o[i])
        if self.mode == "min":
            return max(abs(t), 1e-12)
        if float(np.nanmax(self.train)) <= 1.0 + 1e-9:
            return max(1.0 - t, 1e-3)
        return max(abs(t), 1e-12)

    # ------------------------------------------------------------------ the gap
    @property
    def gap_trend(self) -> np.ndarray:
        """Oriented gap (validation worse than training when positive), trended (the analysis')."""
        return self.gap.trend

    @property
    def gap_se(self) -> float:
        return self.gap.se

    @cached_property
    def relative_gap(self) -> np.ndarray:
        return np.array([self.gap_trend[i] / self.badness(i) for i in range(self.n)])

    @cached_property
    def gap_onset(self) -> int | None:
        """First point from which the relative gap stays above :data:`OPEN_GAP` to the end;
        None when it does not end above it."""
        thr = OPEN_GAP
        rel = self.relative_gap
        if rel[self.last] <= thr:
            return None
        i = self.last
        while i > 0 and rel[i - 1] > thr:
            i -= 1
        return i

    @cached_property
    def earliness(self) -> float:
        """1 when the gap opened (or validation turned) in the first epochs, 0 when only after
        a fifth of the run or later: how much the problem is the model rather than the stop."""
        i = self.gap_onset if self.gap_onset is not None else self.rec_i
        frac = i / max(self.last, 1)
        early = max(0.0, 1.0 - frac / 0.2)
        # a gap that neither widens nor comes with a rise is an offset, less a capacity matter
        growing = self.d.divergence_epoch is not None or self.d.gap.trend == "widening"
        return float(early if growing else 0.5 * early)

    @property
    def past_fraction(self) -> float:
        """Share of the validation points that came after the recommended epoch."""
        return (self.last - self.rec_i) / max(self.last, 1)

    def after(self, epoch) -> float:
        """Share of the run's epochs (in the file's own units) that came after ``epoch``:
        (last epoch - epoch) / (last epoch - first epoch), 0 for a one-point run."""
        span = float(self.points[-1] - self.points[0])
        return max(0.0, float(self.points[-1] - float(epoch)) / span) if span > 0 else 0.0

    @property
    def after_best(self) -> float:
        """Share of the run's epochs after its best validation epoch (the analysis' best):
        970 of 1,500 epochs after the best is 0.65. Early stopping's score rises with it."""
        return self.after(self.d.best_epoch)

    @cached_property
    def val_gain(self) -> float:
        """How much the validation trend improved from the first point to its best (oriented)."""
        return float(self.val_trend_o[0] - self.val_trend_o[self.rec_i])

    @cached_property
    def train_gain(self) -> float:
        return float(self.train_trend_o[0] - self.train_trend_o.min())

    # ------------------------------------------------------------------ early stopping
    @cached_property
    def raw_val(self) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of the monitored validation series as logged, non-finite included."""
        m = self.d.monitored
        if m is not None:
            return m.epochs, np.asarray(m.val_raw, dtype=float)
        return self.points, self.val

    def simulate(self, patience: int, min_delta: float = 0.0) -> StopSimulation:
        epochs, values = self.raw_val
        return simulate_early_stopping(values, epochs, self.mode, patience, min_delta)

    @cached_property
    def patience_floor(self) -> int:
        """Half the trend window, at least 3: a shorter patience stops on this run's noise."""
        return max(3, math.ceil(self.window / 2))

    @cached_property
    def stopping(self) -> tuple[StopSimulation, StopSimulation | None]:
        """(the simulation with the patience chosen for this run, the largest shorter patience
        that would have stopped on a noise dip, or None).

        The chosen patience is the smallest value of :data:`PATIENCE_LADDER` at or above
        :attr:`patience_floor` whose restored value is within the validation noise of the best
        value of the run; when none is, the one that restores the best value."""
        epochs, values = self.raw_val
        finite = values[np.isfinite(values)]
        best = float(finite.min() if self.mode == "min" else finite.max())
        tol = max(float(self.d.noise or 0.0), 1e-12)

        def worse(s: StopSimulation) -> float:
            return (s.restored_value - best) * self.sign

        n_points = len(values)
        ladder = [p for p in PATIENCE_LADDER if self.patience_floor <= p < max(n_points, self.patience_floor + 1)]
        ladder = ladder or [self.patience_floor]
        sims = [self.simulate(p) for p in ladder]
        chosen = next((s for s in sims if worse(s) <= tol), None)
        if chosen is None:
            chosen = min(sims, key=lambda s: (worse(s), s.patience))
        shorter = None
        for p in reversed([p for p in PATIENCE_LADDER if p < chosen.patience]):
            s = self.simulate(p)
            if worse(s) > tol:
                shorter = s
                break
        return chosen, shorter

    # ------------------------------------------------------------------ other pairs
    def series(self, pair) -> PairSeries | None:
        """The analysis' measurements of a paired metric, None when it has under 3 finite points."""
        s = self.d.series_of(pair)
        return s if s is not None and s.has_trend else None

    @cached_property
    def score(self) -> PairSeries | None:
        """The run's accuracy-like series (higher is better, between 0 and 1), preferring a
        name with ``acc`` in it; the monitored pair itself when that is one."""
        cands = [s.pair for s in self.d.pairs if s.pair.mode == "max"]
        cands.sort(key=lambda p: (0 if "acc" in normalise(p.metric) else 1, 0 if p == self.pair else 1))
        for p in cands:
            s = self.series(p)
            if (
                s is not None
                and float(np.nanmin(s.val)) >= 0
                and float(np.nanmax(s.val)) <= 1.0 + 1e-9
                and float(np.nanmax(s.train)) <= 1.0 + 1e-9
            ):
                return s
        return None

    @cached_property
    def is_accuracy(self) -> bool:
        return self.score is not None and "acc" in normalise(self.score.pair.metric)

    @property
    def val_size(self) -> int | None:
        """The validation set's size, as the analysis measured it (given, or read from the
        steps of its accuracy: :mod:`overfitdoc.analysis.validation`)."""
        return self.d.val_size.n if self.d.val_size is not None else None

    @cached_property
    def val_sampling(self) -> tuple[float, float] | None:
        """(noise, standard error) of the validation accuracy when its set's size is known:
        its robust scatter around its trend, and the binomial standard error of one reading
        at its final value. Scatter far beyond the standard error is the model's own swing
        from epoch to epoch, not the sampling noise of a small set."""
        n, s = self.val_size, self.score
        if n is None or s is None:
            return None
        p = float(s.val[-1])
        return float(s.val_noise), math.sqrt(max(p * (1 - p), 1e-12) / n)

    @property
    def val_swings(self) -> bool:
        """The validation accuracy scatters by more than twice the standard error of its
        sampling (the bar below which the small-validation-set evidence calls differences noise)."""
        vs = self.val_sampling
        return vs is not None and vs[0] > 2 * vs[1]

    # ------------------------------------------------------------------ learning rate
    @property
    def lr(self) -> LearningRate | None:
        return self.d.learning_rate

    # ------------------------------------------------------------------ memorisation
    @cached_property
    def memorised(self) -> tuple[str, float, int] | None:
        """(series, value, epoch) when training reached a near-perfect fit: accuracy of 0.99
        or more, or a loss below 5% of where it started. None otherwise."""
        s = self.score
        if s is not None and self.is_accuracy:
            i = int(np.argmax(s.train >= 0.99)) if np.any(s.train >= 0.99) else None
            if i is not None:
                return s.pair.train, float(s.train[-1]), int(round(s.points[i]))
        if self.mode == "min" and float(self.train[0]) > 0:
            hit = np.flatnonzero(self.train <= 0.05 * float(self.train[0]))
            if len(hit):
                return self.train_name, float(self.train[-1]), self.epoch(int(hit[0]))
        return None

    # ------------------------------------------------------------------ stability
    @property
    def train_noise_rel(self) -> float:
        """Training noise against the training trend's range (the analysis' measurement)."""
        return self.stability.train_noise_share

    @property
    def val_noise_rel(self) -> float:
        """Validation noise against the validation trend's range or level (the analysis')."""
        return self.stability.val_noise_share

    @property
    def val_jumps(self) -> bool:
        """Validation is what the analysis found unstable: its noise against its range or
        level, or its typical epoch-to-epoch move against its level, is above the analysis'
        own bar (``unstable_val_noise``, ``unstable_val_jump``)."""
        return self.stability.val_unstable

    @property
    def spikes(self) -> tuple[tuple[int, float, float], ...]:
        """The analysis' training jumps: (epoch, before, after) where training got worse by
        more than half from one point to the next (:func:`overfitdoc.analysis.stability.jumps`)."""
        return self.stability.jumps

    @property
    def first_spike(self) -> float | None:
        """The first training value when the loss blew up within the first epoch."""
        return self.stability.first_epoch_spike

    @property
    def logged_points(self) -> int:
        """Validation points in the log, non-finite ones included."""
        return len(self.raw_val[0])

    @property
    def first_nonfinite(self) -> int | None:
        return min(self.d.nonfinite) if self.d.nonfinite else None

    @cached_property
    def training_unstable(self) -> bool:
        """The instability is in training itself (non-finite values, spikes, jumpy training)."""
        return bool(self.d.nonfinite) or bool(self.spikes) or self.stability.train_noise_high

    @cached_property
    def early_trouble(self) -> bool:
        """Training went wrong in the first fifth of the run (or the first 3 points)."""
        horizon = float(self.points[min(self.last, max(2, self.n // 5))])
        first_bad = [e for e, _, _ in self.spikes]
        if self.first_nonfinite is not None:
            first_bad.append(self.first_nonfinite)
        return bool(first_bad) and min(first_bad) <= horizon

    # ------------------------------------------------------------------ chance level
    @cached_property
    def chance_classes(self) -> int | None:
        """k when the final training loss sits at ln(k) (within 2%): a model predicting the
        uniform distribution over k classes, i.e. chance level."""
        if self.mode != "min" or "loss" not in self.metric:
            return None
        last = float(self.train_trend_o[-1])
        for k in range(2, 1001):
            if abs(last - math.log(k)) <= 0.02 * math.log(k):
                return k
        return None

    # ------------------------------------------------------------------ the end of the run
    @cached_property
    def end_slope(self) -> float:
        """Oriented validation improvement per point over the last quarter (positive = improving)."""
        q = max(2, self.n // 4)
        a = max(0, self.last - q)
        return float(self.val_trend_o[a] - self.val_trend_o[self.last]) / max(self.last - a, 1)

    @cached_property
    def train_end_slope(self) -> float:
        q = max(2, self.n // 4)
        a = max(0, self.last - q)
        return float(self.train_trend_o[a] - self.train_trend_o[self.last]) / max(self.last - a, 1)

    @cached_property
    def train_still_falling(self) -> bool:
        """The training trend still improves over the last quarter by more than its noise."""
        q = max(2, self.n // 4)
        se = self.monitored.train_noise / math.sqrt(self.window)
        gain = self.train_end_slope * q
        return gain > max(3 * se, 0.01 * abs(float(self.train_trend_o[self.last])))

    # ------------------------------------------------------------------ loss against score
    @cached_property
    def score_after_best(self) -> tuple[float, float, float] | None:
        """When the monitored series is a loss and the run has an accuracy-like series:
        (score trend at the loss's recommended epoch, score trend at the end, the change a
        drop must exceed to count: two standard errors of the difference of the two trends).
        None otherwise."""
        s = self.score
        if self.mode != "min" or s is None or s.pair == self.pair:
            return None
        i = s.index_at(self.points[self.rec_i])
        se = s.val_noise / math.sqrt(s.window or 1)
        return float(s.val_trend[i]), float(s.val_trend[-1]), max(2 * math.sqrt(2) * se, 0.005)

    @cached_property
    def accuracy_holds(self) -> bool:
        """The loss diverged, yet the paired score did not get worse beyond its noise."""
        sa = self.score_after_best
        if sa is None or self.d.divergence_epoch is None:
            return False
        at_rec, at_end, tol = sa
        return at_rec - at_end <= tol

    # ------------------------------------------------------------------ validation better than training
    @cached_property
    def val_better(self) -> ValBetter | None:
        """Signs that validation is better than training by more than measurement explains.

        The gap is read on the trends at the end, after adding back half a point of training
        progress (a training value is an epoch's running mean, lagging the end-of-epoch weights
        that validation sees). None when nothing stands out."""
        if self.d.verdict in ("unstable", "not_learning"):
            return None
        g_end = float(self.gap_trend[self.last])
        lag = 0.5 * max(0.0, float(self.train_trend_o[self.last - 1] - self.train_trend_o[self.last]))
        corrected = g_end + lag
        rel = corrected / self.badness(self.last)
        half = (self.val_o - self.train_o)[self.n // 2 :]
        share_below = float(np.mean(half < 0))
        loss_margin = rel < -0.1 and corrected < -2 * self.gap_se
        s = self.score
        acc_above = None
        perfect = None
        if s is not None and s.pair != self.pair:
            diff = float(s.val_trend[-1] - s.train_trend[-1])
            if diff > 0.05:
                acc_above = (float(s.val_trend[-1]), float(s.train_trend[-1]))
        if s is not None:
            hits = int(np.sum(s.val >= 0.999))
            if hits >= 2:
                perfect = (s.pair.val, float(s.val.max()), float(s.train[-1]))
        if (
            self.mode == "min"
            and float(self.val_o[0]) > 0
            and float(self.val_trend_o[-1]) < 1e-3 * float(self.val_o[0])
            and float(self.train_trend_o[-1]) > 10 * max(float(self.val_trend_o[-1]), 1e-12)
        ):
            perfect = perfect or (self.val_name, float(self.val[-1]), float(self.train[-1]))
        if not (loss_margin or acc_above or perfect):
            return None
        return ValBetter(
            corrected=corrected,
            relative=rel,
            lag=lag,
            share_below=share_below,
            loss_margin=loss_margin,
            acc_above=acc_above,
            perfect=perfect,
        )

    @property
    def leak_suspected(self) -> bool:
        """Validation is better than training by more than a training-time handicap explains.

        Dropout, augmentation (mosaic, SpecAugment), a penalty or an adversarial term in the
        training loss make training *measure* worse than validation by a share of its value,
        for as long as they are on: validation below training is what they give, and a log
        cannot tell them from a leak. What they cannot give is a validation metric that is
        nearly perfect (``perfect``), or validation better than a training fit that is itself
        near-perfect (``memorised``: a handicap strong enough to hold training above validation
        does not let training memorise). A leak is suspected on those only; otherwise the
        leak checks stay silent (their premise is not met), except for a time series
        (``--task timeseries``), where a random split leaks by itself."""
        vb = self.val_better
        if vb is None:
            return False
        return vb.perfect is not None or (vb.loss_margin and self.memorised is not None)


@dataclass(frozen=True)
class ValBetter:
    corrected: float  # oriented gap at the end, lag-corrected (negative: validation better)
    relative: float  # ... relative to the training badness
    lag: float
    share_below: float  # share of the second half with validation better than training
    loss_margin: bool  # the monitored pair is better on validation by a margin
    acc_above: tuple[float, float] | None  # (validation, training) accuracy trends, when 0.05 apart
    perfect: tuple[str, float, float] | None  # (series, validation value, training value) when ~perfect
