from __future__ import annotations

import math

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import cap, improvement, score_improved


class PreprocessingMismatch(Rule):
    id = "preprocessing-mismatch"
    title = "Check that validation is preprocessed like training"
    group = "checks"
    why = (
        "If validation inputs are scaled, tokenized, resized or encoded differently from training, the "
        "model sees another distribution at validation time, and no amount of training closes the gap."
    )
    what = """\
Compares what the model receives in both splits (value ranges, means and standard deviations,
image sizes and channel order, vocabularies, label encodings), and makes preprocessing part
of the model or of one shared function, fitted on the training data only:
`keras.layers.Normalization` adapted on `x_train`, or one transform object applied to both
PyTorch datasets (with augmentation for training only)."""
    helps = """\
A validation loss far above the training loss from the very first epoch, and a validation curve
that does not move while training improves."""
    hurts = """\
Nothing, beyond the time to check: it is a bug hunt. Differences that are intended
(augmentation, dropout) belong in training only and are not mismatches."""
    suggested_when = """\
A validation loss more than twice the training loss at the first epoch (the training value is
normally the worse one then), or a validation series that never improved beyond its noise
while training improved by more than 10%."""
    ranking = """\
`0.72` when the first validation loss is more than twice the first training loss; `0.6` when
validation never improved beyond its noise (gain at most 2 x sqrt(2) x its standard error)
while training fell by more than 10%, for runs of more than 3 epochs whose validation accuracy
did not rise; the larger when both hold."""
    references = (
        "Sculley, D. et al. (2015). Hidden Technical Debt in Machine Learning Systems (training/serving skew). NeurIPS.",
        "Breck, E. et al. (2019). Data Validation for Machine Learning. SysML.",
    )
    fix = Fix(
        keras="""\
import numpy as np
import keras

# 1. Do the arrays the model sees look alike?
for name, x in (("train", x_train), ("val", x_val)):
    print(name, x.shape, x.dtype, "mean", float(np.mean(x)), "std", float(np.std(x)))

# 2. Make preprocessing part of the model, fitted on training data only
normalize = keras.layers.Normalization()
normalize.adapt(x_train)
inputs = keras.Input(shape=x_train.shape[1:])
model = keras.Model(inputs, model(normalize(inputs)))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
""",
        pytorch="""\
# 1. Do the tensors the model sees look alike?
for name, x in (("train", x_train), ("val", x_val)):
    print(name, tuple(x.shape), x.dtype, "mean", x.float().mean().item(), "std", x.float().std().item())

# 2. One preprocessing, fitted on training data only, applied to both splits
mean, std = x_train.mean(dim=0), x_train.std(dim=0).clamp_min(1e-8)
x_train_scaled = (x_train - mean) / std
x_val_scaled = (x_val - mean) / std
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        if d.verdict in ("unstable", "insufficient_data"):
            return None
        parts = []
        score = 0.0
        if f.mode == "min" and float(f.train[0]) > 0 and float(f.val[0]) > 2 * float(f.train[0]):
            parts.append(
                f"at {u} {f.epoch(0)} {f.val_name} was {fmt(float(f.val[0]))}, {float(f.val[0]) / float(f.train[0]):.1f}x "
                f"{f.train_name} ({fmt(float(f.train[0]))}), although the training value is normally the worse one "
                f"in the first {u}"
            )
            score = 0.72
        se_v = (d.noise or 0.0) / math.sqrt(f.window)
        how, moved = improvement(f)
        if (
            how != "improved"
            and f.val_gain <= 2 * math.sqrt(2) * se_v
            and f.train_gain > 0.1 * abs(float(f.train_trend_o[0]))
            and f.total_epochs > 3  # a 3-epoch fine-tune has no curve to judge the splits by
            and not score_improved(f)
        ):
            parts.append(
                f"{moved} while {f.train_name} went from {fmt(float(f.train[0]))} to {fmt(float(f.train[-1]))}"
            )
            score = max(score, 0.6)
        if not parts:
            return None
        ev = "; ".join(parts)
        return self.hit(score, cap(ev) + ": compare the inputs of both splits and share one preprocessing.")
