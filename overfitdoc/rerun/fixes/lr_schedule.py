"""``lr-schedule``: a one-cycle learning rate (Smith 2018) over the whole run.

``torch.optim.lr_scheduler.OneCycleLR``, stepped after every batch: warm up for 30% of the
steps from peak/25 to a peak of 4 x the spec's learning rate, then cosine annealing to
peak/1e5 (``OneCycleLR``'s defaults otherwise). Only the learning rate cycles; momentum
is left as the spec set it.
"""

from __future__ import annotations

from torch.optim.lr_scheduler import OneCycleLR

from . import Fix, register

PEAK_FACTOR = 4.0
MIN_STEPS = 10


@register
class LrSchedule(Fix):
    id = "lr-schedule"
    title = "One-cycle learning-rate schedule"
    order = 60

    def skip_reason(self, prep):
        steps = prep.epochs * prep.steps_per_epoch(prep.batch_size)
        if steps < MIN_STEPS:
            return f"only {steps} training steps: too few for a schedule"
        return None

    def describe(self, prep):
        return f"OneCycleLR, peak {PEAK_FACTOR:g} x lr = {PEAK_FACTOR * prep.optimizer.lr:g}, per batch"

    def install(self, trainer):
        steps = trainer.epochs * trainer.prep.steps_per_epoch(trainer.batch_size)
        peaks = [PEAK_FACTOR * float(g["lr"]) for g in trainer.optimizer.param_groups]
        scheduler = OneCycleLR(trainer.optimizer, max_lr=peaks, total_steps=steps, cycle_momentum=False)
        trainer.step_schedulers.append(scheduler)
