from __future__ import annotations

from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import OVERFIT, cap, divergence_phrase, gap_phrase, ratio_boost


class MoreData(Rule):
    id = "more-data"
    title = "Get more training data"
    group = "data"
    why = (
        "Variance falls as the training set grows: with more samples the noise the model can "
        "memorize averages out, and the learning curve tells whether that will pay off."
    )
    what = """\
Collects or labels more training samples (or moves data from an oversized validation set into
training, or uses cross-validation). Before paying for data, draw the learning curve: train on
25%, 50% and 100% of the current training set and look at the best validation value. If it is
still improving at 100%, more data will help; if it has flattened, it will not."""
    helps = """\
High variance with a small training set, the classic case for it. Nothing else reduces
variance without adding bias."""
    hurts = """\
- More data of the same noisy labels helps less than cleaning them (see `clean-labels`).
- Data from another distribution than validation and deployment can hurt (see
  `distribution-mismatch`).
- It does nothing for a model that underfits."""
    suggested_when = """\
High variance; higher with a small `--train-size` or many parameters per sample, and when
training reached a near-perfect fit."""
    ranking = """\
`score = 0.5 + 0.1 x earliness + ratio boost` (as in `smaller-model`), `+ 0.1` with
`--train-size` under 5,000, `- 0.05` over 100,000."""
    references = (
        "Banko, M. & Brill, E. (2001). Scaling to Very Very Large Corpora for Natural Language Disambiguation. ACL.",
        "Hestness, J. et al. (2017). Deep Learning Scaling is Predictable, Empirically. arXiv:1712.00409.",
        "Ng, A. (2018). Machine Learning Yearning, chapters 28-32 (learning curves).",
    )
    defaults = {"epochs": 50}
    fix = Fix(
        keras="""\
# Learning curve: will more data help? Train on growing shares of the training set;
# if the best val_loss still falls at 100%, more data will help.
for share in (0.25, 0.5, 1.0):
    n = int(share * len(x_train))
    candidate = build_model()
    history = candidate.fit(x_train[:n], y_train[:n], validation_data=(x_val, y_val),
                            epochs=${epochs}, verbose=0)
    print(f"{n} samples: best val_loss {min(history.history['val_loss']):.4f}")
""",
        pytorch="""\
import torch
from torch.utils.data import DataLoader, Subset

# Learning curve: will more data help? Train on growing shares of the training set.
for share in (0.25, 0.5, 1.0):
    n = int(share * len(train_dataset))
    candidate = build_model()
    candidate_optimizer = torch.optim.Adam(candidate.parameters(), lr=1e-3)
    loader = DataLoader(Subset(train_dataset, range(n)), batch_size=32, shuffle=True)
    best = float("inf")
    for epoch in range(${epochs}):
        candidate.train()
        for inputs, targets in loader:
            candidate_optimizer.zero_grad()
            loss_fn(candidate(inputs), targets).backward()
            candidate_optimizer.step()
        best = min(best, evaluate(candidate))
    print(f"{n} samples: best val_loss {best:.4f}")
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in OVERFIT:
            return None
        score = 0.5 + 0.1 * f.earliness + ratio_boost(ctx)
        if ctx.train_size is not None:
            score += 0.1 if ctx.train_size < 5000 else (-0.05 if ctx.train_size > 100_000 else 0.0)
        ev = cap(divergence_phrase(f) if d.divergence_epoch is not None else gap_phrase(f))
        if f.memorised is not None:
            name, value, epoch = f.memorised
            ev += f", while {name} reached {fmt(value)}"
        if ctx.train_size:
            ev += f": the model learned its {ctx.train_size:,} training samples rather than the task"
        ev += ". Draw the learning curve first to see whether more data would pay off."
        hint = None if ctx.train_size else "with --train-size, a small training set would rank this higher"
        return self.hit(score, ev, {}, hint)
