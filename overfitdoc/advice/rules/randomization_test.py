from __future__ import annotations

import math

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, barely_moved, improvement, score_improved


class RandomizationTest(Rule):
    id = "randomization-test"
    title = "Run a randomization test (train on shuffled labels)"
    group = "checks"
    why = (
        "A model trained on shuffled labels must score at chance on validation; if it does not, or if "
        "its curves look like the real run's, the labels never reached the loss or validation leaks."
    )
    what = """\
Trains the same model, with the same pipeline, on the training inputs with their labels
randomly permuted, and compares with the real run:

- validation at chance level and training slowly memorizing: the pipeline is sound;
- validation above chance: validation shares information with training (a leak);
- the real run's curves look just like the shuffled run's: the labels, or the gradient, never
  reach the model (misaligned inputs and labels, a wrong loss, `zero_grad`/`step` missing, a
  frozen model).

Pair it with the other classic sanity checks: the loss at initialization should be ln(k) for k
balanced classes, and the model should be able to overfit a single batch to near zero loss."""
    helps = """\
A model that does not learn at all, a validation curve that never improves while training
does, and validation numbers too good to be true."""
    hurts = """\
It costs a full training run (a short one is enough), and it tests the pipeline, not the
model: a pass does not mean the model is good."""
    suggested_when = """\
Not learning (first, unless the loss blew up before it went flat: then after `lower-lr`);
validation that never improved while training did; validation nearly perfect or better than a
near-perfect training fit (as the test for a leak; validation merely below training is what
dropout or augmentation give, and the rule stays silent there, as `check-leakage` does)."""
    ranking = """\
`score = 0.85` for a run that does not learn (0.6 when the loss blew up first, where `lower-lr`
leads); `0.6` when validation never improved beyond its noise (its gain from the first point to
its best is at most 2 x sqrt(2) x its standard error) while training fell by more than 10%;
`0.45` as the test for a suspected leak (see `check-leakage`)."""
    references = (
        "Zhang, C., Bengio, S., Hardt, M., Recht, B. & Vinyals, O. (2017). Understanding Deep Learning Requires Rethinking Generalization. ICLR.",
        "Karpathy, A. (2019). A Recipe for Training Neural Networks. https://karpathy.github.io/2019/04/25/recipe/",
    )
    defaults = {"epochs": 20}
    fix = Fix(
        keras="""\
import numpy as np
import keras

# Same model and pipeline, labels shuffled: validation must end at chance level
y_shuffled = np.random.default_rng(0).permutation(y_train)
control = keras.models.clone_model(model)
control.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = control.fit(x_train, y_shuffled, validation_data=(x_val, y_val), epochs=${epochs}, verbose=0)
print("best val accuracy with shuffled labels:", max(history.history["val_accuracy"]),
      "chance:", 1 / num_classes)
""",
        pytorch="""\
import math

import torch
from torch.utils.data import DataLoader, TensorDataset

# Same model and pipeline, labels shuffled: validation must end at chance level
y_shuffled = y_train[torch.randperm(len(y_train), generator=torch.Generator().manual_seed(0))]
control = build_model()
control_optimizer = torch.optim.Adam(control.parameters(), lr=1e-3)
shuffled_loader = DataLoader(TensorDataset(x_train, y_shuffled), batch_size=32, shuffle=True)
for epoch in range(${epochs}):
    control.train()
    for inputs, targets in shuffled_loader:
        control_optimizer.zero_grad()
        loss_fn(control(inputs), targets).backward()
        control_optimizer.step()
print("validation loss with shuffled labels:", evaluate(control), "chance:", math.log(num_classes))
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict == "not_learning":
            ev = barely_moved(f)
            if f.chance_classes:
                k = f.chance_classes
                ev += (
                    f", and it sits at ln({k}) = {fmt(math.log(k))}: uniform predictions over {k} classes, chance level"
                )
            if f.spikes or f.first_spike is not None:
                # the loss blew up before it went flat: the learning rate is the first suspect
                ev += (
                    ": the blow-up points at the learning rate first (lower-lr); if a lower rate stays flat too, "
                    "a run on shuffled labels tells a pipeline bug from a lack of signal."
                )
                return self.hit(0.6, ev)
            ev += (
                ": a bug in the data pipeline or the training loop is likelier than a modelling problem. If a run "
                "on shuffled labels looks the same, the labels or the gradient never reach the model."
            )
            return self.hit(0.85, ev)
        se_v = (d.noise or 0.0) / math.sqrt(f.window)
        how, moved = improvement(f)
        if (
            d.verdict in OVERFIT
            and how != "improved"
            and f.val_gain <= 2 * math.sqrt(2) * se_v
            and f.train_gain > 0.1 * abs(float(f.train_trend_o[0]))
            and not score_improved(f)  # a validation accuracy that rose: something transferred
        ):
            ev = (
                f"{moved} while {f.train_name} fell from {fmt(float(f.train[0]))} to {fmt(float(f.train[-1]))}: "
                f"nothing the model learned shows on validation. A shuffled-label run tells a pipeline bug (same "
                f"curves) from a real lack of signal."
            )
            return self.hit(0.6, ev)
        vb = f.val_better
        if vb is not None and f.leak_suspected:
            ev = (
                "Validation is better than training here by more than dropout or augmentation explain (see "
                "check-leakage): a model trained on shuffled labels must score at chance on validation; if it "
                "scores above chance, validation leaks."
            )
            return self.hit(0.45, ev)
        return None
