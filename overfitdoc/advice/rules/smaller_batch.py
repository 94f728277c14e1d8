from __future__ import annotations

from ..base import Fix, Rule
from ..phrases import OVERFIT, cap, gap_phrase


class SmallerBatch(Rule):
    id = "smaller-batch"
    title = "Train with smaller batches"
    group = "optimization"
    why = (
        "The gradient noise of small batches keeps the optimizer out of sharp minima, which tend to "
        "generalize worse than the flat ones it finds instead."
    )
    what = """\
Lowers the batch size (for example from 256 to 32). Keep the learning rate in proportion:
halving the batch, halve the learning rate (linear scaling), or retune it."""
    helps = """\
Overfitting runs trained with large batches (hundreds or thousands of samples per step),
where Keskar et al. (2017) measured a generalization gap that smaller batches close."""
    hurts = """\
- Slower epochs (less parallelism), and noisier training curves.
- Batch normalization becomes unreliable below about 16 samples per batch.
- With a well-tuned learning-rate schedule, large batches can generalize as well (Goyal et al., 2017):
  the batch size is rarely the first thing to change."""
    suggested_when = "High variance, low in the ranking: it is a secondary knob."
    ranking = """\
`0.25` for an overfitting run (the log does not say the batch size)."""
    references = (
        "Keskar, N. S. et al. (2017). On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima. ICLR.",
        "Masters, D. & Luschi, C. (2018). Revisiting Small Batch Training for Deep Neural Networks. arXiv:1804.07612.",
    )
    defaults = {"batch_size": 32, "epochs": 100}
    fix = Fix(
        keras="""\
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          batch_size=${batch_size}, epochs=${epochs})
""",
        pytorch="""\
from torch.utils.data import DataLoader

train_loader = DataLoader(train_dataset, batch_size=${batch_size}, shuffle=True)
for group in optimizer.param_groups:
    group["lr"] = group["lr"] / 2  # e.g. halve it when the batch is halved (linear scaling)
""",
    )

    def check(self, f, ctx):
        if f.d.verdict not in OVERFIT:
            return None
        ev = (
            cap(gap_phrase(f))
            + "; if the batches are large (hundreds of samples), smaller ones add regularizing gradient noise."
        )
        return self.hit(0.25, ev, {"batch_size": 32})
