from __future__ import annotations

from ..base import Fix, Rule


class ClassWeights(Rule):
    id = "class-weights"
    title = "Check the predicted classes, and weight the classes"
    group = "data"
    why = (
        "A classifier whose accuracies stopped moving while its loss settled often predicts one class "
        "for every sample: on an imbalanced set the majority class is the cheapest answer, and the loss "
        "falls to the entropy of the class shares without the model learning anything else."
    )
    what = """\
First counts the classes the model predicts on the validation split. If it predicts one class
(or nearly), weights each class by the inverse of its share in the training labels, so that a
rare class counts as much as a common one, and trains again (Keras `class_weight` in `fit`,
PyTorch `CrossEntropyLoss(weight=...)`); resampling the rare class (`WeightedRandomSampler`)
or a focal loss do the same job. If it predicts several classes, the decisions are stuck for
another reason: too much regularization or a learning rate too low to move them."""
    helps = """\
The training and validation accuracies each hold one value, below 1, over the last half of the
run or more (`frozen_decisions`): no sample changes class while the weights keep moving."""
    hurts = """\
- Weights trade the common class's accuracy for the rare one's: accuracy can fall while the
  rare class's recall rises. Judge by a per-class metric (recall, F1, balanced accuracy).
- Weighted and unweighted losses are not on one scale: compare runs by the same metric.
- It does nothing for a model that predicts several classes: see `more-capacity`,
  `less-regularization` and `higher-lr`."""
    suggested_when = """\
Underfitting (or overfitting and underfitting) with frozen decisions; first when the frozen
decisions decided the verdict."""
    ranking = """\
`0.92` when the frozen decisions decided the verdict (deciding test `frozen`); `0.75` when the
run underfits by its loss as well (the bias test decided) and its decisions froze. Silent
otherwise."""
    references = (
        "King, G. & Zeng, L. (2001). Logistic Regression in Rare Events Data. Political Analysis 9(2).",
        "He, H. & Garcia, E. A. (2009). Learning from Imbalanced Data. IEEE TKDE 21(9).",
        "Keras `Model.fit(class_weight=...)`: https://keras.io/api/models/model_training_apis/#fit-method",
        "PyTorch `CrossEntropyLoss(weight=...)`: https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html",
    )
    defaults = {"epochs": 100}
    fix = Fix(
        keras="""\
import numpy as np

# the check: a model whose decisions froze often predicts one class for every sample
predicted = model.predict(x_val, verbose=0).argmax(axis=1)
print("predicted classes on validation:", np.bincount(predicted, minlength=num_classes))

# weight each class by the inverse of its share in the training labels
counts = np.bincount(y_train, minlength=num_classes)
class_weight = {c: len(y_train) / (num_classes * max(int(n), 1)) for c, n in enumerate(counts)}
model = build_model()
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs}, class_weight=class_weight)
""",
        pytorch="""\
import torch

# the check: a model whose decisions froze often predicts one class for every sample
model.eval()
with torch.no_grad():
    predicted = model(x_val).argmax(dim=1)
print("predicted classes on validation:", torch.bincount(predicted, minlength=num_classes).tolist())

# weight each class by the inverse of its share in the training labels
counts = torch.bincount(y_train, minlength=num_classes).float()
loss_fn = torch.nn.CrossEntropyLoss(weight=len(y_train) / (num_classes * counts.clamp(min=1)))
# train again with this loss_fn in place of the unweighted one
""",
    )

    def check(self, f, ctx):
        d = f.d
        fr = d.frozen
        if fr is None or d.verdict not in ("underfitting", "overfitting_and_underfitting"):
            return None
        ev = (
            f"{fr.held(d.unit)}: no sample changes class, which a model predicting one class for every sample "
            f"logs. Count the classes it predicts on the validation "
            f"split: if it is one, weight the classes by the inverse of their shares; if not, its decisions are "
            f"stuck for another reason (too much regularization, a learning rate too low)."
        )
        return self.hit(0.92 if d.deciding_test == "frozen" else 0.75, ev, {"epochs": f.total_epochs})
