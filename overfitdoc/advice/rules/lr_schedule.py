from __future__ import annotations

import numpy as np

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT


class LrSchedule(Rule):
    id = "lr-schedule"
    title = "Use a learning-rate schedule (one-cycle)"
    group = "optimization"
    why = (
        "A rate that rises and then anneals to near zero trains faster than a constant one, explores "
        "with large steps early (which regularizes) and settles precisely at the end."
    )
    what = """\
Changes the learning rate during training instead of keeping it constant. The one-cycle policy
warms up to a peak (about 10x the usual rate) over the first ~30% of steps, then anneals to
almost zero; with it some networks reach the same accuracy in a fraction of the epochs
("super-convergence"). Cyclical rates and cosine decay are close relatives; `ReduceLROnPlateau`
cuts the rate when the validation metric stalls. PyTorch: `OneCycleLR`, stepped every batch;
Keras: `CosineDecay` with `warmup_target` gives the same shape."""
    helps = """\
Runs with a constant learning rate that plateau, improve slowly, or overfit while the loss
still jitters; and whenever the epoch budget is tight. Find the peak with a learning-rate range
test (Smith, 2017): the largest rate at which the loss still falls."""
    hurts = """\
- A schedule is tied to the number of epochs: training longer later means a new schedule.
- Too high a peak diverges: if the run becomes unstable, lower `max_lr`.
- A schedule that decays too early (or `ReduceLROnPlateau` with a short patience) freezes an
  underfitting model in place."""
    suggested_when = """\
Overfitting, still improving, underfitting, and a good fit that has plateaued. When the log has
a learning-rate column (`lr`, `learning_rate`), the evidence and the peak come from it: the
run's own peak where its rate was scheduled, 10x a rate that never came down. Never for a run
whose rate already followed a smooth decay to under half its peak (linear, cosine or another,
with or without warm-up): that is the schedule this remedy advises."""
    ranking = """\
By verdict: `0.55` still improving, `0.42` underfitting, `0.4` overfitting and underfitting,
`0.38` overfitting, `0.3` good fit."""
    references = (
        "Smith, L. N. (2017). Cyclical Learning Rates for Training Neural Networks. WACV.",
        "Smith, L. N. & Topin, N. (2019). Super-Convergence: Very Fast Training of Neural Networks Using Large Learning Rates. SPIE 11006.",
        "Loshchilov, I. & Hutter, F. (2017). SGDR: Stochastic Gradient Descent with Warm Restarts. ICLR.",
    )
    defaults = {"max_lr": 1e-2, "epochs": 30}
    fix = Fix(
        keras="""\
import math
import keras

epochs, batch_size = ${epochs}, 32
steps = epochs * math.ceil(len(x_train) / batch_size)
warmup = int(0.3 * steps)
# one-cycle shape: warm up to max_lr over the first 30% of steps, then cosine down to ~0
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=${max_lr} / 25, decay_steps=steps - warmup,
    warmup_target=${max_lr}, warmup_steps=warmup, alpha=1e-3,
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size)
""",
        pytorch="""\
import torch

epochs = ${epochs}
scheduler = torch.optim.lr_scheduler.OneCycleLR(
    optimizer, max_lr=${max_lr}, epochs=epochs, steps_per_epoch=len(train_loader)
)
for epoch in range(epochs):
    model.train()
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
        scheduler.step()  # once per batch
""",
        lightning="""\
import lightning as L
import torch
from lightning.pytorch.callbacks import LearningRateMonitor


class LitModelOneCycle(LitModel):
    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=${max_lr} / 25)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=${max_lr}, total_steps=self.trainer.estimated_stepping_batches
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


trainer = L.Trainer(max_epochs=${epochs}, callbacks=[LearningRateMonitor(logging_interval="epoch")])
trainer.fit(LitModelOneCycle(model), train_loader, val_loader)
""",
    )

    def _after_drops(self, f) -> str:
        """How validation responded to each cut of the learning rate."""
        parts = []
        for epoch, _before, _after in f.lr.drops[:3]:
            i = f.index_at(epoch)
            if i >= f.last:
                continue
            j = min(f.last, i + max(2, f.window))
            gain = float(f.val_trend_o[max(i - 1, 0)] - f.val_trend_o[j:].min()) if j > i else 0.0
            moved = "improved it" if gain > 2 * (f.d.noise or 0) else "did not move it"
            parts.append(f"the cut at {f.unit} {epoch} {moved}")
        return "; ".join(parts)

    def check(self, f, ctx):
        d = f.d
        lr = f.lr
        base = {
            "overfitting": 0.38,
            "overfitting_and_underfitting": 0.4,
            "still_improving": 0.55,
            "underfitting": 0.42,
            "good_fit": 0.3,
        }.get(d.verdict)
        if base is None:
            return None
        sch = lr.schedule if lr is not None else None
        if sch is not None and sch.annealed and sch.kind != "step":
            return None  # a smooth decay (with or without warm-up) is the schedule this rule would advise
        # the peak of a schedule that had one; 10x a rate that never came down (one-cycle's usual peak)
        max_lr = (
            (10 * lr.peak if sch is None or sch.kind in ("constant", "increasing") else lr.peak)
            if lr is not None
            else self.defaults["max_lr"]
        )
        params = {"max_lr": float(f"{max_lr:.2g}"), "epochs": max(10, f.total_epochs)}
        u = f.unit
        if lr is not None and lr.constant:
            base += 0.12
            ev = f"The {lr.column} column {lr.describe()}: no schedule."
            ev += f" A one-cycle schedule peaking near {fmt(params['max_lr'])} (10x it) and annealing to ~0"
        elif lr is not None:
            ev = f"The {lr.column} column {lr.describe()}"
            if lr.drops:
                after = self._after_drops(f)
                ev += f" ({after})" if after else ""
            ev += "; a one-cycle schedule"
            base += 0.05
        else:
            ev = "The log has no learning-rate column (log it, e.g. as `lr`, and this advice will use it); a one-cycle schedule"
        if d.verdict == "still_improving":
            ev += f" gets the {fmt(float(abs(f.end_slope)))} per {u} improvement of the last {u}s in far fewer epochs."
        elif d.verdict in OVERFIT:
            ev += (
                f" explores with large steps (which regularizes) and settles by the end; this run's best "
                f"{f.val_name} came at {u} {d.recommended_epoch} of {f.total_epochs}."
            )
        elif d.verdict == "underfitting":
            ev += f" can move {f.train_name} off its plateau at {fmt(float(f.train[-1]))}."
        else:
            plateau = int(np.argmax(np.abs(f.val_trend_o - f.val_trend_o[-1]) <= 2 * (d.noise or 0)))
            ev += (
                f" anneals the plateau the curves have been on since about {u} {f.epoch(plateau)} "
                f"to a slightly lower {f.val_name}."
            )
        return self.hit(base, ev, params)
