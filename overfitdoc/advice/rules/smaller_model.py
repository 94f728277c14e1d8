from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, cap, gap_phrase, ratio_boost, ratio_hint, ratio_phrase


class SmallerModel(Rule):
    id = "smaller-model"
    title = "Use a smaller model"
    group = "model"
    why = (
        "A model with far more capacity than its data can memorize the training set; fewer units or "
        "layers leave it room only for the patterns that generalize."
    )
    what = """\
Reduces the width (units or channels per layer) or the depth of the network. Halve the width
first: that divides the parameters of the hidden layers by about four. Compare the best
validation value, not the final one."""
    helps = """\
When the gap opens in the first epochs, and when the model has many parameters per training
sample. Also makes training faster, so other remedies are quicker to try."""
    hurts = """\
- Too small a model underfits (training loss stays high): watch the training curve.
- Very large models can generalize *better* than medium ones (double descent, Nakkiran et al.
  2020); if the model is already huge, regularize and stop early instead.
- With pretrained weights, a smaller architecture loses the pretraining; prefer freezing layers."""
    suggested_when = """\
High variance: ranked first when the gap opened from the first epochs, and higher the more
parameters per training sample (`--params` / `--train-size`)."""
    ranking = """\
`score = 0.45 + 0.5 x earliness + ratio boost`, where `earliness` is 1 when the gap opened (or
validation turned) at the start of the run, falling linearly to 0 at a fifth of the run or later,
and halved when the gap neither widens nor comes with a rise; the ratio boost is 0.1 at 10 or
more parameters per training sample, 0.05 at 1 or more, -0.05 below 0.01, else 0 (0 when
`--params` and `--train-size` are not given). Early
stopping outranks it on a run with most of its epochs after the best: a smaller model slows the
overtraining, stopping removes it."""
    references = (
        "Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning, section 5.2 (Capacity, Overfitting and Underfitting). MIT Press.",
        "Nakkiran, P. et al. (2020). Deep Double Descent: Where Bigger Models and More Data Hurt. ICLR.",
    )
    defaults = {"width": 64, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.Dense(${width}, activation="relu"),
    keras.layers.Dense(num_classes, activation="softmax"),
])
print(model.count_params(), "parameters")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch import nn

model = nn.Sequential(
    nn.Linear(num_features, ${width}), nn.ReLU(),
    nn.Linear(${width}, num_classes),
)
print(sum(p.numel() for p in model.parameters()), "parameters")
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in OVERFIT:
            return None
        score = 0.45 + 0.5 * f.earliness + ratio_boost(ctx)
        ev = cap(gap_phrase(f)) + "."
        if rp := ratio_phrase(ctx):
            ev += f" The model has {rp}."
        if f.memorised is not None:
            name, value, epoch = f.memorised
            ev += f" {name} reached {fmt(value)} (near-perfect from {f.unit} {epoch}): it has capacity to spare."
        return self.hit(score, ev, {"width": 64}, ratio_hint(ctx))
