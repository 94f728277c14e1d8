"""The analysis: pure functions from a :class:`History` to a frozen :class:`Diagnosis`.

Every quantity is defined in ``docs/analysis.md`` exactly as computed here. In short, for
the monitored pair (training series ``t``, validation series ``v`` at the points that have a
validation value), oriented so that lower is better:

* the *trend* of a series is a local linear fit over a window of ``w`` points (after a
  3-point running median that removes single-epoch spikes); ``w`` grows with the run length;
* the *noise* ``sigma`` of a series is the robust spread (1.4826 x MAD) of its residuals
  around the trend; the trend's own uncertainty is ``sigma / sqrt(w)``;
* ``recommended_epoch`` is the minimum of the kept score, mostly (``kept_raw``) the raw
  validation value and partly its 3-point local trend; ``best_epoch`` the raw minimum;
* ``divergence_epoch`` is the recommended epoch when, after it, the validation trend rises
  by more than both ``z_rise`` trend uncertainties and ``min_rise`` of the validation scale,
  for at least ``min_sustain`` points, while the training trend does not rise.

The analysis prints nothing and imports nothing heavy (numpy only).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .history import History
from .naming import MetricPair
from .numbers import fmt as _fmt

VERDICTS = (
    "good_fit", "overfitting", "underfitting", "overfitting_and_underfitting",
    "still_improving", "not_learning", "unstable", "insufficient_data",
)


@dataclass(frozen=True)
class Settings:
    """Every threshold of the analysis, in one place (see docs/analysis.md)."""

    window_fraction: float = 0.12     # trend window as a fraction of the run length ...
    min_window: int = 3               # ... at least this many points ...
    max_window: int = 21              # ... and at most this many
    kept_raw: float = 0.7             # the kept score: this share of the raw value, the rest its 3-point trend
    light_window: int = 5             # the light trend that places the epochs (at most the window)
    z_rise: float = 3.0               # a rise counts when above this many trend uncertainties ...
    min_rise: float = 0.03            # ... and above this fraction of the validation scale
    min_sustain: int = 2              # points after the onset needed to call a divergence (and half a window)
    z_range: float = 1.0              # onset range: kept score within this many noise units of its minimum ...
    range_floor: float = 0.03         # ... or within this fraction of it, whichever is wider,
    range_halfwidth: int = 2          # ... and at least this many points either side (the pick's resolution)
    high_variance_gap: float = 0.50   # relative gap (to the training badness) that means high variance
    bias_progress: float = 0.38       # training must cover this share of the way to its floor ...
    target_tolerance: float = 0.10    # ... or come within this fraction of --target
    not_learning_drop: float = 0.02   # training trend improving by less than this fraction: flat
    still_fall: float = 0.03          # still improving: the last tenth of the run fell by this share of the final level
    gap_change: float = 0.02          # a gap trend must move by this share of the training badness
    gap_verdict: bool = False         # True: a large, widening gap alone makes the verdict overfitting
    gap_rise: float = 0.10            # with a large, widening gap: a rise of this share of the validation level diverges
    unstable_train_noise: float = 0.15  # relative epoch-to-epoch noise of training that means unstable
    unstable_train_level: float = 0.5   # ... judged against the larger of its trend's range and this share of its level
    unstable_val_noise: float = 0.40    # ... and of validation
    unstable_val_jump: float = 0.15     # typical epoch-to-epoch validation change, relative to its level
    runaway_factor: float = 100.0       # a loss below zero this many times its first value's size: no lower bound
    unstable_spike: float = 1.5         # a training loss above this multiple of its first value: a spike


DEFAULT_SETTINGS = Settings()


@dataclass(frozen=True)
class Gap:
    final: float | None
    at_best: float | None
    relative_final: float | None
    trend: str  # widening | stable | narrowing


@dataclass(frozen=True)
class PairSummary:
    """Facts about a paired metric other than the monitored one."""

    metric: str
    train: str
    val: str
    mode: str
    best_epoch: int | None
    best_val: float | None
    final_train: float | None
    final_val: float | None


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """What overfitdoc concludes about one history. Renderers only render this.

    Epoch fields are in the file's own numbering (``epoch_base``), or steps when
    ``unit == "step"``. Array fields are aligned with ``points`` (the validation points).
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
    others: tuple[PairSummary, ...] = ()
    target: float | None = None
    points: np.ndarray = field(default_factory=lambda: np.zeros(0))
    train: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val: np.ndarray = field(default_factory=lambda: np.zeros(0))
    train_trend: np.ndarray = field(default_factory=lambda: np.zeros(0))
    val_trend: np.ndarray = field(default_factory=lambda: np.zeros(0))
    history: History | None = None


