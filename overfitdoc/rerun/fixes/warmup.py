"""``warmup``: the learning rate ramps up linearly over the first ``n`` steps, a tenth of the
run's (at least one epoch's): step ``k`` uses ``(k + 1) / n`` of the spec's rate, then all of it.

``torch.optim.lr_scheduler.LambdaLR`` stepped after every batch. Adam's moment estimates
are poor over the first steps, and large early steps on a fresh network are what blows a loss
up in its first epoch (Goyal et al. 2017; Liu et al. 2020). It cannot share a variant with
``lr-schedule``, whose one-cycle schedule warms up too and sets the rate at every step.
"""

from __future__ import annotations

from torch.optim.lr_scheduler import LambdaLR

from . import Fix, register

SHARE = 0.1


def warmup_steps(prep, batch_size: int) -> int:
    per_epoch = prep.steps_per_epoch(batch_size)
    total = prep.epochs * per_epoch
    return max(1, min(total, max(per_epoch, round(SHARE * total))))


@register
class Warmup(Fix):
    id = "warmup"
    title = "Linear learning-rate warm-up"
    order = 60
    conflicts = {"lr-schedule": "both set the learning rate at every step (the one-cycle schedule warms up too)"}

    def skip_reason(self, prep):
        if prep.epochs * prep.steps_per_epoch(prep.batch_size) < 2:
            return "a single training step: nothing to warm up"
        return None

    def describe(self, prep):
        n = warmup_steps(prep, prep.batch_size)
        return f"LambdaLR: lr ramps linearly up to {prep.optimizer.lr:g} over the first {n} steps, per batch"

    def install(self, trainer):
        n = warmup_steps(trainer.prep, trainer.batch_size)
        trainer.step_schedulers.append(LambdaLR(trainer.optimizer, lambda step: min(1.0, (step + 1) / n)))
