from __future__ import annotations

import math

from ...analysis.calibration import MIN_POINTS
from ..base import Fix, Rule


class EvaluateMoreOften(Rule):
    id = "evaluate-more-often"
    title = "Evaluate on the validation split more often"
    group = "logging"
    why = (
        "A verdict reads a trend and its noise from the validation curve: with only a handful of "
        "evaluations the two cannot be told apart, so the same run evaluated more often is what decides it."
    )
    what = f"""\
Evaluates the validation split several times per epoch (or every N steps) over the same
training budget, so the log holds at least {MIN_POINTS} evaluations (the shortest run the
confidence was calibrated on), each with the mean training loss since the previous one. Keras
validates once per epoch: a callback evaluates every N batches and writes its own CSV; in
PyTorch the loop does it; Lightning has `val_check_interval`, the Hugging Face `Trainer`
`eval_strategy="steps"`. The validation split stays the same; only how often it is read changes."""
    helps = """\
A run too short to judge: a fine-tune of a few epochs, a long run evaluated once per epoch for
three epochs. Its verdict's confidence is capped at one half and `cannot_tell.kind` is
`short_run`; the new log can be diagnosed as it is."""
    hurts = """\
Each evaluation costs a pass over the validation split: on a large split, evaluate a fixed
subset of it, or less often. More evaluations of the same split do not make a small split
less noisy (see `small-validation-set`)."""
    suggested_when = f"""\
The analysis cannot tell because the run has fewer than {MIN_POINTS} paired evaluations
(`cannot_tell.kind` `short_run`). First then, as the experiment that decides; second when the
verdict is `still_improving` (training longer, `train-longer`, adds evaluations too)."""
    ranking = """\
`0.95` when the run is too short to judge; `0.85` when it is also still improving (then
`train-longer`, at 0.95, comes first). Silent otherwise. The fix evaluates
`per_epoch = ceil(MIN_POINTS / epochs)` times per epoch (Hugging Face: every
`eval_steps = floor(last step / MIN_POINTS)` steps; Ultralytics, which validates once per
epoch: at least `MIN_POINTS` epochs)."""
    references = (
        "Keras callbacks (`on_train_batch_end`): https://keras.io/api/callbacks/",
        "Lightning `Trainer(val_check_interval=...)`: https://lightning.ai/docs/pytorch/stable/common/trainer.html",
        "Hugging Face `TrainingArguments` (`eval_strategy`, `eval_steps`): https://huggingface.co/docs/transformers/main_classes/trainer",
    )
    defaults = {"epochs": 3, "per_epoch": 5, "interval": 0.2, "eval_steps": 50, "min_epochs": MIN_POINTS}
    fix = Fix(
        keras="""\
import csv

import keras


class EvaluateEvery(keras.callbacks.Callback):
    \"\"\"Evaluate on the validation split every `every` batches; write history.csv as it goes.\"\"\"

    def __init__(self, every):
        super().__init__()
        self.every, self.step, self.rows = every, 0, []

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            val = self.model.evaluate(x_val, y_val, verbose=0, return_dict=True)
            row = {"step": self.step, "loss": logs["loss"]}
            row.update({f"val_{k}": v for k, v in val.items()})
            self.rows.append(row)
            with open("history.csv", "w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
                writer.writerows(self.rows)


batches = -(-len(x_train) // 32)  # batches per epoch at batch_size=32
model.fit(x_train, y_train, batch_size=32, epochs=${epochs},
          callbacks=[EvaluateEvery(max(1, batches // ${per_epoch}))])  # ${per_epoch} evaluations per epoch
""",
        pytorch="""\
import json

history, step = [], 0
every = max(1, len(train_loader) // ${per_epoch})  # ${per_epoch} evaluations per epoch
for epoch in range(${epochs}):
    total, batches = 0.0, 0
    for inputs, targets in train_loader:
        model.train()
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total, batches, step = total + loss.item(), batches + 1, step + 1
        if step % every == 0:  # the mean training loss since the last evaluation, and validation now
            history.append({"step": step, "train_loss": total / batches, "val_loss": evaluate(model)})
            total, batches = 0.0, 0
            with open("history.json", "w") as fh:
                json.dump(history, fh)
""",
        lightning="""\
import lightning as L
from lightning.pytorch.loggers import CSVLogger

# validate ${per_epoch} times per epoch; log train_loss with on_step=True to pair it
trainer = L.Trainer(max_epochs=${epochs}, val_check_interval=${interval}, logger=CSVLogger("logs"))
trainer.fit(lit_model, train_loader, val_loader)
""",
    )

    def check(self, f, ctx):
        d = f.d
        unsure = d.cannot_tell
        if unsure is None or unsure.kind != "short_run":
            return None
        epochs = d.epochs_trained if d.unit == "step" and d.epochs_trained else f.total_epochs
        per_epoch = max(1, math.ceil(MIN_POINTS / max(epochs, 1e-9)))
        params = {
            "epochs": max(1, int(round(epochs))),
            "per_epoch": per_epoch,
            "interval": round(1.0 / per_epoch, 3),
            "eval_steps": max(1, int(float(f.points[-1]) // MIN_POINTS)),
            "min_epochs": max(MIN_POINTS, int(round(epochs))),  # where evaluation is once per epoch
        }
        ev = f"The experiment that decides this run: {unsure.experiment} ({unsure.reason})."
        if d.verdict == "still_improving":
            ev += " Training longer (train-longer) adds evaluations too."
            return self.hit(0.85, ev, params, decides=True)
        return self.hit(0.95, ev, params, decides=True)
