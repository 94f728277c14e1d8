from __future__ import annotations

from ..base import Fix, Rule, Skip
from ..facts import fmt


class RegularizationInValLoss(Rule):
    id = "regularization-in-val-loss"
    title = "Check whether the rise is the L2 penalty, not overfitting"
    group = "checks"
    why = (
        "Keras adds kernel_regularizer penalties to val_loss as well as loss; as the weights grow, the "
        "penalty alone can make val_loss rise while the model's predictions keep improving."
    )
    what = """\
Logs the data loss separately from the penalty, so the two can be told apart. In Keras, a
loss metric (`keras.metrics.SparseCategoricalCrossentropy(name="data_loss")`) is computed
without the regularization terms, so `val_data_loss` is the validation data loss alone;
switching from `kernel_regularizer` to the optimizer's decoupled weight decay (`AdamW`) removes
the penalty from the loss altogether. In PyTorch, `weight_decay=` on the optimizer is not part
of the loss; a penalty you add to the loss yourself should not be in the number you log."""
    helps = """\
A validation loss that rises (a U shape) while validation accuracy holds or improves, in a Keras
model with `kernel_regularizer` / `activity_regularizer`: the U may not be overfitting at all,
and early stopping on `val_loss` would stop a model that is still improving."""
    hurts = """\
The same picture (loss up, accuracy flat) also comes from over-confidence: the model gets more
and more certain on the samples it gets wrong. That one *is* a form of overfitting (see
`label-smoothing`); the separate data loss tells which it is."""
    suggested_when = """\
The monitored loss diverged while the paired accuracy-like series did not get worse beyond its
noise (compared on the trends at the loss's best epoch and at the end). Lower with `--framework
pytorch` or `lightning`. Skipped when the log has no accuracy-like series to compare."""
    ranking = """\
`score = 0.7` when the paired accuracy-like series rose after the loss's best by more than its
noise (two standard errors of the difference of its trends at the two epochs), `0.55` when it
held within that noise; `0.4` with `--framework pytorch` or `lightning` (weight decay there is
not in the loss)."""
    references = (
        "Keras layer weight regularizers: https://keras.io/api/layers/regularizers/",
        "Keras `Model.compile` (loss versus metrics): https://keras.io/api/models/model_training_apis/",
        "Loshchilov, I. & Hutter, F. (2019). Decoupled Weight Decay Regularization. ICLR.",
    )
    defaults = {"epochs": 100, "l2": 1e-4}
    fix = Fix(
        keras="""\
import keras

# A loss *metric* excludes the regularization penalty: compare val_data_loss with val_loss
model.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    metrics=[keras.metrics.SparseCategoricalCrossentropy(name="data_loss"), "accuracy"],
)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs},
          callbacks=[keras.callbacks.CSVLogger("history.csv")])
""",
        pytorch="""\
# Backpropagate data loss + penalty, but log (and validate on) the data loss alone.
# Simpler still: use the optimizer's weight_decay, which is not part of the loss.
l2 = ${l2}
model.train()
for inputs, targets in train_loader:
    optimizer.zero_grad()
    data_loss = loss_fn(model(inputs), targets)
    penalty = sum((p ** 2).sum() for p in model.parameters() if p.ndim > 1)
    (data_loss + l2 * penalty).backward()
    optimizer.step()
print("validation data loss:", evaluate(model))  # no penalty in it
""",
    )

    def check(self, f, ctx):
        d = f.d
        if f.mode != "min" or d.divergence_epoch is None:
            return None
        if f.score is None or f.score.pair == f.pair:
            return Skip(
                f"{f.val_name} rose after {f.unit} {d.divergence_epoch}, but the log has no accuracy-like "
                f"series to tell a penalty artifact from overfitting (log accuracy too)"
            )
        if not f.accuracy_holds:
            return None
        at_rec, at_end, tol = f.score_after_best
        s = f.score
        change = "rose" if at_end > at_rec + tol else "held"
        ev = (
            f"{f.val_name} rose after {f.unit} {d.recommended_epoch} ({fmt(d.best_val)} to {fmt(float(f.val[-1]))}), yet "
            f"{s.pair.val} {change} ({fmt(at_rec)} to {fmt(at_end)} on its trend; a fall of less than {fmt(tol)} is "
            f"within its noise). With a Keras "
            f"kernel_regularizer this can be the L2 penalty growing in val_loss, not overfitting; otherwise the "
            f"model is growing over-confident on the samples it gets wrong. Log the data loss apart to tell."
        )
        if ctx.framework in ("pytorch", "lightning"):
            ev += " (In PyTorch the optimizer's weight_decay is not in the loss, so only a penalty you add yourself can do this.)"
            return self.hit(0.4, ev)
        hint = (
            None
            if ctx.framework
            else "with --framework pytorch this check ranks lower: weight_decay there is not part of the loss"
        )
        # a possibility to check, not a finding: the log cannot show a penalty term; an accuracy
        # that rose beyond its noise while the loss rose is stronger evidence than one that held
        return self.hit(0.7 if change == "rose" else 0.55, ev, hint=hint)
