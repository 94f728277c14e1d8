from __future__ import annotations

from ..base import Fix, Rule, Skip
from ..facts import fmt
from ..phrases import OVERFIT


class LabelSmoothing(Rule):
    id = "label-smoothing"
    title = "Use label smoothing"
    group = "regularization"
    why = (
        "Training towards 0.9 instead of 1.0 for the true class stops the logits from growing without "
        "bound, so the model stays calibrated instead of becoming confidently wrong."
    )
    what = """\
Replaces the one-hot target by `1 - eps` for the true class and `eps / k` spread over the `k`
classes (eps about 0.1). Keras: `CategoricalCrossentropy(label_smoothing=0.1)` (one-hot labels);
PyTorch: `nn.CrossEntropyLoss(label_smoothing=0.1)`."""
    helps = """\
Classifiers whose validation loss rises while validation accuracy holds: the model gets
over-confident on the samples it gets wrong, which the loss punishes and the accuracy does not
see. Also a standard regularizer for image and text classifiers with many classes."""
    hurts = """\
- The logged loss then includes the smoothing: it no longer falls towards 0, and validation
  loss values are not comparable with earlier runs (compare accuracy, or log plain
  cross-entropy as a metric).
- It erases information useful for knowledge distillation (Mueller et al., 2019).
- Only for classification."""
    suggested_when = """\
High variance in a classifier (an accuracy series is logged); ranked high when the validation
loss rose while validation accuracy did not fall. Skipped when the run has no accuracy series
to show it is a classifier."""
    ranking = """\
Overfitting classifiers with an accuracy series: `0.62` when the loss rose but the accuracy did
not fall beyond its noise (over-confidence), else `0.35`."""
    references = (
        "Szegedy, C. et al. (2016). Rethinking the Inception Architecture for Computer Vision. CVPR (section 7).",
        "Mueller, R., Kornblith, S. & Hinton, G. (2019). When Does Label Smoothing Help? NeurIPS.",
        "Guo, C., Pleiss, G., Sun, Y. & Weinberger, K. Q. (2017). On Calibration of Modern Neural Networks. ICML.",
    )
    defaults = {"smoothing": 0.1, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

# Label smoothing needs one-hot targets
y_train_1h = keras.utils.to_categorical(y_train, num_classes)
y_val_1h = keras.utils.to_categorical(y_val, num_classes)
model.compile(
    optimizer="adam",
    loss=keras.losses.CategoricalCrossentropy(label_smoothing=${smoothing}),
    metrics=["accuracy", keras.metrics.CategoricalCrossentropy(name="plain_ce")],  # unsmoothed, to compare
)
model.fit(x_train, y_train_1h, validation_data=(x_val, y_val_1h), epochs=${epochs})
""",
        pytorch="""\
import torch

loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=${smoothing})  # for training
plain_loss_fn = torch.nn.CrossEntropyLoss()  # for the validation numbers you log
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in OVERFIT:
            return None
        if f.score is None or not f.is_accuracy:
            return Skip("no accuracy series: label smoothing is for classifiers, and the log does not show this is one")
        if f.accuracy_holds:
            at_rec, at_end, _ = f.score_after_best
            ev = (
                f"{f.val_name} rose after {f.unit} {d.recommended_epoch} while {f.score.pair.val} went from "
                f"{fmt(at_rec)} to {fmt(at_end)} (trend): the model grows confident on the samples it gets wrong, "
                f"which smoothing prevents."
            )
            return self.hit(0.62, ev, {"smoothing": 0.1})
        ev = (
            f"The classifier's gap ends at {fmt(d.gap.final)} ({f.val_name} {fmt(float(f.val[-1]))}); smoothing the "
            f"targets keeps its logits from growing to fit every training sample with certainty."
        )
        return self.hit(0.35, ev, {"smoothing": 0.1})
