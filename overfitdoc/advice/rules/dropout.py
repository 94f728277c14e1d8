from __future__ import annotations

from ..base import Fix, Rule
from ..phrases import OVERFIT, cap, gap_phrase


class Dropout(Rule):
    id = "dropout"
    title = "Add dropout after the hidden layers"
    group = "regularization"
    why = (
        "Dropout zeroes a random share of activations at each training step, so no unit can rely "
        "on a few others to memorize a sample; it trains an implicit ensemble of thinned networks."
    )
    what = """\
Adds `Dropout(rate)` layers, active only in training. Place them after the activations of the
fully connected (hidden) layers and before the output layer; for convolutional networks, mostly
in the classifier head (or `SpatialDropout2D` between convolution blocks). With batch
normalization, put dropout **after the last** BatchNormalization layer, never between BN
layers: dropout changes the variance of the activations between training and inference, and
the statistics BN learned no longer match ("variance shift", Li et al., 2019)."""
    helps = """\
Fully connected networks on small data (tabular, small MLP heads) that fit the training set
much better than validation. Rates of 0.2 to 0.5; larger for wider layers."""
    hurts = """\
- Too high a rate underfits and slows convergence (training takes about 2-3x more epochs).
- Training loss is measured with dropout on, validation without: validation below training is
  then expected, not a leak.
- Between BatchNormalization layers it hurts (variance shift); in modern CNNs augmentation and
  weight decay usually do more."""
    suggested_when = """\
High variance only (overfitting, or overfitting and underfitting); never for a run that is
still improving or underfits. Lower for images (augmentation first), higher for tabular data
and when the gap opened early."""
    ranking = """\
`score = 0.55 + 0.2 x earliness` (as in `smaller-model`), `- 0.1` with `--task image` or
`audio`, `+ 0.05` with `tabular`. The rate is 0.5 when `earliness` is above 0.5, else 0.3."""
    references = (
        "Srivastava, N. et al. (2014). Dropout: A Simple Way to Prevent Neural Networks from Overfitting. JMLR 15, 1929-1958.",
        "Li, X., Chen, S., Hu, X. & Yang, J. (2019). Understanding the Disharmony between Dropout and Batch Normalization by Variance Shift. CVPR.",
    )
    defaults = {"rate": 0.3, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.Dense(256, activation="relu"),
    keras.layers.Dropout(${rate}),
    keras.layers.Dense(256, activation="relu"),
    keras.layers.Dropout(${rate}),  # with BatchNormalization: after the last BN layer only
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch import nn

model = nn.Sequential(
    nn.Linear(num_features, 256), nn.ReLU(), nn.Dropout(${rate}),
    nn.Linear(256, 256), nn.ReLU(), nn.Dropout(${rate}),  # with BatchNorm: after the last BN only
    nn.Linear(256, num_classes),
)
# model.train() turns dropout on for training, model.eval() off for validation
""",
    )

    def check(self, f, ctx):
        if f.d.verdict not in OVERFIT:
            return None
        if f.is_yolo and "box" in f.metric:
            return None  # Ultralytics' dropout= is for classification models; a detector has none to add
        rate = 0.5 if f.earliness > 0.5 else 0.3
        score = 0.55 + 0.2 * f.earliness
        if ctx.task in ("image", "audio"):
            score -= 0.1
        elif ctx.task == "tabular":
            score += 0.05
        ev = (
            cap(gap_phrase(f))
            + f". Dropout {rate} after each hidden layer"
            + (" (the gap opened early, so a high rate)" if rate == 0.5 else "")
            + ", after any BatchNormalization layer, not between them."
        )
        hint = (
            None
            if ctx.task
            else "with --task tabular dropout ranks higher; with --task image, augmentation comes first"
        )
        return self.hit(score, ev, {"rate": rate}, hint)
