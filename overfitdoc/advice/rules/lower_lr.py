from __future__ import annotations

import numpy as np

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import cap


class LowerLr(Rule):
    id = "lower-lr"
    title = "Lower the learning rate"
    group = "optimization"
    why = (
        "Steps that are too large overshoot the minimum: the loss jumps between epochs, spikes, and "
        "eventually overflows to NaN; a rate 3 to 10 times smaller lets it descend."
    )
    what = """\
Divides the learning rate by 3 to 10 and trains again. Keep everything else fixed, so the
comparison is clean; then add warm-up or clipping if it is still unstable at a rate that trains
fast enough."""
    helps = """\
Training losses that jump from epoch to epoch, rise over the run, spike, or become NaN; a loss
that spikes and then sits at chance level (the weights were thrown into a dead region)."""
    hurts = """\
- Too low a rate trains slowly and can settle in a worse minimum; after stabilizing, try a
  schedule rather than a permanently tiny rate.
- If only the *validation* curve jumps while training is smooth, a small validation set is the
  first suspect (see `small-validation-set`); when its accuracy swings well beyond its sampling
  error, the weights move too far each epoch and a lower rate does help."""
    suggested_when = """\
An unstable run whose training series itself is unstable (non-finite values, spikes: a rise of
more than 50% to a point more than 50% above its trend, epoch-to-epoch noise) or whose training
trend climbed back up with no spike and no jumps in validation. An unstable run
whose validation jumps while training is smooth: ranked high when its validation accuracy swings
by more than twice the sampling error of its set (the set is large enough, so the weights move
too far), else after `small-validation-set` (the set's size is unknown). A run that does not
learn after an early spike, or after a first epoch whose mean loss is more than 1.5 times the
level it then stays at. The new rate comes from the learning-rate column when the log has one."""
    ranking = """\
`0.95` when the loss blew up (non-finite values, spikes, or a non-finite start) or training is
unstable; not learning after a spike or a first-epoch blow-up: `0.7`; an unstable run whose
training is smooth: `0.8` when the validation accuracy swings beyond twice its sampling error
(the split's size known), `0.5` when validation jumps with the size unknown, `0.75` when the
training trend itself climbed back up."""
    references = (
        "Bengio, Y. (2012). Practical Recommendations for Gradient-Based Training of Deep Architectures. In *Neural Networks: Tricks of the Trade*.",
        "Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, section 8.5. MIT Press.",
    )
    defaults = {"lr": 1e-4, "epochs": 100}
    on_early_divergence = True
    fix = Fix(
        keras="""\
import keras

model.optimizer.learning_rate = ${lr}  # or recompile with the optimizer's learning_rate=${lr}
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs},
          callbacks=[keras.callbacks.TerminateOnNaN()])
""",
        pytorch="""\
for group in optimizer.param_groups:
    group["lr"] = ${lr}
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        lr = f.lr
        new_lr = float(f"{lr.peak / 10:.2g}") if lr is not None else self.defaults["lr"]
        params = {"lr": new_lr}
        if lr is not None:
            rate = f"the {lr.column} column {lr.describe()}; divide it by 10 ({fmt(new_lr)})"
        else:
            rate = (
                "divide the learning rate by 3 to 10 (the log has no learning-rate column; log it as `lr` "
                "and this advice will name the value)"
            )
        if f.early_divergence:
            ev = (
                f"{f.pair.train} became non-finite at {u} {f.first_nonfinite}, before three {u}s had finite "
                f"values: the very first steps overshoot. {cap(rate)}."
            )
            return self.hit(0.95, ev, params)
        if d.verdict == "unstable":
            if not f.training_unstable:
                return self._smooth_training(f, rate, params)
            facts = []
            if f.spikes:
                e, a, b = max(f.spikes, key=lambda s: abs(s[2] - s[1]) / max(abs(s[1]), 1e-12))
                times = "once" if len(f.spikes) == 1 else f"{len(f.spikes)} times"
                facts.append(
                    f"{f.train_name} rose by more than 50% in one {u} {times}, the largest from "
                    f"{fmt(a)} to {fmt(b)} at {u} {e}"
                )
            if f.first_nonfinite is not None:
                facts.append(f"it became non-finite at {u} {f.first_nonfinite}")
            if not facts:
                facts.append(f"{f.train_name} scatters by {f.train_noise_rel:.0%} of its range from {u} to {u}")
            ev = "; ".join(facts) + f": the steps overshoot. {cap(rate)}."
            return self.hit(0.95, cap(ev), params)
        if d.verdict == "not_learning" and f.spikes:
            e, a, b = f.spikes[0]
            ev = (
                f"{f.train_name} spiked from {fmt(a)} to {fmt(b)} at {u} {e} and then stayed flat "
                f"(ending at {fmt(float(f.train[-1]))}): a rate too high throws the weights into a dead region; {rate}."
            )
            return self.hit(0.7, ev, params)
        if d.verdict == "not_learning" and f.first_spike is not None:
            level = float(d.train_trend[0])
            ev = (
                f"{f.train_name} averaged {fmt(f.first_spike)} over {u} {f.epoch(0)}, {f.first_spike / level:.1f} times "
                f"the level it then stayed at ({fmt(level)}, ending at {fmt(float(f.train[-1]))}): the loss blew up within "
                f"the first {u} and the weights landed in a dead region, the mark of a rate too high; {rate}."
            )
            return self.hit(0.7, ev, params)
        return None

    def _smooth_training(self, f, rate, params):
        """An unstable run whose training series is smooth: validation swings beyond its sampling
        error, validation jumps (set size unknown), or the training trend climbed back up."""
        u = f.unit
        annealed = f.lr is not None and f.lr.schedule is not None and f.lr.schedule.annealed  # it has one
        if f.val_jumps and f.val_swings:
            noise, se = f.val_sampling
            ev = (
                f"{f.train_name} is smooth, yet {f.score.pair.val} swings by {fmt(noise)} (robust sd) from {u} to "
                f"{u}, {noise / se:.1f} times the sampling error of a validation set of about {f.val_size} "
                f"samples: the model itself moves too far each {u}, not the measurement. {cap(rate)}"
                + (", or let a schedule decay it (lr-schedule)." if not annealed else ".")
            )
            return self.hit(0.8, ev, params)
        if f.val_jumps:
            # validation read at each epoch's end jumps while the epoch-averaged training
            # loss is smooth: a small set, or weights that move too far with every step
            ev = (
                f"{f.val_name} jumps from {u} to {u} while {f.train_name}, "
                f"averaged over each {u}, is smooth: either the validation set is small (small-validation-set) "
                f"or each step moves the weights too far and validation catches them wherever the {u} ends. "
                f"{cap(rate)} and compare."
            )
            return self.hit(0.5, ev, params)
        # no jumps anywhere: the training trend itself climbed back up
        tt = f.d.train_trend
        i = int(np.argmin(f.sign * tt))
        if i == f.last:
            return None
        ev = (
            f"{f.train_name}'s trend climbed back from {fmt(float(tt[i]))} at {u} {f.epoch(i)} to "
            f"{fmt(float(tt[-1]))} at {u} {f.epoch(f.last)}, with no spike: the steps no longer descend. "
            f"{cap(rate)}."
        )
        return self.hit(0.75, ev, params)
