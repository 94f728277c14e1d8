"""``smaller-batch``: half the batch size, so each epoch takes twice as many, noisier steps
(small batches generalise better; Keskar et al. 2017). The learning rate is unchanged.
Skipped when the batch is already 8 samples or fewer.
"""

from __future__ import annotations

from . import Fix, register

MIN_BATCH = 8


def smaller(prep) -> int:
    return max(1, prep.effective_batch // 2)


@register
class SmallerBatch(Fix):
    id = "smaller-batch"
    title = "Smaller batch"
    order = 10

    def skip_reason(self, prep):
        if prep.effective_batch <= MIN_BATCH:
            return f"the batch is already {prep.effective_batch} samples"
        return None

    def describe(self, prep):
        return f"batch size {prep.effective_batch} -> {smaller(prep)}"

    def configure(self, recipe, prep):
        recipe.batch_size = smaller(prep)
