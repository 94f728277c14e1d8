"""``smaller-model``: half the capacity, through the ``width`` or ``scale`` keyword of the
spec's ``model()`` (an int default is halved, a float one or none becomes 0.5 x).

The smaller model's weights are drawn from the same seed, but cannot be the baseline's (the
shapes differ). Skipped when ``model()`` takes no such keyword, or the result is not smaller.
"""

from __future__ import annotations

from . import Fix, register


@register
class SmallerModel(Fix):
    id = "smaller-model"
    title = "Smaller model (width/scale)"
    order = 10

    def skip_reason(self, prep):
        return None if prep.smaller else prep.smaller_reason

    def describe(self, prep):
        ((kw, value),) = prep.smaller.items()
        return f"model({kw}={value!r}): {prep.smaller_param_count:,} parameters instead of {prep.param_count:,}"

    def configure(self, recipe, prep):
        recipe.model_kwargs.update(prep.smaller)
