from __future__ import annotations

from ..base import Fix, Rule
from ..phrases import OVERFIT, cap, gap_phrase, ratio_boost, ratio_hint, ratio_phrase


class WeightDecay(Rule):
    id = "weight-decay"
    title = "Add weight decay (L2 regularization)"
    group = "regularization"
    why = (
        "Weight decay pulls every weight towards zero at each step, so the model can only keep "
        "large weights that the whole training set supports, not ones that fit a few samples."
    )
    what = """\
Shrinks the weights a little at every update. With plain SGD this is the same as adding
`lambda * ||w||^2` to the loss (L2 regularization); with Adam it is not, and decoupled weight
decay (AdamW) regularizes better than an L2 term in the loss. Keras offers both:
`keras.optimizers.AdamW(weight_decay=...)` and, per layer, `kernel_regularizer=keras.regularizers.L2(...)`;
PyTorch offers `weight_decay=` on every optimizer (decoupled in `AdamW`)."""
    helps = """\
When the gap between training and validation opens early and keeps widening, the model is
over-parameterized for its data, and the weights grow as training goes on. Typical values:
AdamW `1e-2` to `1e-1`, SGD `1e-4` to `5e-4`, Keras L2 `1e-5` to `1e-3`. The fix starts AdamW
at `1e-1`: PyTorch's `AdamW` already decays by `1e-2` when nothing is set (Keras' by `4e-3`)."""
    hurts = """\
- Too much of it underfits: training loss stops falling; reduce it by 10x.
- Keras' `kernel_regularizer` adds the penalty to `val_loss` as well, so the validation loss can
  rise while the model improves (see `regularization-in-val-loss`); `AdamW` has no such effect.
- With batch normalization, weight decay on the layers before BN mostly changes the effective
  learning rate rather than the function (van Laarhoven, 2017); it still helps, but tune it with
  the learning rate.
- Exclude biases and normalization parameters from the decay."""
    suggested_when = """\
High variance (overfitting, or overfitting and underfitting): ranked higher the earlier the gap
opened and the more parameters per training sample (`--params`, `--train-size`)."""
    ranking = """\
`score = 0.62 + 0.25 x earliness + ratio boost / 2` (as in `smaller-model`)."""
    references = (
        "Krogh, A. & Hertz, J. A. (1992). A Simple Weight Decay Can Improve Generalization. NeurIPS 4.",
        "Loshchilov, I. & Hutter, F. (2019). Decoupled Weight Decay Regularization. ICLR.",
        "van Laarhoven, T. (2017). L2 Regularization versus Batch and Weight Normalization. arXiv:1706.05350.",
    )
    # 0.1: ten times PyTorch's AdamW default (0.01), which many runs already train with, so the
    # advice changes something; `overfitdoc rerun` measured 0.01 within noise on both examples
    defaults = {"lr": 1e-3, "weight_decay": 0.1, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model.compile(
    optimizer=keras.optimizers.AdamW(learning_rate=${lr}, weight_decay=${weight_decay}),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
# Or an L2 penalty per layer: keras.layers.Dense(256, kernel_regularizer=keras.regularizers.L2(1e-4)).
# That penalty is added to val_loss too: see `overfitdoc explain regularization-in-val-loss`.
""",
        pytorch="""\
import torch

# Decoupled weight decay (AdamW) on the weights; biases and norm layers left undecayed
decay = [p for p in model.parameters() if p.ndim > 1]
no_decay = [p for p in model.parameters() if p.ndim <= 1]
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": ${weight_decay}}, {"params": no_decay, "weight_decay": 0.0}],
    lr=${lr},
)
""",
    )

    def check(self, f, ctx):
        if f.d.verdict not in OVERFIT:
            return None
        params = {
            "lr": f.lr.peak if f.lr is not None else self.defaults["lr"],
            "weight_decay": self.defaults["weight_decay"],
        }
        ev = cap(gap_phrase(f)) + "."
        if rp := ratio_phrase(ctx):
            ev += f" The model has {rp}."
        if f.lr is not None:
            ev += f" The fix keeps this run's peak learning rate ({f.lr.column} {f.lr.peak:.3g})."
        score = 0.62 + 0.25 * f.earliness + ratio_boost(ctx) / 2
        return self.hit(score, ev, params, ratio_hint(ctx))
