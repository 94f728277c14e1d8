from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import cap


class GradientClipping(Rule):
    id = "gradient-clipping"
    title = "Clip the gradient norm"
    group = "optimization"
    why = (
        "Rescaling any gradient whose norm exceeds a threshold caps the size of a single step, so one "
        "bad batch cannot throw the weights off or overflow them to NaN."
    )
    what = """\
Rescales the gradient before each update when its (global) norm exceeds `max_norm` (1.0 is
the usual start; log the gradient norm to choose it). Keras: `clipnorm` / `global_clipnorm` on
the optimizer; PyTorch: `torch.nn.utils.clip_grad_norm_` between `backward()` and `step()`;
Lightning: `Trainer(gradient_clip_val=...)`."""
    helps = """\
Loss spikes and NaN from exploding gradients: recurrent networks, transformers, deep networks
without normalization, and high learning rates."""
    hurts = """\
- It hides a learning rate that is simply too high: if clipping is active at nearly every step,
  lower the rate instead.
- A threshold far below the typical norm slows training like a tiny learning rate."""
    suggested_when = "An unstable run whose training series spikes or becomes non-finite."
    ranking = """\
`0.85` when the loss became non-finite (also before three finite points), `0.78` when training
only spiked (a jump of more than half from one point to the next); silent otherwise."""
    references = (
        "Pascanu, R., Mikolov, T. & Bengio, Y. (2013). On the difficulty of training recurrent neural networks. ICML.",
        "Zhang, J., He, T., Sra, S. & Jadbabaie, A. (2020). Why Gradient Clipping Accelerates Training. ICLR.",
    )
    defaults = {"max_norm": 1.0, "epochs": 100}
    fix = Fix(
        keras="""\
import keras

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3, global_clipnorm=${max_norm}),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=${epochs})
""",
        pytorch="""\
import torch

model.train()
for inputs, targets in train_loader:
    optimizer.zero_grad()
    loss_fn(model(inputs), targets).backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=${max_norm})  # log it
    optimizer.step()
""",
        lightning="""\
import lightning as L

trainer = L.Trainer(max_epochs=${epochs}, gradient_clip_val=${max_norm}, gradient_clip_algorithm="norm")
trainer.fit(lit_model, train_loader, val_loader)
""",
    )

    on_early_divergence = True

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        if f.early_divergence:
            ev = (
                f"{f.pair.train} overflowed to NaN or infinity at {u} {f.first_nonfinite}, before three {u}s had "
                f"finite values; clipping the gradient norm caps the step that causes it."
            )
            return self.hit(0.85, cap(ev), {"max_norm": 1.0})
        if d.verdict != "unstable" or not (f.spikes or f.first_nonfinite is not None):
            return None
        parts = []
        if f.spikes:
            e, a, b = f.spikes[0]
            parts.append(f"{f.train_name} spiked {len(f.spikes)} time(s) (first from {fmt(a)} to {fmt(b)} at {u} {e})")
        if f.first_nonfinite is not None:
            parts.append(f"overflowed to NaN or infinity at {u} {f.first_nonfinite}")
        ev = " and ".join(parts) + "; clipping the gradient norm caps the step that causes it."
        score = 0.85 if f.first_nonfinite is not None else 0.78
        return self.hit(score, cap(ev), {"max_norm": 1.0})
