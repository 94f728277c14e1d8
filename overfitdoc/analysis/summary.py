"""The one-sentence summary, in the run's own numbers, and the words for an instability."""

from __future__ import annotations

import math

import numpy as np

from ..numbers import fmt, relative_gap
from .settings import DEFAULT_SETTINGS, Settings
from .types import Diagnosis, Instability


def nonfinite_reason(metric: str, bad: tuple[int, ...], unit: str, finite: int | None = None) -> str:
    """Where a monitored pair became non-finite, in the words of the summary."""
    counts = f"{len(bad)} non-finite {unit}{'s' if len(bad) > 1 else ''}"
    if finite is not None:
        counts += f", {finite} finite"
    return f"{metric} became non-finite (NaN or infinity) at {unit} {bad[0]} ({counts})"


def _jumps(series: str, sigma: float, unit: str, share: str) -> str:
    """The reason for a series whose epoch-to-epoch noise dominates."""
    return f"{series} jumps by {sigma:.3g} from {unit} to {unit}, {share}"


def instability_reason(found: Instability, metric: str, unit: str, nonfinite: tuple[int, ...]) -> str:
    """The instability in words, e.g. ``validation loss typically moves 18% from one epoch to the next``."""
    kind = found.kind
    if kind == "nonfinite":
        return nonfinite_reason(metric, nonfinite, unit)
    if kind == "no_lower_bound":
        first = found.first or 0.0
        size = (
            f"{abs(found.value) / abs(first):.0f} times the size of its first value"
            if first
            else "from a first value of 0"
        )
        return (
            f"training {metric} has no lower bound: it fell below zero to {fmt(found.value)}, "
            f"{size} ({fmt(first)}), and is still falling; check the loss's sign and scale"
        )
    if kind == "train_noise":
        return _jumps(f"training {metric}", found.sigma or 0.0, unit, f"{found.value:.0%} of its whole range")
    if kind == "val_noise":
        # the share is of the larger of the level and the trend's range (stability.noise_share)
        scale = "its trend's range" if found.scale_is_range else "its level"
        return _jumps(f"validation {metric}", found.sigma or 0.0, unit, f"{found.value:.0%} of {scale}")
    if kind == "spike":
        return (
            f"training {metric} spiked to {fmt(found.value)} at {unit} {found.epoch}, "
            f"over {found.threshold:g} times its first value"
        )
    if kind == "val_jumps":
        return f"validation {metric} typically moves {found.value:.0%} from one {unit} to the next"
    if kind == "train_rising":
        if found.epoch is not None:
            return (
                f"training {metric} got worse after {unit} {found.epoch} (by {fmt(found.value)}), as validation did: "
                f"training itself fell apart (overfitting keeps the training {metric} falling)"
            )
        return f"training {metric} got worse over the run"
    raise ValueError(f"unknown instability kind {kind!r}")


def summarise(d: Diagnosis, settings: Settings = DEFAULT_SETTINGS) -> str:
    """One plain sentence with the run's own numbers; when the history cannot tell, a second
    one says why and which experiment would decide."""
    text = _verdict_sentence(d, settings)
    r = d.rejected_rise
    if r is not None and d.monitor is not None:
        text += (
            f" Validation {d.monitor.metric} did rise after {d.unit} {r.epoch} (by {fmt(abs(r.rise))}), but on runs "
            f"like this one a rise that size is more often the validation split's noise than overfitting "
            f"(confidence {r.confidence:.2f} as overfitting)."
        )
    if d.cannot_tell is not None:
        text += (
            f" Cannot tell for sure (confidence {d.confidence:.2f}): {d.cannot_tell.reason}; "
            f"to decide, {d.cannot_tell.experiment}."
        )
    return text


