from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, cap, gap_phrase


class TransferLearning(Rule):
    id = "transfer-learning"
    title = "Start from a pretrained model and fine-tune it"
    group = "model"
    why = (
        "A network pretrained on a large data set already has general features; training only a new "
        "head (then fine-tuning gently) needs far fewer samples of your own than learning from scratch."
    )
    what = """\
Loads a model pretrained on a large data set (ImageNet for images, a language model for text,
an audio model for sound), replaces its output layer with one for your classes, trains that
head with the body frozen, then unfreezes and fine-tunes everything with a learning rate 10 to
100 times lower."""
    helps = """\
Small data sets of images, text or audio: it reduces variance (few parameters are trained at
first) and bias (strong features) at once. Usually the biggest single gain when it applies."""
    hurts = """\
- Inputs must be preprocessed the way the pretrained model expects (size, normalization).
- Fine-tuning with a high learning rate destroys the pretrained features; fine-tuning a large
  model on a tiny data set overfits: keep the body frozen, or unfreeze only the top blocks.
- Domains far from the pretraining data (medical, satellite, spectrograms) gain less.
- For tabular data there is rarely a useful pretrained model."""
    suggested_when = """\
With `--task image`, `text` or `audio`: for overfitting (first when `--train-size` is small) and
for underfitting. Without a task, low and with a hint; never for tabular data or time series."""
    ranking = """\
`score = 0.35 + 0.1 x earliness` when overfitting, `0.3` when underfitting; `+ 0.35` with
`--task image`, `text` or `audio` (`+ 0.1` more under 10,000 training samples), `- 0.1` when no
task is given.
Silent for tabular data and time series."""
    references = (
        "Yosinski, J., Clune, J., Bengio, Y. & Lipson, H. (2014). How transferable are features in deep neural networks? NeurIPS.",
        "Howard, J. & Ruder, S. (2018). Universal Language Model Fine-tuning for Text Classification. ACL.",
        "Keras transfer learning guide: https://keras.io/guides/transfer_learning/",
    )
    defaults = {"epochs": 10}
    variants = {
        "image": Fix(
            data="images",
            offline=False,
            keras="""\
import keras

base = keras.applications.MobileNetV3Small(
    input_shape=(224, 224, 3), include_top=False, weights="imagenet", pooling="avg"
)  # expects pixel values in [0, 255] and resizes nothing: feed 224x224 images
base.trainable = False  # 1. train only the new head
inputs = keras.Input(shape=(224, 224, 3))
features = base(inputs, training=False)  # keep BatchNormalization in inference mode
outputs = keras.layers.Dense(num_classes, activation="softmax")(keras.layers.Dropout(0.2)(features))
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})

base.trainable = True  # 2. fine-tune everything, gently
model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
            pytorch="""\
import torch
from torch import nn
from torchvision.models import ResNet18_Weights, resnet18

weights = ResNet18_Weights.DEFAULT
model = resnet18(weights=weights)
preprocess = weights.transforms()  # the resizing and normalization it was trained with
for p in model.parameters():
    p.requires_grad = False  # 1. freeze the pretrained body
model.fc = nn.Linear(model.fc.in_features, num_classes)  # new head, trainable
optimizer = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
# ... train the head; then 2. unfreeze and fine-tune everything gently:
for p in model.parameters():
    p.requires_grad = True
optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
""",
        ),
        "text": Fix(
            offline=False,
            keras="""\
import keras
import keras_hub

classifier = keras_hub.models.TextClassifier.from_preset(
    "bert_tiny_en_uncased", num_classes=num_classes
)  # raw strings in, the preset's tokenizer and preprocessing included
classifier.compile(optimizer=keras.optimizers.Adam(2e-5), loss="sparse_categorical_crossentropy",
                   metrics=["accuracy"])
classifier.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
            pytorch="""\
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

name = "distilbert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(name)
model = AutoModelForSequenceClassification.from_pretrained(name, num_labels=num_classes)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)  # fine-tuning: a small learning rate
# batches: tokenizer(texts, padding=True, truncation=True, return_tensors="pt");
# model(**batch, labels=labels).loss is the loss to backpropagate
""",
        ),
    }

    def variant(self, ctx):
        return "text" if ctx.task == "text" else "image"

    def check(self, f, ctx):
        d = f.d
        if ctx.task in ("tabular", "timeseries"):
            return None
        if d.verdict in OVERFIT:
            score = 0.35 + 0.1 * f.earliness
            ev = cap(gap_phrase(f)) + "."
        elif d.verdict == "underfitting":
            score = 0.3
            ev = f"{f.train_name} levels off at {fmt(float(f.train[-1]))}: pretrained features start far lower."
        else:
            return None
        if ctx.task in ("image", "text", "audio"):
            score += 0.35
            if ctx.train_size is not None and ctx.train_size < 10_000:
                score += 0.1
                ev += f" With {ctx.train_size:,} training samples, pretrained {ctx.task} features do most of the work."
            return self.hit(score, ev)
        return self.hit(
            score - 0.1,
            ev,
            hint="with --task image, text or audio (and a small --train-size) transfer learning would rank near the top",
        )
