from __future__ import annotations

import numpy as np

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT


class CleanLabels(Rule):
    id = "clean-labels"
    title = "Find and fix mislabeled samples and outliers"
    group = "data"
    why = (
        "Networks learn the clean patterns first and memorize wrong labels last; when validation "
        "gets worse while training approaches a perfect fit, the late epochs are fitting noise."
    )
    what = """\
Ranks the training samples by their loss under the model from the best epoch: mislabeled
samples, duplicates with conflicting labels and outliers crowd the top. Inspect the top of the
list; fix, drop or down-weight the wrong ones (confident learning, e.g. the `cleanlab` package,
automates this with cross-validated predictions)."""
    helps = """\
When training accuracy approaches 100% late in the run while validation accuracy falls from an
early peak: the signature of memorizing noisy labels (Arpit et al., 2017). Crowd-sourced or
weakly labelled data sets often have 5-20% wrong labels."""
    hurts = """\
- Dropping every hard sample removes the rare cases the model most needs: inspect, do not drop
  blindly.
- Use losses from a model that did not train on the sample (cross-validation), or from an
  early epoch; a model that memorized it will show a low loss."""
    suggested_when = """\
High variance with a memorization signature: the training series reaches a near-perfect fit
(accuracy 0.99 or more, or a loss below 5% of its start) while validation turned worse."""
    ranking = """\
Only for overfitting runs whose training reached a near-perfect fit (accuracy 0.99 or more, or
a loss below 5% of where it started): `score = 0.45`, `+ 0.15` when the paired validation
accuracy ended below its peak, `+ 0.1` when validation turned worse (a divergence)."""
    references = (
        "Arpit, D. et al. (2017). A Closer Look at Memorization in Deep Networks. ICML.",
        "Zhang, C., Bengio, S., Hardt, M., Recht, B. & Vinyals, O. (2017). Understanding Deep Learning Requires Rethinking Generalization. ICLR.",
        "Northcutt, C., Jiang, L. & Chuang, I. (2021). Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70.",
    )
    defaults = {"top_k": 50}
    fix = Fix(
        keras="""\
import numpy as np
import keras

# Per-sample training loss under the best model: wrong labels and outliers come first
probs = model.predict(x_train, verbose=0)
losses = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(y_train, probs))
suspects = np.argsort(losses)[::-1][:${top_k}]
print("inspect these training samples:", suspects.tolist())
""",
        pytorch="""\
import torch
import torch.nn.functional as F

# Per-sample training loss under the best model: wrong labels and outliers come first
model.eval()
with torch.no_grad():
    losses = F.cross_entropy(model(x_train), y_train, reduction="none")
suspects = losses.argsort(descending=True)[:${top_k}]
print("inspect these training samples:", suspects.tolist())
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in OVERFIT or f.memorised is None:
            return None
        name, value, epoch = f.memorised
        s = f.score
        turned = d.divergence_epoch is not None
        ev = f"{name} reached {fmt(value)} (near-perfect from {f.unit} {epoch})"
        score = 0.45
        if s is not None and s.pair != f.pair:
            i = int(np.argmax(s.val))
            peak, last = float(s.val[i]), float(s.val[-1])
            if peak - last > 0:
                ev += (
                    f" while {s.pair.val} peaked at {fmt(peak)} ({f.unit} {int(round(s.points[i]))}) "
                    f"and fell to {fmt(last)}"
                )
                score += 0.15
        if turned:
            ev += f", and {f.val_name} rose after {f.unit} {d.recommended_epoch}"
            score += 0.1
        ev += (
            ": the late epochs fit samples the model could not learn earlier, the signature of wrong "
            "labels or outliers; inspect the training samples with the highest loss."
        )
        return self.hit(score, ev, {"top_k": 50})
