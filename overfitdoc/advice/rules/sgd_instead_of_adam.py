from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, cap, gap_phrase


class SgdInsteadOfAdam(Rule):
    id = "sgd-instead-of-adam"
    title = "Try SGD with momentum instead of Adam"
    group = "optimization"
    why = (
        "Adaptive optimizers reach a low training loss fast but often generalize worse than SGD with "
        "momentum, which on the same budget tends to settle in flatter minima."
    )
    what = """\
Replaces Adam (or RMSprop) by SGD with momentum 0.9 (Nesterov), with a learning rate about 10
to 100 times larger than Adam's (0.01 to 0.1) and a schedule (step or cosine decay); add
weight decay (5e-4 is common for vision)."""
    helps = """\
Image classification with convolutional networks, where SGD is still the reference for the
best test accuracy, and overfitting runs trained with Adam. AdamW with weight decay closes much
of the difference; try that first if you prefer Adam."""
    hurts = """\
- SGD needs a tuned learning rate and a schedule; without them it is slower and can underfit.
- Transformers and many NLP models train poorly with SGD: keep Adam(W) there.
- It is one more change to tune; on a tight budget early stopping and weight decay come first."""
    suggested_when = "High variance, low in the ranking; higher with `--task image`, never with `--task text`."
    ranking = """\
Overfitting runs (not `--task text`): `score = 0.28 + 0.1 x [--task image]`, `+ 0.05` when the
logged rate's highest value is Adam-scale (3e-3 or below), `- 0.1` when it is above (already
SGD-scale)."""
    references = (
        "Wilson, A. C., Roelofs, R., Stern, M., Srebro, N. & Recht, B. (2017). The Marginal Value of Adaptive Gradient Methods in Machine Learning. NeurIPS.",
        "Keskar, N. S. & Socher, R. (2017). Improving Generalization Performance by Switching from Adam to SGD. arXiv:1712.07628.",
    )
    defaults = {"lr": 0.05, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=${lr}, momentum=0.9, nesterov=True),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
import torch

optimizer = torch.optim.SGD(model.parameters(), lr=${lr}, momentum=0.9, nesterov=True, weight_decay=5e-4)
""",
    )

    def check(self, f, ctx):
        if f.d.verdict not in OVERFIT or ctx.task == "text":
            return None
        score = 0.28 + (0.1 if ctx.task == "image" else 0.0)
        ev = cap(gap_phrase(f)) + "."
        lr = 0.05
        if f.lr is not None:
            rate = fmt(f.lr.peak) if f.lr.constant else f"peak {fmt(f.lr.peak)}"  # never an annealed last value
            if f.lr.peak <= 3e-3:
                ev += f" The {f.lr.column} column ({rate}) is an Adam-scale rate; SGD needs about 10-100x more."
                score += 0.05
                lr = min(0.1, max(0.01, 30 * f.lr.peak))
            else:
                ev += f" The {f.lr.column} column ({rate}) already looks like an SGD rate."
                score -= 0.1
        else:
            ev += " If this model trains with Adam, SGD with momentum often generalizes better."
        return self.hit(score, ev, {"lr": lr})
