"""``diagnose``: a :class:`History` in, a frozen :class:`Diagnosis` out. It measures (series,
curves, the kept epoch, gap, divergence, bias, stability), lets the verdict combine the
measurements, and writes the summary. It prints nothing and imports nothing heavy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..history import History
from ..naming import is_held_out, is_meta, normalising_once
from .bias import measure_bias, measure_learning, start_unseen
from .calibration import CANNOT_TELL, calibrated, within_reach
from .curves import curves
from .divergence import kept_epoch, late_gain, measure_divergence
from .gap import measure_gap
from .series import epochs_trained, learning_rate, measure_pair, sign_of, validation_bests
from .settings import DEFAULT_SETTINGS, Settings
from .stability import measure_stability
from .summary import summarise
from .types import Diagnosis, RejectedRise
from .uncertainty import cannot_tell
from .validation import decisions_changed, frozen_decisions, split_se, training_accuracy, validation_size
from .verdict import decide


@np.errstate(all="ignore")  # non-finite and huge values are measured, not warned about
@normalising_once()
def diagnose(
    history: History,
    *,
    monitor: str | None = None,
    mode: str | None = None,
    target: float | None = None,
    val_size: int | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Diagnosis:
    """Diagnose one history. ``monitor`` picks the pair (default: the loss), ``mode``
    overrides its direction, ``target`` is the training value the user knows is attainable,
    ``val_size`` the number of validation samples (else read from accuracy steps, or unknown)."""
    # what every diagnosis of this history says, whatever the verdict (replaced below)
    base = Diagnosis(
        source=history.source,
        format=history.format,
        unit=history.unit,
        epoch_base=history.epoch_base,
        monitor=None,
        series=tuple(p.metric for p in history.pairs),
        epochs=0,
        verdict="insufficient_data",
        bias="unknown",
        variance="low",
        confidence=1.0,
        summary="",
        notes=history.notes,
        history=history,
        target=target,
        learning_rate=learning_rate(history),
        epochs_trained=epochs_trained(history),
    )
    pair = history.monitor(monitor)
    if pair is None:
        missing = _missing(history, monitor)
        return replace(
            base,
            summary=f"Cannot diagnose: {missing}.",
            missing=missing,
            validation_bests=validation_bests(history, history.pairs),
        )
    chosen = pair
    if mode:
        pair = replace(pair, mode=mode)
    pairs = tuple(measure_pair(history, pair if p is chosen else p, settings) for p in history.pairs)
    monitored = next(s for s in pairs if s.pair == pair)
    nonfinite = tuple(int(e) for e in monitored.epochs[~monitored.finite & ~monitored.missing])
    base = replace(
        base,
        monitor=pair,
        pairs=pairs,
        nonfinite=nonfinite,
        epochs=int(len(monitored.epochs)),
        val_size=validation_size(pairs, val_size),
        validation_bests=validation_bests(history, tuple(s.pair for s in pairs)),
    )
    n = int(monitored.finite.sum())
    unit = history.unit
    if n < 3 and nonfinite:
        # a run that blew up before it had three usable points: that is the diagnosis
        d = replace(base, verdict="unstable")
        if n:
            i = int(np.argmin(sign_of(pair.mode) * monitored.val))
            # keep the best finite epoch: the weights from before the blow-up
            best = int(round(monitored.points[i]))
            d = replace(
                d,
                best_epoch=best,
                best_val=float(monitored.val[i]),
                recommended_epoch=best,
                epochs_past_best=int(round(monitored.epochs[-1] - best)),
            )
        return replace(d, summary=summarise(d, settings))
    if n < 3:
        missing = f"only {n} {unit}{'s' if n != 1 else ''} with both {pair.train} and {pair.val} (3 are needed)"
        return replace(base, summary=f"Cannot diagnose: {missing}.", missing=missing)

    # non-finite points are left out of the analysis and reported (nonfinite)
    c = curves(monitored.points, monitored.train, monitored.val, pair.mode, settings)
    kept = kept_epoch(c, settings)
    gap = measure_gap(c, kept.kept, settings)
    div = measure_divergence(c, kept, gap.large, settings)
    learning = measure_learning(c, settings)
    bias = measure_bias(c, target, settings)
    bias_level = "high" if learning.flat and target is None else bias.bias
    # (a model that does not learn fits nothing, whatever its first epoch's mean was: a first
    # epoch that blew up makes the start look far above where training sat)
    late = late_gain(c, kept, div.diverged, settings)
    stability = measure_stability(
        c,
        nonfinite,
        learning.flat,
        settings,
        decisions_changed(pairs, base.val_size),
        val_rose_after=kept.kept if div.val_rose else None,
    )
    frozen = frozen_decisions(pairs)
    frozen_margin = 2 * frozen.share if frozen is not None else None  # 1: frozen over exactly the last half

    def verdict_of(div, late):
        return decide(
            stability.instability,
            learning,
            late,
            div,
            gap,
            bias_level,
            bias.margin,
            settings,
            float(c.train_trend[0]),
            frozen_margin,
        )

    verdict, margin, test = verdict_of(div, late)
    if test == "frozen":
        bias_level = "high"
    n_val = base.val_size.n if base.val_size else None
    # the rise against what the split's sampling alone can move its loss by (validation.split_se)
    level = float(kept.score[kept.kept])
    se = split_se(level, pair.mode, base.val_size)
    rise_se = div.rise / se if se else None
    confidence = calibrated(verdict, margin, test, n_val, rise_se)
    rejected: RejectedRise | None = None
    basis = test  # the test behind the verdict (under a rejected rise, the verdict's without it)
    if test == "rise" and confidence < CANNOT_TELL:
        # the calibrated probability that this divergence is overfitting is below one half: the
        # better guess is the verdict without it (docs/analysis.md, "A rise more likely noise")
        rejected = RejectedRise(verdict, confidence, div.rise, int(round(c.points[kept.kept])))
        div = replace(div, diverged=False, range=None)
        late = late_gain(c, kept, False, settings)
        verdict, _, basis = verdict_of(div, late)
        test, confidence = "rise_rejected", round(1.0 - rejected.confidence, 3)
    confidence = within_reach(confidence, verdict, len(c.points))
    # a verdict that reads high bias from the first value needs the log to show where training
    # started; when it cannot, the verdict is learned-early-or-never (docs/analysis.md)
    if verdict == "not_learning":
        from_start: str | None = "learning"
    elif verdict == "underfitting" and basis == "bias":
        from_start = "bias"
    else:
        from_start = None
    unseen = None
    if from_start is not None and target is None:
        first = _first_training_epoch(history, pair)
        accuracy = training_accuracy(pairs)
        unseen = start_unseen(c, from_start, first, first - history.epoch_base, unit, accuracy, settings)
        if unseen is not None:
            confidence = min(confidence, CANNOT_TELL)
    points = c.points
    div_epoch: int | None = None
    div_range: tuple[int, int] | None = None
    if div.range is not None:
        div_epoch = int(round(points[kept.kept]))
        div_range = (int(round(points[div.range[0]])), int(round(points[div.range[1]])))
    d = replace(
        base,
        verdict=verdict,
        bias=bias_level,
        variance="high" if (div.diverged or gap.large) else "low",
        confidence=confidence,
        margin=margin,
        deciding_test=test,
        rejected_rise=rejected,
        best_epoch=int(round(points[kept.best])),
        best_val=float(c.val_file[kept.best]),
        recommended_epoch=int(round(points[kept.kept])),
        divergence_epoch=div_epoch,
        divergence_range=div_range,
        epochs_past_best=int(round(points[c.last] - points[kept.kept])),
        gap=gap.gap,
        noise=float(c.val_noise),
        window=c.window,
        points=points,
        train=c.train_file,
        val=c.val_file,
        train_trend=c.sign * c.train_trend,
        val_trend=c.sign * c.val_trend,
        gap_series=gap.series,
        stability=stability,
        split_se=se,
        rise_in_split_se=rise_se,
        frozen=frozen,
        start_unseen=unseen,
    )
    unsure = cannot_tell(d)
    if unsure is not None:
        plateau = unsure.kind in ("capacity_or_floor", "start_unseen") or (
            unsure.kind == "short_run" and d.deciding_test == "bias"
        )
        d = replace(d, cannot_tell=unsure, bias="unknown" if plateau else d.bias)
    return replace(d, summary=summarise(d, settings))


def _first_training_epoch(history: History, pair) -> int:
    """The file's first epoch (or step) with a training value of ``pair``."""
    logged = np.flatnonzero(~np.isnan(np.asarray(history.columns[pair.train], dtype=float)))
    return int(round(float(history.index[logged[0]]))) if len(logged) else int(history.epoch_base)


def _missing(history: History, monitor: str | None) -> str:
    names = [c for c in history.columns if not is_meta(c)]
    if monitor and history.pairs:
        have = ", ".join(p.metric for p in history.pairs)
        return f"no paired series named '{monitor}' (paired metrics: {have})"
    if not names:
        return "no metric series in the file"
    held = [c for c in names if is_held_out(c)]
    if held:
        # validation series without a training series of the same metric to pair with
        train = [c for c in names if c not in held]
        listed = ", ".join(held[:4]) + (", ..." if len(held) > 4 else "")
        others = ", ".join(train[:4]) + (", ..." if len(train) > 4 else "") if train else "none"
        return (
            f"no validation series pairs with a training series of the same metric (validation: {listed};"
            f" training: {others}); log the validation loss too, or name them alike (loss / val_loss)"
        )
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return (
        f"no validation series (found only {shown}; a validation series is named val_*, valid_*,"
        f" validation_*, eval_* or test_*)"
    )
