"""The types the analysis hands on: a :class:`Diagnosis` and the measurements it carries.

Everything a later stage needs (advice, renderers, gates, rerun) is here, measured once:
every paired series with its aligned values, trend, noise and best; the gap with its
uncertainty; the stability measurements and the instability finding as data; the
learning-rate series; the best value of every validation column. Nothing after the
analysis reads the :class:`~overfitdoc.history.History` again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..history import History
from ..naming import MetricPair
from ..numbers import fmt

VERDICTS = (
    "good_fit",
    "overfitting",
    "underfitting",
    "overfitting_and_underfitting",
    "still_improving",
    "not_learning",
    "unstable",
    "insufficient_data",
)


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass(frozen=True)
class Gap:
    """The train/validation gap of the monitored pair at the end and at the kept epoch."""

    final: float | None
    at_best: float | None
    relative_final: float | None
    trend: str  # widening | stable | narrowing


@dataclass(frozen=True, eq=False)
class GapSeries:
    """The oriented gap (validation minus training, positive when validation is worse) at
    every analysed point, its trend, its noise and the uncertainty of one trend value
    (``noise / sqrt(window)``, at least 1e-12)."""

    values: np.ndarray
    trend: np.ndarray
    noise: float
    se: float


@dataclass(frozen=True, eq=False)
class PairSeries:
    """One paired metric as the analysis measured it.

    ``epochs``, ``train_raw`` and ``val_raw`` hold every point with a validation value (the
    training value of a point is the mean of the training values logged since the previous
    one, or interpolated between the training entries around it when there is none since;
    NaN or infinity kept as logged). ``finite`` marks the points where both are finite: the
    analysed points. ``missing`` marks the points with no training value to compare with
    (before the first or after the last training entry): left out, but not non-finite. ``train_trend`` and ``val_trend`` are the trends at those points, in
    the file's orientation, empty when fewer than 3 points are finite. ``nonfinite_rows``:
    the epochs of logged rows where the pair went bad (an explicit NaN or an infinity on
    either side), which the plot marks.
    """

    pair: MetricPair
    epochs: np.ndarray
    train_raw: np.ndarray
    val_raw: np.ndarray
    finite: np.ndarray
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    nonfinite_rows: np.ndarray = field(default_factory=_empty)
    window: int | None = None
    train_trend: np.ndarray = field(default_factory=_empty)
    val_trend: np.ndarray = field(default_factory=_empty)
    train_noise: float = 0.0
    val_noise: float = 0.0
    best_epoch: int | None = None  # where the validation series is best (non-finite skipped)
    best_val: float | None = None
    final_train: float | None = None  # the last point's values, when finite
    final_val: float | None = None

    @cached_property
    def points(self) -> np.ndarray:
        return np.asarray(self.epochs[self.finite], dtype=float)

    @cached_property
    def train(self) -> np.ndarray:
        return self.train_raw[self.finite]

    @cached_property
    def val(self) -> np.ndarray:
        return self.val_raw[self.finite]

    @property
    def has_trend(self) -> bool:
        return len(self.val_trend) >= 3

    def index_at(self, epoch: float) -> int:
        """The analysed point nearest ``epoch``."""
        return int(np.argmin(np.abs(self.points - epoch)))


@dataclass(frozen=True)
class ColumnBest:
    """The best value of one validation (or test) column of the log, over every row that
    logged it, and where it was; ``mode`` is its direction (``min``: lower is better)."""

    column: str
    mode: str
    best: float | None
    epoch: int | None


@dataclass(frozen=True)
class Instability:
    """Why the run is unstable, as data: ``kind`` names the test that fired, ``value`` is what
    was measured and ``threshold`` the bar it crossed (see docs/analysis.md, "Unstable").

    Kinds: ``nonfinite`` (value: how many points), ``no_lower_bound`` (value: the last
    training value; threshold: ``runaway_factor``), ``train_noise`` and ``val_noise`` (value:
    the noise share; ``sigma`` the noise), ``spike`` (value: the training value at ``epoch``;
    threshold: ``unstable_spike``), ``val_jumps`` (value: the typical relative move),
    ``train_rising`` (value: how much the training trend got worse, from its start, or when
    ``epoch`` is set from that epoch, the kept one, after which validation rose too)."""

    kind: str
    value: float
    threshold: float
    epoch: int | None = None
    sigma: float | None = None
    scale_is_range: bool = False  # val_noise: the share is of the trend's range (it was above the level)
    first: float | None = None  # the first training value (no_lower_bound)


@dataclass(frozen=True)
class Stability:
    """The stability measurements of the monitored pair, every one kept whether it fired or not.

    ``train_noise_share`` / ``val_noise_share``: each series' noise against the larger of its
    trend's range and its level (half the level for training); ``val_move``: the typical
    epoch-to-epoch change of validation against its level; ``val_decisions``: how many
    validation samples change sides in a typical epoch (None when the split's size or its
    accuracy is unknown); ``spike_epoch``: the first epoch a
    loss rose above ``unstable_spike`` times its first value; ``jumps``: (epoch, before, after)
    wherever training got worse by more than half from one point to the next while standing
    more than half above its own trend; ``first_epoch_spike``: the first training value when
    the loss blew up within the first epoch and came back down; ``no_lower_bound``: a loss
    below zero, ``runaway_factor`` times the size of its first value and still falling;
    ``train_rising``: the training trend ended worse than it began, beyond its noise;
    ``worse_after_best``: validation rose after the kept epoch as a divergence needs, and the
    training trend got worse after it too, by as much as ``train_rising`` needs (training fell
    apart: both got worse); ``flat``: the training trend barely improved (not learning)."""

    train_noise_share: float
    val_noise_share: float
    val_move: float
    val_decisions: float | None
    spike_epoch: int | None
    jumps: tuple[tuple[int, float, float], ...]
    first_epoch_spike: float | None
    no_lower_bound: bool
    train_rising: bool
    flat: bool
    train_noise_high: bool  # train_noise_share above unstable_train_noise
    val_noise_high: bool  # val_noise_share above unstable_val_noise
    val_move_high: bool  # val_move above unstable_val_jump, while more than one decision changes
    instability: Instability | None = None
    worse_after_best: bool = False

    @property
    def val_unstable(self) -> bool:
        """Validation is what the analysis' own bars find unstable: its noise or its moves."""
        return self.val_noise_high or self.val_move_high


