"""``smaller-model``: half the capacity.

* When the spec's ``model()`` takes a ``width`` or ``scale`` keyword, through it: an int
  default is halved (rounded down), a float one or none becomes 0.5 x. The spec knows best
  what its width means.
* Otherwise by module surgery on the built model (:func:`..surgery.shrink`): every hidden
  ``nn.Linear`` / ``nn.Conv1d/2d/3d`` layer (each but the last one the forward pass calls) is
  rebuilt at half its ``out_features`` / ``out_channels`` (rounded down, at least 1); each
  layer after one gets the input size that now reaches it (through activations, dropout,
  pooling and flattening, as the model's own ``forward`` computes it), and the norm layers
  (``BatchNorm``, ``LayerNorm``, ``GroupNorm``, ``InstanceNorm``, per-channel ``PReLU``)
  after a resized layer are rebuilt for its channels. The model's input and output sizes stay.
  Skipped, with the reason, for a model it cannot rebuild: parameters outside those layers
  (an LSTM, attention, a custom ``nn.Parameter``), a grouped or transposed convolution, a
  layer called twice, fewer than two weighted layers, or a ``forward()`` that fails on the
  rebuilt layers (it reads a layer's sizes, or hard-codes a width).

Either way the smaller model's weights are drawn from the run's seed, but cannot be the
baseline's (the shapes differ); by surgery, the layers whose shapes did not change keep them.
Skipped when the result is not smaller.
"""

from __future__ import annotations

from ..prepare import SHRINK
from ..surgery import shrink
from . import Fix, register


@register
class SmallerModel(Fix):
    id = "smaller-model"
    title = "Smaller model (half the hidden widths)"
    order = 10

    def skip_reason(self, prep):
        return None if (prep.smaller or prep.smaller_layers) else prep.smaller_reason

    def describe(self, prep):
        counts = f"{prep.smaller_param_count:,} parameters instead of {prep.param_count:,}"
        if prep.smaller:
            ((kw, value),) = prep.smaller.items()
            return f"model({kw}={value!r}): {counts}"
        layers = ", ".join(f"{r.name} {r.kind} {r.before}->{r.after}" for r in prep.smaller_layers)
        return f"hidden widths x{SHRINK:g}, layers rebuilt ({layers}): {counts}"

    def configure(self, recipe, prep):
        if prep.smaller:
            recipe.model_kwargs.update(prep.smaller)
        else:
            recipe.model_surgery.append(lambda model, seed: shrink(model, prep.sample, SHRINK, seed)[0])
