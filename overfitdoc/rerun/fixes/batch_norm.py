"""``batch-norm``: a batch normalisation after every hidden layer, by module surgery on the
built model (:func:`..surgery.add_batch_norm`), never by editing the user's class.

Every hidden ``nn.Linear`` / ``nn.Conv1d/2d/3d`` (each but the last one the forward pass
calls) that is not already followed by a norm layer becomes ``nn.Sequential(layer,
BatchNorm)``: ``BatchNorm1d`` after a linear layer or a ``Conv1d``, ``BatchNorm2d`` /
``BatchNorm3d`` after a ``Conv2d`` / ``Conv3d``, with torch's defaults (momentum 0.1, weight
1, bias 0). So it sits between the layer and its activation, as in Ioffe and Szegedy (2015).
The layers keep the baseline's initial weights; in evaluation mode the batch norms use their
running statistics, as ``nn.BatchNorm`` does.

Skipped, with the reason, for a model it cannot rebuild (see :mod:`..surgery`), a linear layer
whose output is not (N, features), or a model whose hidden layers are all normalised already.
"""

from __future__ import annotations

from torch import nn

from ..surgery import CannotRebuild, add_batch_norm
from . import Fix, register


@register
class BatchNorm(Fix):
    id = "batch-norm"
    title = "Batch normalisation after the hidden layers (module surgery)"
    order = 15  # after smaller-model: it normalises the widths the model ends up with

    def _wrapped(self, prep) -> tuple[nn.Module, list[str]]:
        return add_batch_norm(prep.build_model(0), prep.sample)

    def skip_reason(self, prep):
        try:
            self._wrapped(prep)
        except CannotRebuild as e:
            return f"cannot add batch norms: {e}"
        return None

    def describe(self, prep):
        model, wrapped = self._wrapped(prep)
        layers = dict(model.named_modules())
        kinds = "/".join(sorted({type(layers[n][1]).__name__ for n in wrapped}))
        shown = ", ".join(f"{n} {type(layers[n][0]).__name__}" for n in wrapped)
        return f"{kinds} between each hidden layer and its activation ({shown})"

    def configure(self, recipe, prep):
        recipe.model_surgery.append(lambda model, seed: add_batch_norm(model, prep.sample)[0])
