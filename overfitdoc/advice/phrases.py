"""Evidence phrases several rules share, so the same fact reads the same way everywhere."""

from __future__ import annotations

import math

from ..numbers import relative_gap
from .base import Context
from .facts import Facts, fmt

#: verdicts with high variance
OVERFIT = ("overfitting", "overfitting_and_underfitting")


def cap(text: str) -> str:
    """Capitalize a sentence, unless it starts with a series name such as ``val_loss``."""
    first = text.split(" ", 1)[0]
    return text if "_" in first or not text else text[0].upper() + text[1:]


def keras_monitor(f: Facts) -> str:
    """The monitored validation series under its Keras (or Lightning) log name."""
    if f.d.format.startswith(("keras", "lightning")):
        return f.val_name
    m = f.metric
    if m == "acc":
        m = "accuracy"
    return f"val_{m}"


def keras_monitor_of(f: Facts, pair) -> str:
    """Another pair's validation series under its Keras (or Lightning) log name."""
    if f.d.format.startswith(("keras", "lightning")):
        return pair.val
    return "val_accuracy" if pair.metric in ("acc", "accuracy") else f"val_{pair.metric}"


def final_values(f: Facts) -> str:
    """``val_loss 0.7121 vs loss 0.01727 at epoch 79``"""
    return (
        f"{f.val_name} {fmt(float(f.val[-1]))} vs {f.train_name} {fmt(float(f.train[-1]))} at {f.unit} "
        f"{f.epoch(f.last)}"
    )


def gap_phrase(f: Facts) -> str:
    """The gap in the run's numbers: where it opened and how wide it ended."""
    g = f.d.gap
    rel = "" if g.relative_final is None else f", {relative_gap(g.relative_final, times_from=2, whole_times=True)}"
    onset = f.gap_onset
    opened = (
        f"the gap opened at {f.unit} {f.epoch(onset)} of {f.total_epochs} and is {g.trend}"
        if onset is not None
        else f"the gap is {g.trend}"
    )
    return f"validation ends {fmt(g.final)} worse than training ({final_values(f)}{rel}); {opened}"


def divergence_phrase(f: Facts) -> str:
    """``val_loss was lowest at epoch 13 (0.4019) and ended at 0.7121 (+77%)``"""
    d = f.d
    last = float(f.val[-1])
    change = (last - d.best_val) / abs(d.best_val) if d.best_val else 0.0
    return (
        f"{f.val_name} was best at {f.unit} {d.best_epoch} ({fmt(d.best_val)}) and ended at {fmt(last)} "
        f"({change:+.0%}) at {f.unit} {f.epoch(f.last)}"
    )


def ratio_phrase(ctx: Context) -> str | None:
    """``270,000 parameters for 200 training samples (1,350 per sample)``, when both are known."""
    if ctx.ratio is None:
        return None
    per = f"{ctx.ratio:,.0f}" if ctx.ratio >= 10 else f"{ctx.ratio:.2g}"
    return f"{ctx.params:,} parameters for {ctx.train_size:,} training samples ({per} per sample)"


def ratio_boost(ctx: Context) -> float:
    """How much a large parameters-per-sample ratio raises capacity and data remedies."""
    r = ctx.ratio
    if r is None:
        return 0.0
    if r >= 10:
        return 0.1
    if r >= 1:
        return 0.05
    return -0.05 if r < 0.01 else 0.0


def ratio_hint(ctx: Context) -> str | None:
    if ctx.ratio is None:
        return "with --params and --train-size, the parameters per training sample would sharpen this"
    return None


def lr_clause(f: Facts) -> str:
    """What the learning-rate column shows, or a request to log it."""
    if f.lr is not None:
        return f"the {f.lr.column} column {f.lr.describe()}"
    return "the log has no learning-rate column (log it, e.g. `lr`, and this advice will use it)"


def noise_phrase(f: Facts) -> str:
    """``val_loss scatters by 0.0058 around its 11-epoch trend``"""
    return f"{f.val_name} scatters by {fmt(f.d.noise)} (robust sd) around its {f.window}-{f.unit} trend"


def barely_moved(f: Facts) -> str:
    """``loss barely moved (its trend went from 1.121 to 1.112, after a first epoch at 3.281)``"""
    t = f.d.train_trend
    text = f"{f.train_name} barely moved (its trend went from {fmt(float(t[0]))} to {fmt(float(t[-1]))}"
    if f.first_spike is not None:
        text += f", after a first {f.unit} at {fmt(f.first_spike)}"
    return text + ")"


def improvement(f: Facts) -> tuple[str, str]:
    """How the monitored validation series moved from its first reading to its best, judged on
    the very numbers the sentence quotes: ``("never", text)`` when the best is the first
    reading, ``("within_noise", text)`` when the change is within two standard errors of a
    difference of trend values (noise / sqrt(window) each), ``("improved", text)`` otherwise.
    Rules that say "never improved" fire only on the first two, so no sentence contradicts its
    numbers."""
    first, best = float(f.val[0]), float(f.d.best_val if f.d.best_val is not None else f.val[0])
    change = (first - best) * f.sign  # oriented: positive = better
    tol = 2 * math.sqrt(2) * (f.d.noise or 0.0) / math.sqrt(f.window)
    u = f.unit
    if change <= 0:
        return "never", f"{f.val_name} never improved on its first reading ({fmt(first)} at {u} {f.epoch(0)})"
    if change <= tol:
        return "within_noise", (
            f"{f.val_name} improved only within its noise (from {fmt(first)} at {u} {f.epoch(0)} to a best of "
            f"{fmt(best)}, a change of {fmt(change)} against {fmt(tol)} that noise explains)"
        )
    return "improved", f"{f.val_name} improved from {fmt(first)} at {u} {f.epoch(0)} to {fmt(best)}"


def score_improved(f: Facts) -> bool:
    """The run's accuracy-like validation series (when it is not the monitored one) got better
    from its first reading to its best by more than its noise explains."""
    s = f.score
    if s is None or s.pair == f.pair:
        # a validation-only score column (HF's eval_accuracy): its best after the first reading
        first = f.epoch(0)
        return any(
            b.mode == "max" and b.column != f.val_name and b.epoch is not None and b.epoch > first
            for b in f.d.validation_bests
        )
    tol = 2 * math.sqrt(2) * float(s.val_noise) / math.sqrt(max(s.window or 1, 1))
    return float(s.val.max() - s.val[0]) > max(tol, 0.005)


def level_share(f: Facts) -> float:
    """The validation noise as a share of the validation trend's level at the end (what a
    sentence saying "N% of its level" must quote)."""
    level = abs(float(f.d.val_trend[-1]))
    return (f.d.noise or 0.0) / level if level > 0 else 0.0
