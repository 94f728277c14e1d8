from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, barely_moved


class BatchNorm(Rule):
    id = "batch-norm"
    title = "Add batch normalization"
    group = "model"
    why = (
        "Normalizing each layer's inputs per batch keeps activations well scaled, which allows higher "
        "learning rates, steadies training, and adds a little regularizing noise."
    )
    what = """\
Inserts `BatchNormalization` (Keras) / `nn.BatchNorm1d` or `nn.BatchNorm2d` (PyTorch) between
a linear or convolutional layer and its activation. In training it normalizes with the batch's
statistics; in evaluation with running averages."""
    helps = """\
Deep networks that train slowly or erratically, and runs that need a higher learning rate. Its
regularizing effect (batch noise) is mild: on its own it rarely fixes a wide generalization gap."""
    hurts = """\
- Small batches (below about 16) make the batch statistics noisy; use GroupNorm or LayerNorm.
- Dropout placed before a BN layer causes a train/test variance shift (see `dropout`).
- Recurrent networks and transformers use LayerNorm instead.
- Models fine-tuned from pretrained weights should keep BN in inference mode on small data."""
    suggested_when = """\
A run that does not learn or is unstable (it conditions the optimization), one that is still
improving slowly or underfits (it allows a higher learning rate), and, low, as a mild
regularizer for overfitting."""
    ranking = """\
By verdict: `0.4` not learning, `0.35` unstable with the instability in training itself, `0.3`
still improving or underfitting, `0.22` overfitting. Silent on Ultralytics and Hugging Face logs
(those networks have their normalization already)."""
    references = (
        "Ioffe, S. & Szegedy, C. (2015). Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift. ICML.",
        "Santurkar, S. et al. (2018). How Does Batch Normalization Help Optimization? NeurIPS.",
    )
    defaults = {"epochs": 100}
    fix = Fix(
        keras="""\
import keras

model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.Dense(256, use_bias=False),  # BN's own shift replaces the bias
    keras.layers.BatchNormalization(),
    keras.layers.Activation("relu"),
    keras.layers.Dense(256, use_bias=False),
    keras.layers.BatchNormalization(),
    keras.layers.Activation("relu"),
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch import nn

model = nn.Sequential(
    nn.Linear(num_features, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
    nn.Linear(256, 256, bias=False), nn.BatchNorm1d(256), nn.ReLU(),
    nn.Linear(256, num_classes),
)
# images: nn.Conv2d(..., bias=False) followed by nn.BatchNorm2d(channels)
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        if f.is_yolo or f.framework == "hf":
            return None  # a YOLO or pretrained transformer network has its normalization already; its size is the lever (more-capacity)
        if d.verdict == "not_learning":
            ev = (
                f"{barely_moved(f)}; normalized activations make a network trainable at all when inputs "
                f"or initialization are badly scaled."
            )
            return self.hit(0.4, ev)
        if d.verdict == "unstable" and f.training_unstable:
            ev = (
                f"{f.train_name} jumps from {u} to {u} ({len(f.spikes)} rises of more than 50%); "
                f"normalized activations keep the updates in range."
            )
            return self.hit(0.35, ev)
        if d.verdict == "still_improving":
            ev = (
                f"{f.val_name} improves by only {fmt(f.end_slope * f.sign)} per {u} at the end; batch "
                f"normalization lets the network train faster at a higher learning rate."
            )
            return self.hit(0.3, ev)
        if d.verdict == "underfitting":
            ev = (
                f"{f.train_name} levels off at {fmt(float(f.train[-1]))}; with batch normalization a deeper "
                f"or wider network stays trainable."
            )
            return self.hit(0.3, ev)
        if d.verdict in OVERFIT:
            ev = (
                f"The gap ends at {fmt(d.gap.final)}; batch noise regularizes only mildly, so try it "
                f"after weight decay, augmentation and dropout."
            )
            return self.hit(0.22, ev)
        return None
