from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import barely_moved


class HigherLr(Rule):
    id = "higher-lr"
    title = "Raise the learning rate"
    group = "optimization"
    why = (
        "When the loss falls steadily but slowly, the steps are too small: a larger learning rate gets "
        "to the same place in fewer epochs, and can leave a plateau a small one cannot."
    )
    what = """\
Multiplies the learning rate by 3 to 10 (or runs a learning-rate range test: increase it
exponentially over one epoch and take a value just below where the loss stops falling). Also
check that a plateau scheduler did not cut it too early."""
    helps = """\
A training loss that falls at a near-constant rate without leveling off (the step size, not
the model, is the limit), a run that is still improving when stopped, and a loss that does
not move at all with a tiny rate."""
    hurts = """\
- Too high and training becomes unstable or diverges (NaN): step up gradually.
- With Adam, rates above about 3e-3 are rarely better; with SGD, 0.01 to 0.1 is the usual range.
- It does not fix a model that lacks capacity: if the training loss has flattened, look at
  `more-capacity`."""
    suggested_when = """\
Still improving, underfitting while the training loss is still falling, or not learning; the
evidence uses the learning-rate column when the log has one. Never for an unstable run, nor for
one that went flat after its loss spiked or blew up in the first epoch (the rate is too high)."""
    ranking = """\
Still improving: `0.6` when the descent is steady (the last quarter's improvement at least half
the first's), else `0.45`; not learning: `0.75` when the peak rate is 1e-5 or below, else `0.5`;
underfitting: `0.55` while training is still falling, or when it flattened at a rate below
1e-5 (the last rate after a step cut, else the peak). Silent when the
schedule annealed the rate on purpose (a linear, cosine or smooth decay), after a spike, and
for overfitting, good-fit and unstable runs."""
    references = (
        "Smith, L. N. (2017). Cyclical Learning Rates for Training Neural Networks (the LR range test). WACV.",
        "Bengio, Y. (2012). Practical Recommendations for Gradient-Based Training of Deep Architectures. In *Neural Networks: Tricks of the Trade*.",
    )
    defaults = {"lr": 3e-3, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model.optimizer.learning_rate = ${lr}  # or recompile with the optimizer's learning_rate=${lr}
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
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
        if d.verdict == "unstable" or d.verdict in ("overfitting", "good_fit"):
            return None
        if d.verdict == "not_learning" and f.spikes:
            return None  # a spike then a flat loss is a rate too high (see lower-lr)
        sch = lr.schedule if lr is not None else None
        if sch is not None and sch.annealed and sch.kind != "step" and d.verdict != "not_learning":
            return None  # annealed on purpose (a linear, cosine or smooth decay): its end is meant to be small
        new_lr = float(f"{3 * lr.peak:.2g}") if lr is not None else self.defaults["lr"]
        params = {"lr": new_lr}
        if lr is not None:
            why_lr = f"the {lr.column} column {lr.describe()}"
            if (
                sch is not None
                and sch.kind == "step"
                and lr.drops
                and d.verdict in ("underfitting", "still_improving", "not_learning")
            ):
                e, _, after = lr.drops[-1]
                why_lr += f"; after the cut to {fmt(after)} at {u} {e} the steps are likely too small to move"
        else:
            why_lr = "the log has no learning-rate column (log it, e.g. as `lr`, and this advice will use it)"
        if d.verdict == "still_improving":
            q = max(2, f.n // 4)
            early = float(f.val_trend_o[0] - f.val_trend_o[min(f.last, q)]) / max(q, 1)
            late = f.end_slope
            steady = late >= 0.5 * early if early > 0 else True
            ev = (
                f"{f.val_name} fell by {fmt(abs(early))} per {u} early and still {fmt(abs(late))} per {u} at the end"
                + (" - a steady, unhurried descent, the mark of small steps" if steady else "")
                + f"; {why_lr}. Try about 3x the rate."
            )
            return self.hit(0.6 if steady else 0.45, ev, params)
        if d.verdict == "not_learning":
            if f.spikes or f.first_spike is not None:
                return None  # a spike says the rate is too high, not too low (lower-lr)
            ev = (
                f"{barely_moved(f)}; {why_lr}. If the "
                f"rate is tiny (below 1e-5), raise it; if not, look for a bug first (see randomization-test)."
            )
            return self.hit(0.5 if (lr is None or lr.peak > 1e-5) else 0.75, ev, params)
        if d.verdict in ("underfitting", "overfitting_and_underfitting"):
            if not f.train_still_falling:
                # after a step cut, the rate in force is the last one; a smooth schedule is read by its peak
                now = lr.last if sch is not None and sch.kind == "step" else lr.peak if lr is not None else 1.0
                if lr is not None and now < 1e-5:
                    ev = f"{f.train_name} flattened at {fmt(float(f.train[-1]))} with a rate of {fmt(now)}: {why_lr}."
                    return self.hit(0.55, ev, params)
                return None
            ev = (
                f"{f.train_name} is still falling at the end ({fmt(abs(f.train_end_slope))} per {u}) while it "
                f"underfits; {why_lr}."
            )
            return self.hit(0.55, ev, params)
        return None
