from __future__ import annotations

from ..base import Fix, Rule
from ..phrases import OVERFIT, cap, gap_phrase, ratio_boost


class DataAugmentation(Rule):
    id = "data-augmentation"
    title = "Augment the training data"
    group = "data"
    why = (
        "Random, label-preserving changes to each training sample show the model a new variant every "
        "epoch, so it cannot memorize the exact samples and learns the invariances instead."
    )
    what = """\
Transforms each training sample at random on the fly, in training only:

- **images**: horizontal flips, random crops or shifts (pad and crop), small rotations, cutout
  (random erasing), and mixup / CutMix (blend two samples and their labels);
- **audio**: time shifts, noise, SpecAugment (time and frequency masking);
- **text**: word dropout or replacement, back-translation;
- **tabular and time series** (no natural invariances): small Gaussian noise on the scaled
  inputs, jitter, window slicing; mixup also works on tabular data."""
    helps = """\
Any overfitting model trained on images or audio: it is usually the single most effective
regularizer there. On vector data, input noise is a mild regularizer (equivalent to a form of
Tikhonov regularization, Bishop 1995)."""
    hurts = """\
- A transform must preserve the label: no vertical flips for digits or text, no hue shifts
  where colour is the class.
- Strong augmentation makes the training loss (measured on augmented samples) higher than the
  validation loss; that is expected, not a leak.
- It slows convergence; train longer with it.
- Never augment the validation data."""
    suggested_when = """\
High variance only. Ranked high with `--task image` or `--task audio`, lower for tabular data
and time series, where the fix is input noise."""
    ranking = """\
`score = 0.5 + 0.15 x earliness + ratio boost / 2`, `+ 0.22` with `--task image` or `audio`,
`- 0.1` with `tabular` or `timeseries` (`earliness` and the ratio boost as in `smaller-model`)."""
    references = (
        "Shorten, C. & Khoshgoftaar, T. M. (2019). A survey on Image Data Augmentation for Deep Learning. Journal of Big Data 6, 60.",
        "DeVries, T. & Taylor, G. W. (2017). Improved Regularization of Convolutional Neural Networks with Cutout. arXiv:1708.04552.",
        "Zhang, H., Cisse, M., Dauphin, Y. N. & Lopez-Paz, D. (2018). mixup: Beyond Empirical Risk Minimization. ICLR.",
        "Park, D. S. et al. (2019). SpecAugment. Interspeech.",
        "Bishop, C. M. (1995). Training with Noise is Equivalent to Tikhonov Regularization. Neural Computation 7(1).",
    )
    defaults = {"stddev": 0.1, "epochs": 100}
    variants = {
        "image": Fix(
            data="images",
            keras="""\
import keras

augment = keras.Sequential([
    keras.layers.RandomFlip("horizontal"),
    keras.layers.RandomTranslation(0.1, 0.1),  # shifted crops that keep the image size
    keras.layers.RandomRotation(0.05),
    keras.layers.RandomErasing(factor=0.5, value_range=(0, 1)),  # cutout
])
# The random layers act only in training; validation images pass through unchanged.
inputs = keras.Input(shape=image_shape)
model = keras.Model(inputs, model(augment(inputs)))
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
            pytorch="""\
import torch
from torchvision.transforms import v2

# Per-sample transforms: give them to the *training* dataset only,
# e.g. torchvision.datasets.ImageFolder("data/train", transform=train_transform)
train_transform = v2.Compose([
    v2.RandomResizedCrop(32, scale=(0.8, 1.0)),
    v2.RandomHorizontalFlip(),
    v2.RandomRotation(15),
    v2.ToImage(),
    v2.ToDtype(torch.float32, scale=True),
    v2.RandomErasing(p=0.5),  # cutout
])
# Per-batch mixing (mixup / CutMix) in the training loop
mix = v2.RandomChoice([v2.MixUp(num_classes=num_classes), v2.CutMix(num_classes=num_classes)])
for images, labels in train_loader:
    images, labels = mix(images, labels)  # labels become soft: use nn.CrossEntropyLoss
    optimizer.zero_grad()
    loss_fn(model(images), labels).backward()
    optimizer.step()
""",
        ),
        "noise": Fix(
            keras="""\
import keras

# Gaussian noise on the (scaled) inputs, active in training only
model = keras.Sequential([
    keras.Input(shape=(num_features,)),
    keras.layers.GaussianNoise(${stddev}),
    model,
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
            pytorch="""\
import torch

model.train()
for inputs, targets in train_loader:
    inputs = inputs + ${stddev} * torch.randn_like(inputs)  # fresh noise each batch, training only
    optimizer.zero_grad()
    loss_fn(model(inputs), targets).backward()
    optimizer.step()
""",
        ),
    }

    def variant(self, ctx):
        return "noise" if ctx.task in ("tabular", "timeseries") else "image"

    def check(self, f, ctx):
        if f.d.verdict not in OVERFIT:
            return None
        score = 0.5 + 0.15 * f.earliness + ratio_boost(ctx) / 2
        what = {
            "image": "flips, shifted crops, small rotations, cutout and mixup",
            "audio": "time shifts, noise and SpecAugment masking",
            "text": "word dropout or back-translation",
            "tabular": "small Gaussian noise on the scaled inputs (or mixup)",
            "timeseries": "jitter, scaling and window slicing",
        }
        if ctx.task in ("image", "audio"):
            score += 0.22
        elif ctx.task in ("tabular", "timeseries"):
            score -= 0.1
        ev = cap(gap_phrase(f)) + "."
        if ctx.task:
            ev += f" For {ctx.task} data: {what[ctx.task]}."
        hint = (
            None
            if ctx.task
            else (
                "with --task image or --task audio augmentation would rank higher; "
                "with --task tabular the fix becomes input noise"
            )
        )
        return self.hit(score, ev, {"stddev": 0.1}, hint)