# ---------------------------------------------------------------- numerical building blocks

def window_for(n: int, settings: Settings = DEFAULT_SETTINGS) -> int:
    """The trend window: an odd number of points, ``window_fraction`` of the run, clamped."""
    w = int(round(n * settings.window_fraction))
    w = max(settings.min_window, min(settings.max_window, w))
    if w % 2 == 0:
        w += 1
    return max(1, min(w, n if n % 2 else n - 1))


def running_median3(x: np.ndarray) -> np.ndarray:
    """3-point running median: removes single-point spikes, keeps steps. The ends take Tukey's
    end-point rule, the median of the end value, its smoothed neighbour and the straight-line
    extrapolation of the next two smoothed values, so a spike in the first or last epoch goes
    too while a straight line keeps its ends."""
    if len(x) < 3:
        return x.copy()
    out = x.copy()
    out[1:-1] = np.median(np.stack([x[:-2], x[1:-1], x[2:]]), axis=0)
    if len(x) >= 4:
        out[0] = np.median([x[0], out[1], 3 * out[1] - 2 * out[2]])
        out[-1] = np.median([x[-1], out[-2], 3 * out[-2] - 2 * out[-3]])
    return out


def local_linear(x: np.ndarray, w: int) -> np.ndarray:
    """Local linear fit over ``w`` points centred on each point (one-sided at the ends, so
    a trend rising into the last epoch is not flattened as a moving average would).

    Vectorised over sliding windows (exact: no running sums, which lose precision on a loss
    that diverged to 1e25)."""
    y = np.asarray(x, dtype=float)
    n = len(y)
    w = min(w, n)
    if n < 3 or w < 3:
        return y.copy()
    h = w // 2
    windows = np.lib.stride_tricks.sliding_window_view(y, w)   # (n - w + 1, w)
    dx = np.arange(w, dtype=float) - (w - 1) / 2
    means = windows.mean(axis=1)
    slopes = (windows - means[:, None]) @ dx / float(dx @ dx)
    starts = np.clip(np.arange(n) - h, 0, n - w)               # each point's window
    return means[starts] + slopes[starts] * (np.arange(n) - starts - (w - 1) / 2)


def _local3(x: np.ndarray) -> np.ndarray:
    """The 3-point local linear trend (the mean of each point and its neighbours), kept at the
    first point within the range of the three points it is fitted to. A one-sided fit there
    extrapolates backwards, and a loss that explodes in its first epochs would drive it far
    below any value the run reached. At the last point the extrapolation stays: a validation
    loss still falling into the last epoch is more likely lowest there (clipping it too raised
    the benchmark's median regret from 1.29e-4 to 1.45e-4)."""
    out = local_linear(x, 3)
    if len(x) >= 3:
        out[0] = min(max(out[0], float(np.min(x[:3]))), float(np.max(x[:3])))
    return out


def trend(x: np.ndarray, w: int) -> np.ndarray:
    """The trend of a series: local linear fit of its 3-point running median."""
    return local_linear(running_median3(x), w)


def noise(x: np.ndarray, smooth: np.ndarray) -> float:
    """Robust spread of the residuals around the trend: 1.4826 x median absolute deviation."""
    r = x - smooth
    if len(r) < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def noise_share(sigma: float, smooth: np.ndarray, level: float) -> float:
    """Noise against the larger of its trend's range and ``level``: how much of the curve is jitter."""
    return sigma / max(float(smooth.max() - smooth.min()), level, 1e-12)


def typical_move(x: np.ndarray) -> float:
    """The typical epoch-to-epoch change, ``median(|x[i+1] - x[i]|)``, against the level ``|median(x)|``."""
    if len(x) <= 3:
        return 0.0
    return float(np.median(np.abs(np.diff(x)))) / max(abs(float(np.median(x))), 1e-12)


# ---------------------------------------------------------------- the diagnosis

