from __future__ import annotations

from ...numbers import pct
from ..base import Fix, Rule, Skip
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
Validation nearly perfect, or better than training (by more than 10% of the training value,
after allowing half an epoch of training progress) while training itself reached a near-perfect
fit. Validation below training otherwise is what dropout, augmentation (mosaic, SpecAugment),
a penalty or an adversarial term in the training loss give, and the log cannot tell it from a
leak: the rule then stays silent (its premise is not met), except with `--task timeseries`,
where a random split leaks by itself. Not for unstable runs or runs that do not learn, whose
training numbers are no baseline."""
    ranking = """\
`score = 0.9` when a validation metric is nearly perfect (0.999 or more twice, or a loss below
0.1% of where it started while training stays 10 times higher); else
`score = 0.6 + 0.3 x margin` when validation is better than a near-perfect training fit, and
`0.5 + 0.3 x margin` for a time series without either sign, where `margin` is how much better
validation ends than training, as a share of the training value, divided by 0.25 and capped
at 1 (25% better or more counts fully)."""
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
        timeseries = ctx.task == "timeseries"
        if not (f.leak_suspected or timeseries):
            return Skip(
                f"{f.val_name} ends below {f.train_name}, which dropout, augmentation or a penalty in the "
                f"training loss give; the log cannot tell that from a leak (a leak is suspected only when "
                f"validation is nearly perfect or better than a near-perfect training fit)"
            )
        parts = []
        if vb.perfect is not None:
            name, val, train = vb.perfect
            parts.append(f"{name} reached {fmt(val)}, nearly perfect (training ends at {fmt(train)})")
        if vb.loss_margin:
            part = (
                f"{f.val_name} ends {pct(-vb.relative)} better than {f.train_name} ({fmt(float(f.val[-1]))} vs "
                f"{fmt(float(f.train[-1]))}, after allowing {fmt(vb.lag)} for the training running mean) and is "
                f"better in {vb.share_below:.0%} of the second half of the run"
            )
            if f.memorised is not None:
                name, value, epoch = f.memorised
                part += f", though {name} reached {fmt(value)} (near-perfect from {f.unit} {epoch})"
            parts.append(part)
        if vb.acc_above is not None:
            v, t = vb.acc_above
            parts.append(
                f"{f.score.pair.val} is {fmt(v - t)} above {f.score.pair.train} at the end ({fmt(v)} vs {fmt(t)}, trend)"
            )
        # the margin's share of the training value, full weight at 25%
        margin = min(1.0, max(0.0, -vb.relative) / 0.25) if vb.loss_margin else 0.0
        if vb.perfect is not None:
            score = 0.9
        elif f.leak_suspected:
            score = 0.6 + 0.3 * margin
        else:
            score = 0.5 + 0.3 * margin
        ev = cap("; ".join(parts)) + (
            ". Dropout or augmentation in training cannot explain that; look for samples or "
            "label-revealing features shared between training and validation before tuning anything else."
            if f.leak_suspected
            else ". That is normal when dropout or augmentation is active in training; for a time series, "
            "look at the split first."
        )
        if timeseries:
            ev += " For time series, split by time: a random split leaks the future into training."
        return self.hit(score, ev)
