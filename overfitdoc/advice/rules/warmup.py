from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt


class Warmup(Rule):
    id = "warmup"
    title = "Warm up the learning rate"
    group = "optimization"
    why = (
        "At initialization the gradients are large and Adam's statistics are unreliable; ramping the "
        "rate up over the first steps avoids the early blow-up without giving up the full rate later."
    )
    what = """\
Starts at a small fraction of the learning rate and raises it linearly to the full value over
the first steps (a few hundred to a few thousand, or the first 1-5 epochs), then continues with
the usual schedule."""
    helps = """\
Instability that starts in the first epochs (an early spike, NaN soon after the start), large
batches with a scaled-up rate (Goyal et al., 2017), transformers and Adam with high rates."""
    hurts = """\
- It only delays a rate that is too high for the later phase too: if the run blows up after
  the warm-up, lower the rate.
- Warm-up steps count towards the schedule: a long warm-up on a short run wastes epochs."""
    suggested_when = """\
An unstable run whose training goes wrong early (in the first fifth of the run); lower when the
trouble starts later. The learning-rate column, if any, shows whether a warm-up was used."""
    ranking = """\
Unstable runs whose instability is in training: `0.72` when it began in the first fifth of the
run, else `0.5`; `- 0.1` when the logged rate already warms up."""
    references = (
        "Goyal, P. et al. (2017). Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour. arXiv:1706.02677.",
        "Liu, L. et al. (2020). On the Variance of the Adaptive Learning Rate and Beyond. ICLR.",
    )
    defaults = {"lr": 1e-3, "warmup_steps": 500, "epochs": 100}
    fix = Fix(
        keras="""\
import math
import keras

epochs, batch_size = ${epochs}, 32
steps = epochs * math.ceil(len(x_train) / batch_size)
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=0.0, decay_steps=max(1, steps - ${warmup_steps}),
    warmup_target=${lr}, warmup_steps=${warmup_steps},  # linear warm-up, then cosine decay
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size)
""",
        pytorch="""\
import torch

warmup_steps = ${warmup_steps}
for group in optimizer.param_groups:
    group["lr"] = ${lr}
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup_steps))
for epoch in range(${epochs}):
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


class LitModelWarmup(LitModel):
    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=${lr})
        warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / ${warmup_steps}))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}


trainer = L.Trainer(max_epochs=${epochs})
trainer.fit(LitModelWarmup(model), train_loader, val_loader)
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        if d.verdict != "unstable" or not f.training_unstable:
            return None
        lr = f.lr
        sch = lr.schedule if lr is not None else None
        # a step log that warmed up already: twice its own warm-up (the steps to its peak)
        own = int(round(sch.peak_epoch)) if sch is not None and sch.warmup and u == "step" else None
        params = {
            "lr": float(f"{lr.peak / 10:.2g}") if lr is not None else self.defaults["lr"],
            "warmup_steps": 2 * own if own else 500,
        }
        if f.early_trouble:
            first = [e for e, _, _ in f.spikes] + ([f.first_nonfinite] if f.first_nonfinite is not None else [])
            last = int(round(float(f.raw_val[0][-1])))
            ev = f"Training went wrong early: first at {u} {min(first)}, in a log that runs to {u} {last}"
            score = 0.72
        else:
            causes = []
            if f.spikes:
                n = len(f.spikes)
                causes.append(f"{n} spike{'' if n == 1 else 's'}, the first at {u} {f.spikes[0][0]}")
            if f.d.nonfinite:
                causes.append(f"non-finite values from {u} {min(f.d.nonfinite)}")
            if not causes:
                causes.append(f"{f.train_name} scatters widely around its trend")
            ev = f"Training was unstable ({'; '.join(causes)})"
            score = 0.5
        if lr is not None:
            if lr.warmup:
                ev += f"; the {lr.column} column shows a warm-up already ({lr.describe()}): lengthen it"
                ev += f" (to {2 * own} steps, twice its {own})" if own else ""
                score -= 0.1
            else:
                ev += f"; the {lr.column} column starts at its full value ({fmt(lr.first)}) with no warm-up"
        ev += "."
        return self.hit(score, ev, params)
