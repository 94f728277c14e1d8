"""``class-weights``: train against a cross-entropy weighted by the inverse of each class's share
of the training labels, ``n / (k * count)`` for ``k`` classes (King & Zeng), so that a rare class
counts as much as a common one: the fix for a model that predicts one class for every sample.
Only the gradient changes: the logged ``loss`` and ``val_loss`` stay the spec's own unweighted
loss, comparable with the baseline's. Skipped for a loss that is not ``CrossEntropyLoss``, one
that already weights its classes, and targets that are not class indices or hold one class.
"""

from __future__ import annotations

import weakref

import torch
from torch import nn

from ...numbers import fmt
from ..data import TensorSplit, split_item
from . import Fix, register

#: each training split's class counts, counted once (a Dataset too big to hold is read whole to
#: count them; skip_reason, describe and every seed's install ask again), dropped with the split
_COUNTS: dict[int, torch.Tensor | None] = {}


def class_counts(prep) -> torch.Tensor | None:
    """How many training samples of each class (index = class), or None when the targets are
    not one class index per sample."""
    split = prep.train
    key = id(split)
    if key not in _COUNTS:
        _COUNTS[key] = _count(split)
        weakref.finalize(split, _COUNTS.pop, key, None)
    return _COUNTS[key]


def _count(split) -> torch.Tensor | None:
    if isinstance(split, TensorSplit):
        parts = [split.targets]
    else:
        parts = [split_item(item, "a training sample")[1] for item in torch.utils.data.DataLoader(split.dataset, 512)]
    y = torch.cat(parts).cpu()
    if y.dim() != 1 or y.dtype.is_floating_point or y.dtype == torch.bool or not len(y) or int(y.min()) < 0:
        return None
    return torch.bincount(y.long())


def class_weights(prep) -> torch.Tensor:
    """``n / (k * count)`` per class of the training labels, a class with no sample taken as
    one (only called once :meth:`ClassWeights.skip_reason` found class indices)."""
    counts = class_counts(prep)
    assert counts is not None
    return float(counts.sum()) / (len(counts) * counts.clamp(min=1).float())


@register
class ClassWeights(Fix):
    id = "class-weights"
    title = "Class weights"
    order = 41
    conflicts = {"label-smoothing": "both set the training loss; class-weights keeps the spec's smoothing"}

    def skip_reason(self, prep):
        c = prep.criterion
        if not isinstance(c, nn.CrossEntropyLoss):
            return f"the loss ({prep.loss_name}) is not CrossEntropyLoss; set one as `loss` to weight classes"
        if c.weight is not None:
            return "the spec's loss already weights its classes"
        counts = class_counts(prep)
        if counts is None:
            return "the training targets are not one class index per sample"
        if int((counts > 0).sum()) < 2:
            return "the training labels hold one class: there is nothing to weight"
        return None

    def describe(self, prep):
        w = class_weights(prep)
        return f"CrossEntropyLoss weighted by inverse class shares (weights {fmt(float(w.min()))} to {fmt(float(w.max()))})"

    def install(self, trainer):
        c = trainer.criterion
        w = class_weights(trainer.prep).to(trainer.device)
        trainer.train_criterion = nn.CrossEntropyLoss(
            weight=w, ignore_index=c.ignore_index, reduction=c.reduction, label_smoothing=c.label_smoothing
        )
