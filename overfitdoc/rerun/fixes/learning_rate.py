"""``lower-lr`` and ``higher-lr``: the spec's learning rate, scaled on every parameter group.

* ``lower-lr`` divides it by 10, as the advice's snippet does: steps that overshoot (spikes,
  NaN, a loss that blows up and then sits at chance, validation that swings while training is
  smooth) come back into range.
* ``higher-lr`` multiplies it by 3, as the advice says ("try about 3x the rate"): a run that
  creeps down, or sits on a plateau with steps too small to move.

Everything else in the optimizer stays as the spec built it. A schedule named with it
(``lower-lr+lr-schedule``) scales from the new rate.
"""

from __future__ import annotations

from . import Fix, register


class _ScaledLr(Fix):
    factor: float = 1.0
    order = 30

    def describe(self, prep):
        lr = prep.optimizer.lr
        return f"{prep.optimizer.name}: lr {lr:g} -> {lr * self.factor:g} on every parameter group"

    def install(self, trainer):
        for group in trainer.optimizer.param_groups:
            group["lr"] = float(group["lr"]) * self.factor


@register
class LowerLr(_ScaledLr):
    id = "lower-lr"
    title = "Learning rate divided by 10"
    factor = 0.1
    conflicts = {"higher-lr": "one divides the rate the other multiplies"}


@register
class HigherLr(_ScaledLr):
    id = "higher-lr"
    title = "Learning rate multiplied by 3"
    factor = 3.0
