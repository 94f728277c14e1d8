from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, barely_moved, cap, gap_phrase


class FeatureEngineering(Rule):
    id = "feature-engineering"
    title = "Select and scale the input features"
    group = "data"
    why = (
        "Unscaled features make the loss surface badly conditioned, and irrelevant ones give the model "
        "more to memorize; scaled, informative inputs make it both easier to train and to generalize."
    )
    what = """\
Two changes for vector (tabular) inputs:

- **scaling**: standardize each feature with the *training* split's mean and standard deviation
  (`keras.layers.Normalization` inside the model, or the same statistics applied to every split);
- **selection**: keep the features that carry information about the target (mutual
  information, model-based importance), drop constant, duplicate and leaking ones; add
  informative combinations (ratios, differences, radii) where domain knowledge suggests them."""
    helps = """\
Tabular data: scaling when training barely moves or is unstable; selection when the model
overfits with many features and few samples; engineered features when a small model underfits
a relationship one well-chosen feature would make easy."""
    hurts = """\
- Selecting features on the full data set (train and validation together) leaks: fit the
  selector on training only.
- Images, audio and text learn their own features: this rule does not apply to them."""
    suggested_when = """\
Tabular data (`--task tabular`, or no task given, then lower): when training does not learn or
is unstable (scaling), when it overfits (selection), when it underfits (engineered features).
Never with `--task image`, `text` or `audio`."""
    ranking = """\
By verdict: `0.6` not learning, `0.35` unstable in training, `0.4` overfitting or underfitting;
`+ 0.15` with `--task tabular`, `- 0.1` when no task is given. Silent for images, text, audio,
Ultralytics and Hugging Face logs."""
    references = (
        "LeCun, Y., Bottou, L., Orr, G. & Mueller, K.-R. (1998). Efficient BackProp. In *Neural Networks: Tricks of the Trade*.",
        "Guyon, I. & Elisseeff, A. (2003). An Introduction to Variable and Feature Selection. JMLR 3, 1157-1182.",
    )
    defaults = {"k": 10, "epochs": 100}
    fix = Fix(
        keras="""\
import keras
from sklearn.feature_selection import SelectKBest, mutual_info_classif

# Keep the k most informative features, chosen on the training split only
selector = SelectKBest(mutual_info_classif, k=min(${k}, x_train.shape[1])).fit(x_train, y_train)
x_train_sel, x_val_sel = selector.transform(x_train), selector.transform(x_val)

# Scale inside the model: training statistics, applied the same way to every split
normalize = keras.layers.Normalization()
normalize.adapt(x_train_sel)
model = keras.Sequential([
    keras.Input(shape=(x_train_sel.shape[1],)),
    normalize,
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train_sel, y_train, validation_data=(x_val_sel, y_val), epochs=${epochs})
""",
        pytorch="""\
import torch
from sklearn.feature_selection import SelectKBest, mutual_info_classif

# Keep the k most informative features, chosen on the training split only
k = min(${k}, x_train.shape[1])
selector = SelectKBest(mutual_info_classif, k=k).fit(x_train.numpy(), y_train.numpy())
keep = torch.as_tensor(selector.get_support(indices=True))
x_train_sel, x_val_sel = x_train[:, keep], x_val[:, keep]

# Standardize with the training split's statistics, for every split
mean, std = x_train_sel.mean(dim=0), x_train_sel.std(dim=0).clamp_min(1e-8)
x_train_sel = (x_train_sel - mean) / std
x_val_sel = (x_val_sel - mean) / std
""",
    )

    def check(self, f, ctx):
        if ctx.task in ("image", "text", "audio") or f.is_yolo or f.framework == "hf":
            return None  # images (YOLO) and pretrained transformers learn their own features
        d = f.d
        u = f.unit
        if d.verdict == "not_learning":
            score = 0.6
            ev = f"{barely_moved(f)}; badly scaled inputs are a common reason a network does not learn."
        elif d.verdict == "unstable" and f.training_unstable:
            score = 0.35
            ev = (
                f"{f.train_name} jumps from {u} to {u}; features on very different scales make the "
                f"gradient steps erratic: standardize them with the training statistics."
            )
        elif d.verdict in OVERFIT:
            score = 0.4
            ev = cap(gap_phrase(f)) + "; fewer, informative features leave less to memorize."
        elif d.verdict == "underfitting":
            score = 0.4
            ev = (
                f"{f.train_name} levels off at {fmt(float(f.train[-1]))} with validation close behind "
                f"(gap {fmt(d.gap.final)}): a well-chosen feature (a ratio, a distance, a radius) can make "
                f"the relationship easy for a small model."
            )
        else:
            return None
        if ctx.task == "tabular":
            score += 0.15
        hint = (
            None if ctx.task else "with --task tabular this ranks higher; for images, text or audio it does not apply"
        )
        return self.hit(score if ctx.task else score - 0.1, ev, {"k": 10}, hint)
