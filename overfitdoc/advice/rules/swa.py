from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, level_share, noise_phrase


class Swa(Rule):
    id = "swa"
    title = "Average the weights along the trajectory (SWA)"
    group = "regularization"
    why = (
        "Averaging the weights of the last epochs lands in the middle of a wide, flat region of the "
        "loss, which generalizes better than any single point the optimizer visits."
    )
    what = """\
Stochastic Weight Averaging keeps a running average of the weights over the last part of
training (with a constant or cyclical learning rate), then recomputes the batch-norm statistics
for the averaged weights. PyTorch: `torch.optim.swa_utils`; Lightning: the
`StochasticWeightAveraging` callback. Keras has no SWA; its optimizers' `use_ema=True` keeps an
exponential moving average of the weights, the same idea, and writes it into the model at the
end of `fit`."""
    helps = """\
Runs whose validation value wanders from epoch to epoch around a plateau, and mild overfitting:
typically a few tenths of a percent to a point of accuracy for free."""
    hurts = """\
- Averaging across a region where validation got worse averages overfit weights: start it
  before the validation curve turns, or combine it with early stopping.
- Forgetting `update_bn` leaves BatchNorm statistics of the last weights: results get worse.
- No help for a model that underfits."""
    suggested_when = """\
High variance, or a good fit whose validation series scatters by more than 1% of its level."""
    ranking = """\
Overfitting: `score = 0.3 + min(0.15, 3 x validation noise share)` (noise against the trend's
range or level); good fit: `0.3` when that share is above 1%, else `0.2`."""
    references = (
        "Izmailov, P., Podoprikhin, D., Garipov, T., Vetrov, D. & Wilson, A. G. (2018). Averaging Weights Leads to Wider Optima and Better Generalization. UAI.",
        "PyTorch SWA: https://pytorch.org/docs/stable/optim.html#weight-averaging-swa-and-ema",
    )
    defaults = {"epochs": 100, "swa_start": 75, "swa_lr": 0.05}
    fix = Fix(
        keras="""\
import keras

# Keras: an exponential moving average of the weights (fit writes it into the model at the end)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3, use_ema=True, ema_momentum=0.99),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

swa_model = AveragedModel(model)
swa_scheduler = SWALR(optimizer, swa_lr=${swa_lr})
for epoch in range(${epochs}):
    train_one_epoch(model, optimizer)
    if epoch >= ${swa_start}:
        swa_model.update_parameters(model)
        swa_scheduler.step()
update_bn(train_loader, swa_model)  # BatchNorm statistics for the averaged weights
print("validation loss of the averaged model:", evaluate(swa_model))
""",
        lightning="""\
import lightning as L
from lightning.pytorch.callbacks import StochasticWeightAveraging

trainer = L.Trainer(max_epochs=${epochs}, callbacks=[StochasticWeightAveraging(swa_lrs=${swa_lr}, swa_epoch_start=0.75)])
trainer.fit(lit_model, train_loader, val_loader)
""",
    )

    def check(self, f, ctx):
        d = f.d
        rel = f.val_noise_rel
        params = {"epochs": 100, "swa_start": 75, "swa_lr": 0.05}
        if d.verdict in OVERFIT:
            score = 0.3 + min(0.15, rel * 3)
            start = d.recommended_epoch
            ev = (
                f"{noise_phrase(f)}; averaging the weights of the {f.unit}s around {f.unit} {start}, before "
                f"{f.val_name} turned, gives one smoother model than any single {f.unit}."
            )
            return self.hit(score, ev, params)
        if d.verdict == "good_fit" and rel > 0.01:
            ev = (
                f"{noise_phrase(f)} ({level_share(f):.0%} of its level) on a plateau; averaging the weights over the "
                f"plateau typically gains a little for free."
            )
            return self.hit(0.3, ev, params)
        if d.verdict == "good_fit":
            ev = (
                f"The curves converged ({f.val_name} {fmt(float(f.val[-1]))}); averaging the weights over the last "
                f"{f.unit}s may still gain a little."
            )
            return self.hit(0.2, ev, params)
        return None