def _verdict_sentence(d: Diagnosis, settings: Settings) -> str:
    if d.monitor is None or d.verdict == "insufficient_data" and d.missing:
        return f"Cannot diagnose: {d.missing}."
    p = d.monitor
    u = d.unit
    val_name = f"validation {p.metric}"
    if d.verdict == "unstable" and not len(d.points):
        # a run that blew up before it had three usable points
        finite = int(d.monitored.finite.sum()) if d.monitored is not None else 0
        reason = nonfinite_reason(p.metric, d.nonfinite, u, finite=finite)
        return f"Training is unstable: {reason}; too few finite {u}s are left to analyse the curves."
    last_val = float(d.val[-1])
    n_after = d.epochs_past_best
    # a run's length: its epochs (first to last), or for a step log the steps it ran, from 0
    # (an evaluation every 200 steps from step 200 to 2200 is 2,200 steps, not 2,001)
    if not len(d.points):
        total = 0
    elif d.unit == "step":
        total = int(d.points[-1])
    else:
        total = int(d.points[-1] - d.points[0]) + 1
    rec_val = float(d.val[int(np.argmin(np.abs(d.points - d.recommended_epoch)))])

    def diverged() -> str:
        change = (last_val - rec_val) / abs(rec_val) if rec_val else math.inf
        worse = "risen" if p.mode == "min" else "fallen"
        train_dir = "falling" if p.mode == "min" else "rising"
        s = "bottomed out" if p.mode == "min" else "peaked"
        return (
            f"{val_name} {s} at {u} {d.recommended_epoch} ({fmt(rec_val)}) and has {worse} "
            f"{abs(change):.0%} since, while training {p.metric} kept {train_dir}"
        )

    if d.verdict == "unstable":
        assert d.instability is not None
        reason = instability_reason(d.instability, p.metric, u, d.nonfinite)
        if d.divergence_epoch is not None:
            return f"Training is unstable ({reason}), and it overfits: {diverged()}."
        return f"Training is unstable: {reason}; the best {val_name} was {fmt(d.best_val)} at {u} {d.best_epoch}."
    if d.verdict == "not_learning":
        spike = d.stability.first_epoch_spike if d.stability is not None else None
        after = f", after a first {u} at {fmt(spike)}" if spike is not None else ""
        moved = f"its trend went from {fmt(float(d.train_trend[0]))} to {fmt(float(d.train_trend[-1]))}{after}"
        if d.start_unseen is not None:
            # the log cannot show where training started (bias.start_unseen)
            return (
                f"Training {p.metric} barely moved over the logged {u}s ({moved}): the model is learning nothing more."
            )
        return f"Training {p.metric} barely moved ({moved}): the model is not learning."
    if d.verdict == "still_improving":
        return (
            f"{val_name.capitalize()} was still improving at the last {u} (its trend reached "
            f"{fmt(float(d.val_trend[-1]))} at {u} {int(d.points[-1])}; best reading {fmt(d.best_val)} at {u} "
            f"{d.best_epoch}): train longer."
        )
    if d.divergence_epoch is not None:
        text = diverged()
        return f"{text[:1].upper()}{text[1:]}; {n_after} of {total} {u}s came after the best."
    gap = d.gap
    if d.verdict in ("overfitting", "overfitting_and_underfitting"):
        extra = (
            " Training also stops short of what it should reach." if d.verdict == "overfitting_and_underfitting" else ""
        )
        rel = f" ({relative_gap(gap.relative_final)})" if gap.relative_final is not None else ""
        return (
            f"Validation {p.metric} ends {fmt(gap.final)} worse than training{rel} and the gap is "
            f"{gap.trend}, though {val_name} has not turned worse.{extra}"
        )
    if d.verdict == "underfitting" and d.deciding_test == "frozen" and d.frozen is not None:
        return (
            f"{d.frozen.held(u)}: no sample changes class any more, while training {p.metric} settled at {fmt(float(d.train[-1]))}. The model has stopped learning "
            "(one that predicts the same class for every sample, such as the majority class of an imbalanced "
            "set, logs this): it underfits."
        )
    if d.verdict == "underfitting":
        return (
            f"Training {p.metric} only reached {fmt(float(np.min(d.train) if p.mode == 'min' else np.max(d.train)))}"
            f" (from {fmt(float(d.train[0]))}), and validation follows it closely "
            f"(final gap {fmt(gap.final)}): the model underfits."
        )
    rel = f", {relative_gap(gap.relative_final)}" if gap.relative_final is not None else ""
    # a rise the calibration rejected did happen: say it moved, not that it held
    verb = "has not risen clearly" if d.rejected_rise is not None else "has held its level"
    held = (
        f"{val_name.capitalize()} {verb} (best trend at {u} {d.recommended_epoch}, "
        f"{fmt(rec_val)}; final {fmt(last_val)})"
    )
    large = f"the gap is large ({fmt(gap.final)}{rel})"
    if d.variance == "high":
        return (
            f"{held} while training {p.metric} kept improving to {fmt(float(d.train[-1]))}: {large} and "
            f"widening, but {val_name} has not turned clearly worse. Watch it."
        )
    if p.mode == "min" and gap.relative_final is not None and gap.relative_final > settings.high_variance_gap:
        # a large gap that holds steady: not converged, but not hurting validation either
        return (
            f"{held}, training {p.metric} ending at {fmt(float(d.train[-1]))}: {large} but {gap.trend}, "
            f"and {val_name} has not turned worse."
        )
    return (
        f"Training and validation {p.metric} converged (final {fmt(float(d.train[-1]))} and "
        f"{fmt(last_val)}, gap {fmt(gap.final)}, {gap.trend}); the best {val_name} trend is at "
        f"{u} {d.recommended_epoch}."
    )