@dataclass(frozen=True)
class LearningRate:
    """The learning-rate column of the log, read at every row where it was logged."""

    column: str
    epochs: np.ndarray
    values: np.ndarray
    unit: str

    @property
    def first(self) -> float:
        return float(self.values[0])

    @property
    def last(self) -> float:
        return float(self.values[-1])

    @property
    def high(self) -> float:
        return float(self.values.max())

    @property
    def low(self) -> float:
        return float(self.values.min())

    @property
    def constant(self) -> bool:
        return self.high <= self.low * 1.01

    @cached_property
    def drops(self) -> tuple[tuple[int, float, float], ...]:
        """(epoch, before, after) wherever the rate fell by a factor of 1.5 or more in one step."""
        out = []
        for i in range(1, len(self.values)):
            a, b = float(self.values[i - 1]), float(self.values[i])
            if b > 0 and a / b >= 1.5:
                out.append((int(round(self.epochs[i])), a, b))
        return tuple(out)

    @property
    def warmup(self) -> bool:
        """The rate rose over the first rows (a warm-up), not from its very first value."""
        k = max(2, len(self.values) // 5)
        head = self.values[:k]
        return bool(head[-1] > head[0] * 1.5)

    @cached_property
    def schedule(self):
        """The schedule's classification (:mod:`overfitdoc.analysis.schedule`), measured once."""
        from .schedule import classify

        return classify(self.epochs, self.values)

    @property
    def peak(self) -> float:
        """The highest rate of the run: what the schedule was built around."""
        return self.high

    def describe(self) -> str:
        """One clause in the run's numbers, from its schedule, e.g. ``constant at 0.001 for all
        80 epochs`` or ``warmed up from 4e-07 to a peak of 2e-05 at epoch 1, then decayed
        linearly to 2.03e-08 (warm-up then linear decay)``."""
        u = self.unit
        sch = self.schedule
        if sch is None or sch.kind == "constant":
            return f"was constant at {fmt(self.first)} for all {len(self.values)} {u}s"
        warm = f"warmed up from {fmt(self.first)} to a peak of {fmt(sch.peak)} at {u} {int(round(sch.peak_epoch))}"
        if sch.kind in ("linear", "cosine", "decay"):
            head = f"{warm}, then" if sch.warmup else f"started at its peak of {fmt(sch.peak)} and"
            shape = {"linear": "decayed linearly", "cosine": "followed a cosine decay", "decay": "decayed smoothly"}
            return f"{head} {shape[sch.kind]} to {fmt(self.last)} ({sch.name})"
        if sch.kind == "step":
            cuts = ", ".join(f"to {fmt(b)} at {u} {e}" for e, _, b in sch.cuts[:4])
            more = f" and {len(sch.cuts) - 4} more times" if len(sch.cuts) > 4 else ""
            head = f"{warm}, then" if sch.warmup else f"started at {fmt(self.first)} and"
            return f"{head} was cut {cuts}{more}"
        if sch.kind == "increasing":
            return (
                f"{warm} and ended at {fmt(self.last)}"
                if sch.warmup
                else f"rose from {fmt(self.first)} to {fmt(self.last)}"
            )
        return f"cycled between {fmt(self.low)} and {fmt(self.high)} (first {fmt(self.first)}, last {fmt(self.last)})"


@dataclass(frozen=True)
class RejectedRise:
    """A divergence the calibration judged more likely noise than overfitting: the verdict it
    would have made, that verdict's confidence (below one half), the rise and where it began."""

    verdict: str
    confidence: float
    rise: float  # oriented, in the metric's units
    epoch: int


@dataclass(frozen=True)
class StartUnseen:
    """A ``not_learning`` run, or an ``underfitting`` one the bias test decided, whose log cannot
    show the level training started from (:func:`overfitdoc.analysis.bias.start_unseen`):
    ``resumed``, the log begins at ``first_epoch``, after its first epoch; or ``first_epoch``, the
    first epoch's mean (``first``) stands above the next point (``second``) by enough to change
    the test, so training descended inside it by an amount the log cannot show. Either way a
    model that learned what it could before the log could see is not told from one that never
    learned."""

    kind: str  # resumed | first_epoch
    first_epoch: int  # the file's first epoch with a training value
    first: float  # the first training value (the mean over that epoch)
    second: float  # the next point's training value


@dataclass(frozen=True)
class CannotTell:
    """Why a verdict cannot be sure, and what would decide (:mod:`overfitdoc.analysis.uncertainty`)."""

    kind: str  # start_unseen | short_run | capacity_or_floor | small_split | narrow
    reason: str
    experiment: str


@dataclass(frozen=True)
class ValidationSize:
    """The validation split's size (:mod:`overfitdoc.analysis.validation`)."""

    n: int
    source: str  # "given" (--val-size) or "accuracy steps"
    series: str | None = None  # the validation column it was read from


@dataclass(frozen=True)
class FrozenDecisions:
    """A paired accuracy that held one value on both splits over the last half of the run or
    more (:func:`overfitdoc.analysis.validation.frozen_decisions`): no sample changed class.
    ``since`` is the first epoch (or step) of that stretch, ``points`` its length and
    ``share`` that length over the pair's analysed points (one half or more)."""

    train: str  # the training accuracy column
    val: str  # the validation accuracy column
    train_value: float
    val_value: float
    since: int
    points: int
    share: float

    def held(self, unit: str) -> str:
        """The stretch in words, as the summary and the advice say it."""
        return (
            f"{self.train} and {self.val} have not changed since {unit} {self.since} ({fmt(self.train_value)} "
            f"and {fmt(self.val_value)} at every {unit} of the last {self.points})"
        )


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """What overfitdoc concludes about one history, with every measurement behind it.

    Epoch fields are in the file's own numbering (``epoch_base``), or steps when
    ``unit == "step"``. Array fields are aligned with ``points`` (the analysed validation
    points). ``pairs`` holds every paired metric of the log in its order (the monitored one
    with the ``--mode`` asked for); ``monitored`` and ``others`` pick from it.
    ``history`` is the input, kept for API users; nothing in overfitdoc after the analysis
    reads it.
    """

    source: str
    format: str
    unit: str
    epoch_base: int
    monitor: MetricPair | None
    series: tuple[str, ...]
    epochs: int
    verdict: str
    bias: str
    variance: str
    confidence: float
    summary: str
    missing: str = ""
    margin: float | None = None  # how far past its bar the deciding test passed (1: on it)
    deciding_test: str | None = None  # the test whose margin that is (analysis.verdict.decide)
    cannot_tell: CannotTell | None = None  # set when confidence < calibration.CANNOT_TELL
    rejected_rise: RejectedRise | None = None  # a divergence judged more likely noise (deciding_test "rise_rejected")
    best_epoch: int | None = None
    best_val: float | None = None
    recommended_epoch: int | None = None
    divergence_epoch: int | None = None
    divergence_range: tuple[int, int] | None = None
    epochs_past_best: int | None = None
    gap: Gap = field(default_factory=lambda: Gap(None, None, None, "stable"))
    noise: float | None = None
    window: int | None = None
    nonfinite: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    target: float | None = None
    points: np.ndarray = field(default_factory=_empty)
    train: np.ndarray = field(default_factory=_empty)
    val: np.ndarray = field(default_factory=_empty)
    train_trend: np.ndarray = field(default_factory=_empty)
    val_trend: np.ndarray = field(default_factory=_empty)
    pairs: tuple[PairSeries, ...] = ()
    gap_series: GapSeries | None = None
    stability: Stability | None = None
    learning_rate: LearningRate | None = None
    epochs_trained: float | None = None  # a step log's epochs, from its epoch column (series.epochs_trained)
    validation_bests: tuple[ColumnBest, ...] = ()
    val_size: ValidationSize | None = None  # the validation split's size, when given or read from accuracy steps
    split_se: float | None = None  # the sampling error of the validation loss at the kept epoch (validation.split_se)
    rise_in_split_se: float | None = None  # the validation rise after the kept epoch, in split_se units
    frozen: FrozenDecisions | None = None  # decisions that stopped changing (validation.frozen_decisions)
    start_unseen: StartUnseen | None = None  # a high-bias verdict whose log does not show its start (bias.start_unseen)
    history: History | None = None

    @property
    def monitored(self) -> PairSeries | None:
        """The monitored pair's measurements, or None when the log has none."""
        if self.monitor is None:
            return None
        return next((p for p in self.pairs if p.pair == self.monitor), None)

    @property
    def others(self) -> tuple[PairSeries, ...]:
        """Every paired metric but the monitored one, in the log's order."""
        metric = self.monitor.metric if self.monitor is not None else None
        return tuple(p for p in self.pairs if p.pair.metric != metric)

    @property
    def schedule(self):
        """The learning-rate schedule (:class:`overfitdoc.analysis.schedule.Schedule`), or None
        when the log has no learning-rate column."""
        return self.learning_rate.schedule if self.learning_rate is not None else None

    @property
    def instability(self) -> Instability | None:
        return self.stability.instability if self.stability is not None else None

    def series_of(self, pair: MetricPair) -> PairSeries | None:
        return next((p for p in self.pairs if p.pair == pair), None)
