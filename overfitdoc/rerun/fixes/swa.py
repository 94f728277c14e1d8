"""``swa``: stochastic weight averaging (Izmailov et al. 2018) over the last quarter of the run.

``torch.optim.swa_utils``: from epoch ``int(0.75 x epochs) + 1`` (epochs counted from 1) the weights are averaged at the end
of each epoch into an ``AveragedModel``, the learning rate is held at the spec's learning
rate by ``SWALR`` (cosine annealing into it over 5% of the epochs, at least one; a one-cycle
schedule stops there), BatchNorm statistics of the averaged model are recomputed on the
training set, and the averaged model is the one validated from then on and the final model.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel

from ..trainer import Callback
from . import Fix, register

START_SHARE = 0.75
MIN_EPOCHS = 4


def start_epoch(epochs: int) -> int:
    """The first averaged epoch, counted from 1 (the last quarter of the run)."""
    return max(1, int(START_SHARE * epochs)) + 1


@register
class StochasticWeightAveraging(Fix):
    id = "swa"
    title = "Stochastic weight averaging"
    order = 80

    def skip_reason(self, prep):
        if prep.epochs < MIN_EPOCHS:
            return f"{prep.epochs} epochs are too few to average over (at least {MIN_EPOCHS})"
        return None

    def describe(self, prep):
        return f"average the weights of epochs {start_epoch(prep.epochs)}-{prep.epochs} at lr {prep.optimizer.lr:g}"

    def install(self, trainer):
        trainer.callbacks.append(WeightAveraging(start_epoch(trainer.epochs), trainer.prep.optimizer.lr))


class WeightAveraging(Callback):
    def __init__(self, start: int, swa_lr: float):
        self.start = start
        self.swa_lr = swa_lr
        self.averaged: AveragedModel | None = None
        self.scheduler: SWALR | None = None

    def on_train_epoch_end(self, trainer, epoch):
        if epoch == self.start - 1:
            # SWALR takes over the learning rate from the next epoch (created now, it leaves the
            # rate as it is until its first step at the end of that epoch)
            anneal = max(1, round(0.05 * trainer.epochs))
            self.scheduler = SWALR(trainer.optimizer, swa_lr=self.swa_lr, anneal_epochs=anneal)
            trainer.step_schedulers.clear()
        if epoch < self.start:
            return
        if self.averaged is None:
            self.averaged = AveragedModel(trainer.model)
            trainer.eval_model = self.averaged
            trainer.swa_model = self.averaged
            trainer.note(f"weights averaged from epoch {epoch}; val_loss from there is the averaged model's")
        self.averaged.update_parameters(trainer.model)
        if self.scheduler is not None:
            self.scheduler.step()
        update_batchnorm(self.averaged, trainer)

    def on_train_end(self, trainer):
        if self.averaged is not None:
            trainer.final_model = self.averaged


@torch.no_grad()
def update_batchnorm(model: nn.Module, trainer) -> None:
    """``swa_utils.update_bn`` for models with several inputs: one pass over the training
    set in training mode with cumulative BatchNorm statistics."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = {}
    for m in norms:
        m.reset_running_stats()
        momenta[m] = m.momentum
        m.momentum = None
    was_training = model.training
    model.train()
    for inputs, _ in trainer.train_batches():
        with trainer.autocast():
            model(*inputs)
    for m in norms:
        m.momentum = momenta[m]
    model.train(was_training)
