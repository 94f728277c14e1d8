from __future__ import annotations

from ..base import Fix, Rule


class LogValidation(Rule):
    id = "log-validation"
    title = "Log training and validation metrics every epoch"
    group = "logging"
    why = (
        "Overfitting is visible only as a difference between training and validation over time: "
        "without a validation series per epoch (and at least a few epochs) there is nothing to diagnose."
    )
    what = """\
Records, once per epoch, the training loss, the validation loss, the same for accuracy (or
your main metric), and the learning rate, to a file overfitdoc reads: Keras `CSVLogger` with
`validation_data`, a JSON list of per-epoch dicts in PyTorch, Lightning's `CSVLogger` with
`self.log("val_loss", ...)` in `validation_step`. The learning rate lets the advice ground
learning-rate remedies in your run; an accuracy series lets it tell over-confidence and
penalty artifacts from overfitting."""
    helps = "Any run that overfitdoc cannot diagnose: no validation series, or fewer than 3 epochs with one."
    hurts = (
        "Evaluating every epoch costs time on very large validation sets: evaluate a fixed subset, or every N steps."
    )
    suggested_when = "The diagnosis is `insufficient_data`; the evidence says what was missing."
    ranking = """\
`1.0` when the log has no validation series (nothing else can be judged); silent otherwise."""
    references = (
        "Keras `CSVLogger`: https://keras.io/api/callbacks/csv_logger/",
        "Lightning logging: https://lightning.ai/docs/pytorch/stable/extensions/logging.html",
    )
    needs_monitor = False
    defaults = {"epochs": 100}
    fix = Fix(
        keras="""\
import keras

model.fit(
    x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs},
    callbacks=[keras.callbacks.CSVLogger("history.csv")],  # loss, val_loss, accuracy, val_accuracy
)
""",
        pytorch="""\
import json

history = []
for epoch in range(${epochs}):
    train_loss = train_one_epoch(model, optimizer)  # return the epoch's mean training loss
    history.append({"epoch": epoch + 1, "train_loss": train_loss, "val_loss": evaluate(model),
                    "lr": optimizer.param_groups[0]["lr"]})
    with open("history.json", "w") as fh:
        json.dump(history, fh)
""",
        lightning="""\
import lightning as L
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import CSVLogger

# In LitModel: self.log("val_loss", loss, on_epoch=True) in validation_step (and "train_loss" in training_step)
trainer = L.Trainer(max_epochs=${epochs}, logger=CSVLogger("logs"),
                    callbacks=[LearningRateMonitor(logging_interval="epoch")])
trainer.fit(lit_model, train_loader, val_loader)
# overfitdoc diagnose logs/lightning_logs/version_0/metrics.csv
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict != "insufficient_data":
            return None
        missing = d.missing or "too little to diagnose"
        ev = f"overfitdoc could not diagnose this log: {missing}. Log a validation series every {d.unit}, for at least 3 {d.unit}s."
        return self.hit(1.0, ev)
