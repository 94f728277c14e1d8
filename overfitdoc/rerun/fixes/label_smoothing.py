"""``label-smoothing``: train against softened targets, so the model stops pushing its
logits towards certainty (0.1 of the probability spread over the classes; Szegedy et al.).

Cross-entropy: ``CrossEntropyLoss(label_smoothing=0.1)`` with the spec's class weights and
``ignore_index``. BCE-with-logits: targets ``y * 0.9 + 0.05``. Only the gradient changes: the
logged ``loss`` and ``val_loss`` stay the spec's own loss, comparable with the baseline's.
Skipped for regression and custom losses (there are no labels to smooth).
"""

from __future__ import annotations

from torch import nn

from ..prepare import TargetsLikeOutputs
from . import Fix, register

SMOOTHING = 0.1


@register
class LabelSmoothing(Fix):
    id = "label-smoothing"
    title = "Label smoothing"
    order = 40

    def skip_reason(self, prep):
        c = prep.criterion
        if isinstance(c, nn.CrossEntropyLoss):
            if c.label_smoothing >= SMOOTHING:
                return f"the spec's loss already smooths labels by {c.label_smoothing:g}"
            return None
        if isinstance(c, TargetsLikeOutputs) and isinstance(c.loss, nn.BCEWithLogitsLoss):
            return None
        if prep.task == "regression":
            return f"the loss ({prep.loss_name}) is a regression loss: there are no labels to smooth"
        return f"the loss ({prep.loss_name}) is not CrossEntropyLoss or BCEWithLogitsLoss; set one as `loss` to smooth labels"

    def describe(self, prep):
        return f"label_smoothing={SMOOTHING:g} in the training loss"

    def install(self, trainer):
        c = trainer.criterion
        if isinstance(c, nn.CrossEntropyLoss):
            trainer.train_criterion = nn.CrossEntropyLoss(
                weight=c.weight, ignore_index=c.ignore_index, reduction=c.reduction, label_smoothing=SMOOTHING
            )
        else:
            trainer.train_criterion = TargetsLikeOutputs(c.loss, label_smoothing=SMOOTHING)
