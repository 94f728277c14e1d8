from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import keras_monitor


class TrainLonger(Rule):
    id = "train-longer"
    title = "Train for more epochs"
    group = "optimization"
    why = (
        "The validation curve was still going down when training stopped: the model had not yet "
        "reached its best, and more epochs (with early stopping as the end) will get there."
    )
    what = """\
Continues training, from the saved weights or from scratch with a larger epoch budget, and lets
early stopping with best-weight restore decide when to end (`patience` from the noise of the
run). In Keras `initial_epoch` continues the epoch numbering of the previous `fit`."""
    helps = """\
A validation curve still improving at the last epoch, and an underfitting run whose training
loss is still falling."""
    hurts = """\
- It wastes compute when the training loss has flattened: then the model, not the budget, is
  the limit (see `more-capacity`).
- With a decaying schedule that already reached its minimum, continuing at the final, tiny rate
  gains little: restart the schedule for the longer budget."""
    suggested_when = """\
Still improving: always first. Underfitting: when the training trend is still falling at the
end. Never for a run that overfits, and never when training has plateaued."""
    ranking = """\
`0.95` still improving; `0.7` underfitting (or both) with training still falling beyond its
noise over the last quarter; silent after a divergence."""
    references = (
        "Prechelt, L. (1998). Early Stopping - But When? In *Neural Networks: Tricks of the Trade*.",
        "Keras `Model.fit` (`initial_epoch`): https://keras.io/api/models/model_training_apis/",
    )
    defaults = {"monitor": "val_loss", "mode": "min", "initial_epoch": 25, "epochs": 100, "patience": 5}
    fix = Fix(
        keras="""\
import keras

# Continue from the current weights; early stopping decides when to end
model.fit(
    x_train, y_train, validation_data=(x_val, y_val),
    initial_epoch=${initial_epoch}, epochs=${epochs},
    callbacks=[keras.callbacks.EarlyStopping(monitor=${monitor}, mode=${mode}, patience=${patience},
                                             restore_best_weights=True)],
)
""",
        pytorch="""\
import copy

best_loss, best_state, wait = evaluate(model), copy.deepcopy(model.state_dict()), 0
for epoch in range(${initial_epoch}, ${epochs}):
    train_one_epoch(model, optimizer)
    val_loss = evaluate(model)
    if val_loss < best_loss:
        best_loss, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        wait += 1
        if wait >= ${patience}:
            break
model.load_state_dict(best_state)
""",
        lightning="""\
import lightning as L
from lightning.pytorch.callbacks import EarlyStopping

# Continue from a checkpoint of the run with a larger budget:
# trainer.fit(lit_model, train_loader, val_loader, ckpt_path="last.ckpt")
trainer = L.Trainer(max_epochs=${epochs}, callbacks=[EarlyStopping(monitor=${monitor}, mode=${mode}, patience=${patience})])
trainer.fit(lit_model, train_loader, val_loader)
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        n = f.total_epochs
        sim, _ = f.stopping
        params = {
            "monitor": keras_monitor(f),
            "mode": f.mode,
            "initial_epoch": n,
            "epochs": 4 * n,
            "patience": sim.patience,
        }
        if d.verdict == "still_improving":
            q = max(2, f.n // 4)
            a = max(0, f.last - q)
            before, last = float(f.val[a]), float(f.val[-1])
            change = (last - before) / abs(before) if before else 0.0
            ev = (
                f"{f.val_name} was still improving at the last {u}: {fmt(before)} at {u} {f.epoch(a)}, "
                f"{fmt(last)} at {u} {f.epoch(f.last)} ({change:+.1%} over the last {f.last - a} {u}s), "
                f"the best of the run. Continue to about {4 * n} {u}s and let early stopping "
                f"(patience {sim.patience}) end it."
            )
            return self.hit(0.95, ev, params)
        if d.verdict in ("underfitting", "overfitting_and_underfitting") and f.train_still_falling:
            if d.verdict == "overfitting_and_underfitting" and d.divergence_epoch is not None:
                return None
            ev = (
                f"{f.train_name} is still falling at the end ({fmt(abs(f.train_end_slope))} per {u} over the last "
                f"{max(2, f.n // 4)} {u}s, now {fmt(float(f.train[-1]))}): the model has not finished learning."
            )
            return self.hit(0.7, ev, params)
        return None