def diagnose(
    history: History,
    *,
    monitor: str | None = None,
    mode: str | None = None,
    target: float | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Diagnosis:
    """Diagnose one history. ``monitor`` picks the pair (default: the loss), ``mode``
    overrides its direction, ``target`` is the training value the user knows is attainable."""
    series = tuple(p.metric for p in history.pairs)
    base = dict(
        source=history.source, format=history.format, unit=history.unit,
        epoch_base=history.epoch_base, series=series, notes=history.notes, history=history,
        target=target,
    )
    pair = history.monitor(monitor)
    if pair is None:
        missing = _missing(history, monitor)
        return Diagnosis(monitor=None, epochs=0, verdict="insufficient_data", bias="unknown",
                         variance="low", confidence=1.0, summary=f"Cannot diagnose: {missing}.",
                         missing=missing, **base)
    if mode:
        pair = replace(pair, mode=mode)
    idx, t_raw, v_raw = history.aligned(pair)
    others = tuple(_pair_summary(history, p) for p in history.pairs if p != pair)
    finite = np.isfinite(t_raw) & np.isfinite(v_raw)
    base.update(monitor=pair, others=others, nonfinite=tuple(int(e) for e in idx[~finite]))
    n = int(finite.sum())
    if n < 3 and len(base["nonfinite"]):
        # a run that blew up before it had three usable epochs: that is the diagnosis
        reason = _nonfinite_reason(pair.metric, base["nonfinite"], history.unit, finite=n)
        best = {}
        if n:
            sign = 1.0 if pair.mode == "min" else -1.0
            i = int(np.argmin(sign * v_raw[finite]))
            best = dict(best_epoch=int(round(idx[finite][i])), best_val=float(v_raw[finite][i]))
        return Diagnosis(epochs=int(len(idx)), verdict="unstable", bias="unknown", variance="low",
                         confidence=1.0, summary=f"Training is unstable: {reason}; too few finite "
                         f"{history.unit}s are left to analyse the curves.", **best, **base)
    if n < 3:
        missing = (f"only {n} {history.unit}{'s' if n != 1 else ''} with both {pair.train} and {pair.val}"
                   f" (3 are needed)")
        return Diagnosis(epochs=int(len(idx)), verdict="insufficient_data", bias="unknown", variance="low",
                         confidence=1.0, summary=f"Cannot diagnose: {missing}.", missing=missing, **base)
    # non-finite points are left out of the analysis and reported (nonfinite)
    points, t, v = idx[finite], t_raw[finite], v_raw[finite]
    sign = 1.0 if pair.mode == "min" else -1.0
    T, V = sign * t, sign * v
    w = window_for(n, settings)
    ST, SV = trend(T, w), trend(V, w)
    sigma_t, sigma_v = noise(T, ST), noise(V, SV)
    scale_v = max(abs(float(np.median(V))), float(SV.max() - SV.min()), 1e-12)
    se_v = max(sigma_v / math.sqrt(w), 1e-12 * scale_v)  # uncertainty of a trend value
    se_dv = se_v * math.sqrt(2)                              # ... of a difference of two
    se_t = sigma_t / math.sqrt(w)
    G = V - T
    SG = trend(G, w)
    sigma_g = noise(G, SG)
    se_g = max(sigma_g / math.sqrt(w), 1e-12)

    # The epoch to keep: the minimum of the "kept score" K, mostly the raw value, partly its
    # 3-point local trend. On the benchmark's runs any wider smoothing moved the pick off sharp
    # minima (validation noise there is mostly a fixed-sample bias shared by all epochs), while
    # K still rejects a lone dip much deeper than its neighbours. The wide trend judges
    # whether validation rose since (noise averages out over more points).
    K = settings.kept_raw * V + (1 - settings.kept_raw) * _local3(V)
    wl = max(3, min(settings.light_window, w))
    LV = trend(V, wl)
    best_i = int(np.argmin(V))
    rec_i = int(np.argmin(K))
    last = n - 1

    # gap (validation minus training, oriented: positive = worse on validation)
    gap_final = float(G[last])
    gap_at_rec = float(G[rec_i])
    t_last = float(t[last])
    rel_final = gap_final / abs(t_last) if abs(t_last) > 1e-12 else None
    m = n // 2
    d_gap = float(SG[last] - SG[m])
    badness_t = _badness(pair.mode, t, float(t[-1]))
    # a change of the gap counts when beyond its noise, 5% of the gap and `gap_change` of how
    # bad training is (a gap of 0.007 that grows by 0.0007 on a loss of 0.15 has not widened)
    gap_change_needed = max(2 * se_g * math.sqrt(2), 0.05 * abs(float(SG[m])),
                            settings.gap_change * badness_t, 1e-12)
    gap_trend = "widening" if d_gap > gap_change_needed else "narrowing" if d_gap < -gap_change_needed else "stable"

    # variance (below): sustained divergence, or a large gap relative to how bad training is
    rel_gap_smooth = float(SG[last]) / badness_t if badness_t > 1e-12 else math.inf
    # a gap alone counts when it is large and still opening: a large but steady gap while
    # validation holds its level is not yet hurting (the benchmark's good fits have many)
    gap_large = rel_gap_smooth > settings.high_variance_gap and float(SG[last]) > 2 * se_g and gap_trend == "widening"
    # divergence: a sustained rise of the validation trend after its minimum, training not rising
    rise = float(SV[last] - min(LV[rec_i], K[rec_i]))
    rise_needed = max(settings.z_rise * se_dv, settings.min_rise * scale_v)
    after = last - rec_i
    tail = SV[rec_i + 1:]
    # sustained over half a trend window at least: nearer the end the trend is an extrapolation
    hold = max(settings.min_sustain, w // 2)
    sustained = after >= hold and bool(np.all(tail[-hold:] > K[rec_i] + rise_needed / 2))
    if gap_large:
        # with a large gap still opening, a rise of `gap_rise` of the validation level (and of
        # z_rise noise units) is enough: the curve's whole range need not be its scale
        level_rec = max(_badness(pair.mode, v, float(sign * K[rec_i])), 1e-12)
        rise_needed = min(rise_needed, max(settings.gap_rise * level_rec, settings.z_rise * sigma_v,
                                           settings.z_rise * se_dv))
    train_ok = float(ST[last]) <= float(ST[rec_i]) + settings.z_rise * se_t
    diverged = rise > rise_needed and sustained and train_ok
    div_epoch = div_range = None
    if diverged:
        band = K[rec_i] + max(settings.z_range * sigma_v, settings.range_floor * abs(float(K[rec_i])))
        a = rec_i
        while a > 0 and K[a - 1] <= band:
            a -= 1
        b = rec_i
        while b < last and K[b + 1] <= band:
            b += 1
        a = max(0, min(a, rec_i - settings.range_halfwidth))
        b = min(last, max(b, rec_i + settings.range_halfwidth))
        div_epoch = int(round(points[rec_i]))
        div_range = (int(round(points[a])), int(round(points[b])))

    variance = "high" if (diverged or gap_large) else "low"
    # the verdict needs validation to have got worse: a gap that opens while validation holds
    # its level is reported (variance high, and in the summary) but is not yet overfitting
    overfit = diverged or (gap_large and settings.gap_verdict)

    # bias: training performance against the target, else against start and floor
    bias, bias_margin = _bias(pair, t, T, ST, SV, sign, target, settings)

    # oscillation that dominates the trend: noise against the trend's range (or its level)
    t_rel_noise = noise_share(sigma_t, ST, settings.unstable_train_level * abs(float(np.median(T))))
    v_rel_noise = noise_share(sigma_v, SV, abs(float(np.median(V))))
    train_rising = float(ST[last]) - float(ST[0]) > max(3 * se_t, 0.1 * abs(float(ST[0])))
    drop = float(ST[0] - ST.min())
    flat = drop < max(settings.not_learning_drop * abs(float(ST[0])), 2 * se_t)
    if flat and target is None:
        # a model that does not learn fits nothing, whatever its first epoch's mean was
        # (a first epoch that blew up makes the start look far above where training sat)
        bias = "high"
    # still improving: over the last tenth of the run (at least 3 points) the validation trend
    # gained more than 3 uncertainties and `still_fall` of the level it ended at, and the kept
    # epoch lies in that tenth
    k = max(3, n // 10)
    late_gain = float(SV[max(0, last - k)] - SV[last]) if n > k else 0.0
    level_end = max(_badness(pair.mode, v, float(sign * SV[last])), 1e-12)
    still = (rec_i >= last - k) and not diverged and late_gain > max(3 * se_dv, settings.still_fall * level_end)

    # violent oscillation: the typical epoch-to-epoch change of validation against its level
    val_jump = typical_move(V)
    spike_i = None
    if pair.mode == "min" and float(np.min(t)) >= 0 and t[0] > 0:
        over = np.flatnonzero(t[1:] > settings.unstable_spike * t[0])
        spike_i = int(over[0]) + 1 if len(over) else None

    # a loss with no lower bound: below zero, many times the size of its first value, and
    # still falling at the end (a custom loss with a sign or scale error runs away like this)
    runaway = (pair.mode == "min" and float(t[-1]) < 0 and n > k
               and abs(float(t[-1])) > settings.runaway_factor * abs(float(t[0]))
               and float(ST[last]) < float(ST[last - k]))

    unstable_reason = ""
    if len(base["nonfinite"]):
        unstable_reason = _nonfinite_reason(pair.metric, base["nonfinite"], history.unit)
    elif runaway:
        size = f"{abs(float(t[-1])) / abs(float(t[0])):.0f} times the size of its first value" if float(t[0]) else \
            "from a first value of 0"
        unstable_reason = (f"training {pair.metric} has no lower bound: it fell below zero to {_fmt(float(t[-1]))}, "
                           f"{size} ({_fmt(float(t[0]))}), and is still falling; check the loss's sign and scale")
    elif t_rel_noise > settings.unstable_train_noise and not flat:
        unstable_reason = _jumps(f"training {pair.metric}", sigma_t, history.unit, f"{t_rel_noise:.0%} of its whole range")
    elif v_rel_noise > settings.unstable_val_noise:
        unstable_reason = _jumps(f"validation {pair.metric}", sigma_v, history.unit, f"{v_rel_noise:.0%} of its level")
    elif spike_i is not None:
        unstable_reason = (f"training {pair.metric} spiked to {_fmt(float(t[spike_i]))} at {history.unit} "
                           f"{int(round(points[spike_i]))}, over {settings.unstable_spike:g} times its first value")
    elif val_jump > settings.unstable_val_jump:
        unstable_reason = (f"validation {pair.metric} typically moves {val_jump:.0%} from one {history.unit}"
                           f" to the next")
    elif train_rising and not flat:
        unstable_reason = f"training {pair.metric} got worse over the run"

    # the order of the verdicts matters: the first that holds is the verdict
    if unstable_reason:
        verdict, margin = "unstable", 2.0
    elif flat:
        verdict, margin = "not_learning", max(1.0, settings.not_learning_drop * abs(float(ST[0])) / max(drop, 1e-12))
    elif still:
        verdict, margin = "still_improving", late_gain / max(3 * se_dv, settings.still_fall * level_end, 1e-12)
    elif overfit and bias == "high":
        verdict, margin = "overfitting_and_underfitting", min(_var_margin(diverged, rise, rise_needed, rel_gap_smooth, settings), bias_margin)
    elif overfit:
        verdict, margin = "overfitting", _var_margin(diverged, rise, rise_needed, rel_gap_smooth, settings)
    elif bias == "high":
        verdict, margin = "underfitting", bias_margin
    else:
        no_rise = rise_needed / max(rise, 1e-12) if rise > 0 else 10.0
        verdict, margin = "good_fit", min(no_rise, settings.high_variance_gap / max(rel_gap_smooth, 1e-12), bias_margin)
    confidence = round(1 - 0.5 * math.exp(-(max(margin, 1.0) - 1)), 3)

    d = Diagnosis(
        epochs=int(len(idx)), verdict=verdict, bias=bias, variance=variance, confidence=confidence,
        summary="", best_epoch=int(round(points[best_i])), best_val=float(v[best_i]),
        recommended_epoch=int(round(points[rec_i])), divergence_epoch=div_epoch, divergence_range=div_range,
        epochs_past_best=int(round(points[last] - points[rec_i])),
        gap=Gap(final=gap_final, at_best=gap_at_rec, relative_final=rel_final, trend=gap_trend),
        noise=float(sigma_v), window=w, points=points, train=t, val=v,
        train_trend=sign * ST, val_trend=sign * SV, **base,
    )
    return replace(d, summary=summarise(d, unstable_reason=unstable_reason, settings=settings))


def _badness(mode: str, series: np.ndarray, at: float) -> float:
    """How far the value ``at`` of ``series`` is from perfect, the scale a gap, a late gain or a
    rise is judged against: the value itself for a loss, the error ``1 - at`` for a score
    bounded by 1."""
    if mode == "max" and np.nanmax(series) <= 1.0 + 1e-9:
        return max(1.0 - at, 1e-3)
    return abs(at)


def _nonfinite_reason(metric: str, bad: tuple[int, ...], unit: str, finite: int | None = None) -> str:
    """Where a monitored pair became non-finite, in the words of the summary."""
    counts = f"{len(bad)} non-finite {unit}{'s' if len(bad) > 1 else ''}"
    if finite is not None:
        counts += f", {finite} finite"
    return f"{metric} became non-finite (NaN or infinity) at {unit} {bad[0]} ({counts})"


def _jumps(series: str, sigma: float, unit: str, share: str) -> str:
    """The unstable reason for a series whose epoch-to-epoch noise dominates."""
    return f"{series} jumps by {sigma:.3g} from {unit} to {unit}, {share}"


def _bias(pair: MetricPair, t, T, ST, SV, sign, target, settings):
    """-> (bias, margin): ``high`` when the model's fit falls short of the target or of its floor.

    The fit is the better of the training and validation trends: when validation does better
    than training, the training value is inflated by what only runs in training (dropout,
    augmentation, a regularization term in the loss, a running mean over a changing model) and
    the model fits its data at least as well as validation shows."""
    best_t = min(float(ST.min()), float(SV.min()))  # oriented
    if target is not None:
        tgt = sign * target
        allowed = settings.target_tolerance * max(abs(target), 1e-12)
        short = best_t - tgt
        margin = (allowed / max(short, 1e-12)) if short <= allowed else (short / allowed)
        return ("high" if short > allowed else "low"), margin
    # without a target: progress from the start towards the floor of the metric
    if pair.mode == "min":
        floor = 0.0 if float(np.min(t)) >= 0 else None
    else:
        floor = -1.0 if float(np.max(t)) <= 1.0 + 1e-9 and float(np.min(t)) >= 0 else None
    if floor is None:
        return "unknown", 1.0
    # the start: the worse of the first value and its trend (a steep first drop pulls the
    # trend's first point below the untrained level)
    start = max(float(T[0]), float(ST[0]))
    room = start - floor
    if room <= 1e-12:
        return "low", 10.0
    progress = (start - best_t) / room
    p = settings.bias_progress
    return ("high" if progress < p else "low"), (p / max(progress, 1e-12) if progress < p else progress / p)


def _var_margin(diverged, rise, rise_needed, rel_gap, settings):
    if diverged:
        return rise / rise_needed
    return rel_gap / settings.high_variance_gap


def _missing(history: History, monitor: str | None) -> str:
    from .naming import is_meta

    names = [c for c in history.columns if not is_meta(c)]
    if monitor and history.pairs:
        have = ", ".join(p.metric for p in history.pairs)
        return f"no paired series named '{monitor}' (paired metrics: {have})"
    if not names:
        return "no metric series in the file"
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return (f"no validation series (found only {shown}; a validation series is named val_*, valid_*,"
            f" validation_*, eval_* or test_*)")


def _pair_summary(history: History, p: MetricPair) -> PairSummary:
    idx, t, v = history.aligned(p)
    ok = np.isfinite(v)
    if not ok.any():
        return PairSummary(p.metric, p.train, p.val, p.mode, None, None, None, None)
    vv = np.where(ok, v, np.inf if p.mode == "min" else -np.inf)
    i = int(np.argmin(vv) if p.mode == "min" else np.argmax(vv))
    ft = float(t[-1]) if math.isfinite(t[-1]) else None
    fv = float(v[-1]) if math.isfinite(v[-1]) else None
    return PairSummary(p.metric, p.train, p.val, p.mode, int(idx[i]), float(v[i]), ft, fv)


# ---------------------------------------------------------------- the one-sentence summary

def first_epoch_spike(train: np.ndarray, train_trend: np.ndarray, mode: str) -> float | None:
    """The first training value, when it is worse than the level the training trend starts
    from by more than half: the loss blew up within the first epoch (its mean holds the
    blow-up) and came back down. The trend's running median sets a lone first point aside
    (Tukey's end-point rule), so on a flat run its start is the level training sat at."""
    if len(train) == 0:
        return None
    sign = 1.0 if mode == "min" else -1.0
    a, b = sign * float(train_trend[0]), sign * float(train[0])
    return float(train[0]) if b - a > 0.5 * max(abs(a), 1e-12) else None


def summarise(d: Diagnosis, unstable_reason: str = "", settings: Settings = DEFAULT_SETTINGS) -> str:
    """One plain sentence with the run's own numbers."""
    if d.monitor is None or d.verdict == "insufficient_data" and d.missing:
        return f"Cannot diagnose: {d.missing}."
    p = d.monitor
    u = d.unit
    val_name = f"validation {p.metric}"
    last_val = float(d.val[-1])
    n_after = d.epochs_past_best
    total = int(d.points[-1] - d.points[0]) + 1 if len(d.points) else 0
    rec_val = float(d.val[int(np.argmin(np.abs(d.points - d.recommended_epoch)))])

    def diverged() -> str:
        change = (last_val - rec_val) / abs(rec_val) if rec_val else math.inf
        worse = "risen" if p.mode == "min" else "fallen"
        train_dir = "falling" if p.mode == "min" else "rising"
        s = "bottomed out" if p.mode == "min" else "peaked"
        return (f"{val_name} {s} at {u} {d.recommended_epoch} ({_fmt(rec_val)}) and has {worse} "
                f"{abs(change):.0%} since, while training {p.metric} kept {train_dir}")

    if d.verdict == "unstable":
        if d.divergence_epoch is not None:
            return f"Training is unstable ({unstable_reason}), and it overfits: {diverged()}."
        return f"Training is unstable: {unstable_reason}; the best {val_name} was {_fmt(d.best_val)} at {u} {d.best_epoch}."
    if d.verdict == "not_learning":
        spike = first_epoch_spike(d.train, d.train_trend, p.mode)
        after = f", after a first {u} at {_fmt(spike)}" if spike is not None else ""
        return (f"Training {p.metric} barely moved (its trend went from {_fmt(float(d.train_trend[0]))} to "
                f"{_fmt(float(d.train_trend[-1]))}{after}): the model is not learning.")
    if d.verdict == "still_improving":
        return (f"{val_name.capitalize()} was still improving at the last {u} ({_fmt(last_val)} at {u} "
                f"{int(d.points[-1])}, best so far {_fmt(d.best_val)}): train longer.")
    if d.divergence_epoch is not None:
        text = diverged()
        return f"{text[:1].upper()}{text[1:]}; {n_after} of {total} {u}s came after the best."
    gap = d.gap
    if d.verdict in ("overfitting", "overfitting_and_underfitting"):
        extra = " Training also stops short of what it should reach." if d.verdict == "overfitting_and_underfitting" else ""
        rel = f" ({gap.relative_final:.0%} of the training value)" if gap.relative_final is not None else ""
        return (f"Validation {p.metric} ends {_fmt(gap.final)} worse than training{rel} and the gap is "
                f"{gap.trend}, though {val_name} has not turned worse.{extra}")
    if d.verdict == "underfitting":
        return (f"Training {p.metric} only reached {_fmt(float(np.min(d.train) if p.mode == 'min' else np.max(d.train)))}"
                f" (from {_fmt(float(d.train[0]))}), and validation follows it closely "
                f"(final gap {_fmt(gap.final)}): the model underfits.")
    rel = f", {gap.relative_final:.0%} of the training value" if gap.relative_final is not None else ""
    held = (f"{val_name.capitalize()} has held its level (best trend at {u} {d.recommended_epoch}, "
            f"{_fmt(rec_val)}; final {_fmt(last_val)})")
    large = f"the gap is large ({_fmt(gap.final)}{rel})"
    if d.variance == "high":
        return (f"{held} while training {p.metric} kept improving to {_fmt(float(d.train[-1]))}: {large} and "
                f"widening, but {val_name} has not turned clearly worse. Watch it.")
    if p.mode == "min" and gap.relative_final is not None and gap.relative_final > settings.high_variance_gap:
        # a large gap that holds steady: not converged, but not hurting validation either
        return (f"{held}, training {p.metric} ending at {_fmt(float(d.train[-1]))}: {large} but {gap.trend}, "
                f"and {val_name} has not turned worse.")
    return (f"Training and validation {p.metric} converged (final {_fmt(float(d.train[-1]))} and "
            f"{_fmt(last_val)}, gap {_fmt(gap.final)}, {gap.trend}); the best {val_name} trend is at "
            f"{u} {d.recommended_epoch}.")
