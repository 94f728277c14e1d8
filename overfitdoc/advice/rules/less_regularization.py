from __future__ import annotations

from ...numbers import pct
from ..base import Fix, Rule
from ..facts import fmt


class LessRegularization(Rule):
    id = "less-regularization"
    title = "Reduce the regularization"
    group = "regularization"
    why = (
        "A model that underfits while validation matches (or beats) training is held back, not "
        "overfitting: dropout, weight decay and augmentation cost bias and buy nothing here."
    )
    what = """\
Lowers the dropout rates, the weight decay or L2 factors, and the strength of augmentation, one
at a time (for example dropout 0.5 to 0.1, weight decay 10x smaller)."""
    helps = """\
Underfitting with a tiny or negative gap: the training loss (measured with dropout and
augmentation on) sits at or above the validation loss, and both are high."""
    hurts = """\
- Remove too much and the gap opens: reduce step by step and watch it.
- If the model has no regularization at all, this does nothing: make it bigger instead."""
    suggested_when = (
        "Underfitting, or overfitting and underfitting, with a gap within 5% of the training value (or negative)."
    )
    ranking = """\
Underfitting runs whose final gap is at most 5% of the training value: `0.62` when validation
ends better than training (training is held back by its regularization), `0.5` otherwise."""
    references = (
        "Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, chapter 7. MIT Press.",
        "Ng, A. (2018). Machine Learning Yearning, chapter 27 (techniques for reducing avoidable bias).",
    )
    defaults = {"dropout": 0.1, "weight_decay": 1e-4, "l2": 1e-5, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

# Rebuild with milder settings: a lower dropout rate, a smaller L2 factor (or none)
model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.Dense(256, activation="relu", kernel_regularizer=keras.regularizers.L2(${l2})),
    keras.layers.Dropout(${dropout}),
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch import nn

for module in model.modules():
    if isinstance(module, nn.Dropout):
        module.p = ${dropout}  # e.g. from 0.5
for group in optimizer.param_groups:
    group["weight_decay"] = ${weight_decay}  # e.g. 10x less
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in ("underfitting", "overfitting_and_underfitting"):
            return None
        rel = d.gap.relative_final
        if rel is None or rel > 0.05:
            return None
        if rel < 0:
            ev = (
                f"{f.val_name} ends better than {f.train_name} ({fmt(float(f.val[-1]))} vs {fmt(float(f.train[-1]))}, "
                f"{pct(-rel)} better) while both are high: training is measured with regularization on and "
                f"is held back by it."
            )
            score = 0.62
        else:
            ev = (
                f"{f.val_name} is within {pct(rel)} of {f.train_name} at the end (gap {fmt(d.gap.final)}) while both "
                f"are high: there is no variance to regularize away; if the model has dropout, weight decay or "
                f"augmentation, reduce them."
            )
            score = 0.5
        return self.hit(score, ev, {"dropout": 0.1, "weight_decay": 1e-4, "l2": 1e-5})
