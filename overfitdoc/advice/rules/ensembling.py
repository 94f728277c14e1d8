from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, cap, gap_phrase


class Ensembling(Rule):
    id = "ensembling"
    title = "Average an ensemble of models"
    group = "regularization"
    why = (
        "Models trained from different random seeds make partly independent errors; averaging their "
        "predictions cancels much of the variance that any one of them has."
    )
    what = """\
Trains `k` copies of the model (different seeds, or different folds of the data: bagging) and
averages their predicted probabilities. Five members capture most of the gain."""
    helps = """\
High-variance models where a few points of accuracy matter more than inference cost, and
noisy good fits. It is the most reliable way to reduce variance when the data cannot grow."""
    hurts = """\
- k times the training and inference cost (distillation into one model can recover it).
- No help for bias: an ensemble of underfitting models underfits.
- Members must differ: same seed and same data gives k copies of one model."""
    suggested_when = "High variance, or a good fit you want to push further; low in the ranking."
    ranking = """\
`0.27` for an overfitting run, `0.25` for a good fit; silent otherwise."""
    references = (
        "Dietterich, T. G. (2000). Ensemble Methods in Machine Learning. Multiple Classifier Systems, LNCS 1857.",
        "Lakshminarayanan, B., Pritzel, A. & Blundell, C. (2017). Simple and Scalable Predictive Uncertainty Estimation using Deep Ensembles. NeurIPS.",
    )
    defaults = {"members": 5, "epochs": 100}
    fix = Fix(
        keras="""\
import numpy as np
import keras

members = []
for seed in range(${members}):
    keras.utils.set_random_seed(seed)
    member = build_model()
    member.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs}, verbose=0,
               callbacks=[keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)])
    members.append(member)
probs = np.mean([m.predict(x_val, verbose=0) for m in members], axis=0)
print("ensemble validation accuracy:", np.mean(probs.argmax(axis=1) == y_val))
""",
        pytorch="""\
import torch

members = []
for seed in range(${members}):
    torch.manual_seed(seed)
    member = build_model()
    member_optimizer = torch.optim.Adam(member.parameters(), lr=1e-3)
    for epoch in range(${epochs}):
        train_one_epoch(member, member_optimizer)
    members.append(member.eval())
with torch.no_grad():
    probs = torch.stack([m(x_val).softmax(dim=1) for m in members]).mean(dim=0)
print("ensemble validation accuracy:", (probs.argmax(dim=1) == y_val).float().mean().item())
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict in OVERFIT:
            return self.hit(
                0.27,
                cap(gap_phrase(f)) + "; averaging 5 models trained from different seeds cancels much of that variance.",
                {"members": 5},
            )
        if d.verdict == "good_fit":
            ev = (
                f"The curves converged ({f.val_name} {fmt(float(f.val[-1]))}, gap {fmt(d.gap.final)}); to go "
                f"further without more data, average 5 models trained from different seeds."
            )
            return self.hit(0.25, ev, {"members": 5})
        return None
