from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import barely_moved, ratio_phrase


class MoreCapacity(Rule):
    id = "more-capacity"
    title = "Use a bigger model"
    group = "model"
    why = (
        "When training itself stops short and validation follows it closely, the model cannot represent "
        "the function: more units or layers lower the bias, and there is no variance yet to lose."
    )
    what = """\
Increases the width (units or channels) or the depth of the network, or moves to a stronger
architecture for the data (convolutions for images, attention for sequences). Double the width
first and compare the *training* loss: it must go down."""
    helps = """\
High bias: the training loss levels off well above what the task allows, with validation close
to it. The standard first move of the bias/variance recipe (Ng)."""
    hurts = """\
- A bigger model overfits sooner: watch the gap and pair it with early stopping.
- If the training loss is still falling, the budget, not the model, is the limit (see
  `train-longer`); if it does not move at all, look for a bug first (`randomization-test`)."""
    suggested_when = """\
Underfitting (first), overfitting and underfitting, and a model that does not learn; higher
when `--params` / `--train-size` show few parameters per sample. First (0.95), as the experiment
that decides, when the history cannot tell capacity from the data's noise floor
(`cannot_tell.kind` `capacity_or_floor`: a good fit or underfit whose confidence is below 0.5).
As a probe on any other good fit the bias test decided: the same plateau can be the model's
capacity."""
    ranking = """\
Underfitting: `0.9`, or `0.75` while training is still falling; overfitting and underfitting
`0.5`; not learning `0.35`; `0.95` whenever the analysis cannot tell a capacity limit from the
data's noise floor; on another good fit decided by the bias test, `1 - confidence` (the chance
the call is wrong, which for that test means an underfit); `+ 0.05` with under one parameter per
training sample (`--params`, `--train-size`)."""
    references = (
        "Ng, A. (2018). Machine Learning Yearning, chapters 20-27 (bias and variance).",
        "Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, section 5.2. MIT Press.",
    )
    defaults = {"width": 256, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.Dense(${width}, activation="relu"),
    keras.layers.Dense(${width}, activation="relu"),
    keras.layers.Dense(${width}, activation="relu"),
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch import nn

model = nn.Sequential(
    nn.Linear(num_features, ${width}), nn.ReLU(),
    nn.Linear(${width}, ${width}), nn.ReLU(),
    nn.Linear(${width}, ${width}), nn.ReLU(),
    nn.Linear(${width}, num_classes),
)
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        best_t = float(f.train.min() if f.mode == "min" else f.train.max())
        # a good fit or underfit whose history cannot tell capacity from the data's floor: a
        # bigger model is the experiment that decides (it comes first)
        unsure = d.cannot_tell if d.cannot_tell is not None and d.cannot_tell.kind == "capacity_or_floor" else None
        if d.verdict == "underfitting":
            flat = (
                ""
                if f.train_still_falling
                else f" and has flattened ({fmt(abs(f.train_end_slope))} per {u} at the end)"
            )
            ev = (
                f"{f.train_name} only reached {fmt(best_t)} (from {fmt(float(f.train[0]))}){flat}, with validation "
                f"close behind (gap {fmt(d.gap.final)}): the model lacks capacity, and there is no variance to lose."
            )
            score = 0.9 if not f.train_still_falling else 0.75
            if unsure is not None:
                ev += f" Not sure ({unsure.reason}): {unsure.experiment}."
        elif d.verdict == "overfitting_and_underfitting":
            ev = (
                f"{f.train_name} stops short at {fmt(best_t)} while the gap is {fmt(d.gap.final)}: fix the bias "
                f"first (a bigger model), then regularize it."
            )
            score = 0.5
        elif d.verdict == "not_learning":
            ev = f"{barely_moved(f)}; rule out a bug first, then try a bigger model."
            score = 0.35
        elif unsure is not None:
            ev = f"The experiment that decides this run: {unsure.experiment} ({unsure.reason})."
        elif d.verdict == "good_fit" and d.deciding_test == "bias":
            # a good fit judged by how far training got: the same plateau can be the model's
            # capacity; the bigger model is the probe, ranked by the chance the call is wrong
            ev = (
                f"This good fit rests on how far {f.train_name} fell (to {fmt(best_t)}), and a model at its capacity "
                f"levels off like data at its noise floor: one minus the confidence, {1 - d.confidence:.2f}, is the "
                f"chance the call is wrong. The experiment that tells: a model about twice as wide for the same "
                f"{u}s; a {f.val_name} clearly below this run's best ({fmt(d.best_val)}) means this one underfits."
            )
            score = round(1 - d.confidence, 2)
        else:
            return None
        if unsure is not None:
            score = 0.95
        if (rp := ratio_phrase(ctx)) and ctx.ratio is not None and ctx.ratio < 1:
            ev += f" The model has only {rp}."
            score += 0.05
        # the probe of a good fit judged by the bias test, or the experiment when it cannot tell
        probe = unsure is not None or (d.verdict == "good_fit" and d.deciding_test == "bias")
        return self.hit(score, ev, {"width": 256}, decides=probe)
