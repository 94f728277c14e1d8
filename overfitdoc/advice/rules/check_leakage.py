from __future__ import annotations

from ...numbers import pct
from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import cap


class CheckLeakage(Rule):
    id = "check-leakage"
    title = "Check for leakage between training and validation"
    group = "checks"
    why = (
        "Validation that is better than training, or nearly perfect, can mean it shares samples or "
        "label-revealing features with training; then every other number in the report is optimistic."
    )
    what = """\
Looks for validation samples that also occur in training (exact or near duplicates, the same
patient, user, or time window on both sides), features computed with knowledge of the label or
of the whole data set, and time series split at random instead of by time. Then measures
training the way validation is measured (evaluation mode, no augmentation): if validation is
still clearly better, it is easier than training or it leaks."""
    helps = """\
Before any regularization, whenever validation beats training by a margin late in the run or
is suspiciously perfect. UMLAUT (Schoop et al., 2021) flags validation accuracy above 0.95, or
0.05 above training, for the same reason."""
    hurts = """\
Validation better than training is **normal** when dropout or augmentation is active in
training (the training numbers are measured with them on, validation without), when a Keras
regularization penalty is part of the training loss, and early in an epoch-averaged run (the
training value is a running mean of improving weights). The rule allows for the last; it cannot
see the first two, so it hedges."""
    suggested_when = """\
Validation better than training at the end by more than 10% of the training value (after
allowing half an epoch of training progress), validation accuracy 0.05 above training, or a
validation metric that is nearly perfect. Not for unstable runs or runs that do not learn,
whose training numbers are no baseline."""
    references = (
        "Kaufman, S., Rosset, S., Perlich, C. & Stitelman, O. (2012). Leakage in Data Mining: Formulation, Detection, and Avoidance. ACM TKDD 6(4).",
        "Schoop, E., Huang, F. & Hartmann, B. (2021). UMLAUT: Debugging Deep Learning Programs using Program Structure, Model Behavior, and Error Descriptions. CHI.",
        "Kapoor, S. & Narayanan, A. (2023). Leakage and the Reproducibility Crisis in Machine-Learning-Based Science. Patterns 4(9).",
    )
    fix = Fix(
        keras="""\
import numpy as np

# 1. Samples present on both sides (exact duplicates; check near-duplicates and groups too)
train_rows = {row.tobytes() for row in np.ascontiguousarray(x_train)}
shared = sum(row.tobytes() in train_rows for row in np.ascontiguousarray(x_val))
print(f"{shared} of {len(x_val)} validation samples also occur in training")

# 2. Training measured like validation (no dropout, no augmentation)
train_metrics = model.evaluate(x_train, y_train, verbose=0, return_dict=True)
val_metrics = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
print("train:", train_metrics, "validation:", val_metrics)
""",
        pytorch="""\
import torch

# 1. Samples present on both sides (exact duplicates; check near-duplicates and groups too)
train_rows = {row.numpy().tobytes() for row in x_train}
shared = sum(row.numpy().tobytes() in train_rows for row in x_val)
print(f"{shared} of {len(x_val)} validation samples also occur in training")

# 2. Training measured like validation (eval mode: no dropout, BatchNorm running statistics)
model.eval()
with torch.no_grad():
    train_loss = loss_fn(model(x_train), y_train).item()
print("train loss (eval mode):", train_loss, "validation loss:", evaluate(model))
""",
    )

    def check(self, f, ctx):
        vb = f.val_better
        if vb is None:
            return None
        if f.is_yolo and vb.perfect is None:
            return None  # Ultralytics trains with mosaic and other augmentation on: validation below is expected
        parts = []
        score = 0.6
        if vb.perfect is not None:
            name, val, train = vb.perfect
            parts.append(f"{name} reached {fmt(val)}, nearly perfect (training ends at {fmt(train)})")
            score = 0.9
        if vb.loss_margin:
            parts.append(
                f"{f.val_name} ends {pct(-vb.relative)} better than {f.train_name} ({fmt(float(f.val[-1]))} vs "
                f"{fmt(float(f.train[-1]))}, after allowing {fmt(vb.lag)} for the training running mean) and is "
                f"better in {vb.share_below:.0%} of the second half of the run"
            )
            score = max(score, 0.85 if vb.relative < -0.25 else 0.7)
            if vb.perfect is None and vb.acc_above is None and vb.share_below < 0.5:
                # validation below training in under half of the late run: score 0.7 x that share
                score = 0.7 * vb.share_below
        if vb.acc_above is not None:
            v, t = vb.acc_above
            parts.append(
                f"{f.score.pair.val} is {fmt(v - t)} above {f.score.pair.train} at the end ({fmt(v)} vs {fmt(t)}, trend)"
            )
            score = max(score, 0.8 if v - t > 0.1 else 0.7)
        ev = "; ".join(parts)
        ev = cap(ev) + (
            ". That is normal when dropout or augmentation is active in training (its numbers "
            "are measured with them on); if the model has neither, look for samples or "
            "label-revealing features shared between training and validation before "
            "tuning anything else."
        )
        if ctx.task == "timeseries":
            ev += " For time series, split by time: a random split leaks the future into training."
            score += 0.05
        return self.hit(score, ev)
