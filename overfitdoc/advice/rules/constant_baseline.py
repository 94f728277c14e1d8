from __future__ import annotations

from ..base import Fix, Rule


class ConstantBaseline(Rule):
    id = "constant-baseline"
    title = "Compare the loss with a constant prediction's"
    group = "checks"
    why = (
        "A training loss that stays flat from the first logged epoch is a model that never learned, or one "
        "that learned what it could before the log could see: only the loss of a model that has learned "
        "nothing (a constant prediction, or the model before its first step) tells the two apart."
    )
    what = """\
Computes two reference losses on the training data: a constant prediction's (every sample gets
the training set's class shares, whose cross-entropy is the entropy of those shares; for a
regression with a mean squared error, the variance of the targets) and the untrained model's (a
fresh build, before its first step). A final training loss well below both means the model
learned, early: judge its level, not its progress (`--target` takes a level a good model
reaches). A final loss at the constant prediction's means it is at chance: it is not learning."""
    helps = """\
A `not_learning` verdict, or an `underfitting` one judged by progress from the first value, whose
log cannot show where training started (`cannot_tell.kind` `start_unseen`): a resumed log, or a
first epoch whose mean stands above the flat run after it, a fall inside that epoch the log
cannot show."""
    hurts = """\
Two evaluations of the training set, nothing more. A loss with a regularization term in it (a
Keras kernel regularizer) stands above the constant prediction's by that term: compare the data
loss alone."""
    suggested_when = """\
The analysis cannot tell because the log does not show the untrained level
(`cannot_tell.kind` `start_unseen`): first, as the experiment that decides."""
    ranking = """\
`0.95` when the log cannot show where training started. Silent otherwise."""
    references = (
        "Goodfellow, Bengio and Courville (2016), Deep Learning, 11.1 (performance metrics and baselines).",
        "Karpathy, A. (2019). A Recipe for Training Neural Networks ('verify loss @ init'): "
        "https://karpathy.github.io/2019/04/25/recipe/",
    )
    defaults = {"final": 0.5}
    fix = Fix(
        keras="""\
import keras
import numpy as np

# a constant prediction: every sample gets the training set's class shares (chance for this data;
# for a regression with a mean squared error, chance = np.var(y_train))
shares = np.bincount(y_train, minlength=num_classes) / len(y_train)
chance = float(keras.losses.SparseCategoricalCrossentropy()(y_train, np.tile(shares, (len(y_train), 1))))
# the model before its first step: where training starts
untrained = build_model().evaluate(x_train, y_train, verbose=0, return_dict=True)["loss"]
print(f"constant prediction {chance:.4g}, untrained {untrained:.4g}, final training loss ${final}")
# final well below both: it learned, early; near the constant prediction's: it is at chance
""",
        pytorch="""\
import torch

# a constant prediction: every sample gets the training set's class shares (chance for this data;
# for a regression with a mean squared error, chance = y_train.float().var())
shares = torch.bincount(y_train, minlength=num_classes).float() / len(y_train)
chance = float(-shares[y_train].log().mean())
# the model before its first step: where training starts
with torch.no_grad():
    untrained = float(loss_fn(build_model()(x_train), y_train))
print(f"constant prediction {chance:.4g}, untrained {untrained:.4g}, final training loss ${final}")
# final well below both: it learned, early; near the constant prediction's: it is at chance
""",
    )

    def check(self, f, ctx):
        d = f.d
        unsure = d.cannot_tell
        if unsure is None or unsure.kind != "start_unseen":
            return None
        ev = f"The experiment that decides this run: {unsure.experiment} ({unsure.reason})."
        return self.hit(0.95, ev, {"final": float(d.train[-1])}, decides=True)
