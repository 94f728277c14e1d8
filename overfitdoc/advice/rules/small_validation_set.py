from __future__ import annotations

from ...analysis.calibration import RESOLVED_AT
from ...analysis.validation import resolving_size
from ..base import Fix, Rule
from ..facts import fmt
from ..phrases import cap, level_share, noise_phrase


class SmallValidationSet(Rule):
    id = "small-validation-set"
    title = "Use a larger validation set, or cross-validation"
    group = "checks"
    why = (
        "With few validation samples, the epoch-to-epoch scatter of the validation metric is as large "
        "as the differences you are trying to see; the best epoch it points to is partly luck."
    )
    what = """\
Makes the validation estimate less noisy: a larger validation split, or k-fold
cross-validation (every sample validates once; the spread across folds is the uncertainty).
An accuracy measured on `n` samples has a standard error of about `sqrt(p (1 - p) / n)`: with
200 samples and p = 0.85, 0.025, so differences of a few points between epochs or models are
noise. overfitdoc estimates the noise from the series itself (the robust spread of the
validation values around their trend) and, when the log has an accuracy series, the size of the
validation set from the steps its values move in (accuracy is a count divided by n)."""
    helps = """\
Validation curves that jump while training is smooth, a raw best epoch that is a lucky dip
below the trend, and comparisons between runs that differ by less than the noise."""
    hurts = """\
- A larger validation split leaves less data for training; cross-validation costs k runs.
- It does not make the model better, only the measurement trustworthy."""
    suggested_when = """\
A run flagged unstable because of its validation series alone, unless its validation accuracy
swings by more than twice its sampling error (then the model swings: `lower-lr`); first (0.95),
as the experiment that decides, when the verdict cannot be sure because the split has under 200
samples (`cannot_tell.kind` `small_split`); a divergence of fewer than 3 of the split's
sampling errors (`rise_in_split_se`, when the split's size is known), naming the split size
that would resolve it, `n * (3 / rise_in_split_se)^2`; validation
noise above 10% of the trend's range; a raw best epoch far from the trend's best and below it by
more than 2 noise units; an accuracy standard error (from the estimated set size) of 0.02 or
more."""
    ranking = """\
The largest that applies: `0.9` when only validation is unstable (training smooth, and the
accuracy's scatter within twice its sampling error); `0.45 + min(0.25, noise / range)` when the
validation noise is more than 10% of its trend's range; `0.45` when the best epoch is a dip of
more than 2 noise below the trend, away from the recommended epoch; `0.3` when the split's size
gives a standard error of 0.02 or more at the final accuracy; `0.8` for a divergence under one
sampling error of the split (on the benchmark's development half, 42% of such calls were
overfitting by the test loss), `0.6` under three; `0.95` when the analysis cannot
tell because the split is small. Capped at `0.4` for a good fit the analysis is sure of."""
    references = (
        "Kohavi, R. (1995). A Study of Cross-Validation and Bootstrap for Accuracy Estimation and Model Selection. IJCAI.",
        "Bouthillier, X. et al. (2021). Accounting for Variance in Machine Learning Benchmarks. MLSys.",
    )
    defaults = {"folds": 5, "epochs": 50}
    fix = Fix(
        keras="""\
import numpy as np
from sklearn.model_selection import StratifiedKFold

# k-fold cross-validation over all labelled data: the spread across folds is the noise
x_all, y_all = np.concatenate([x_train, x_val]), np.concatenate([y_train, y_val])
scores = []
for train_idx, val_idx in StratifiedKFold(n_splits=${folds}, shuffle=True, random_state=0).split(x_all, y_all):
    fold_model = build_model()
    history = fold_model.fit(x_all[train_idx], y_all[train_idx],
                             validation_data=(x_all[val_idx], y_all[val_idx]), epochs=${epochs}, verbose=0)
    scores.append(min(history.history["val_loss"]))
print(f"best val_loss {np.mean(scores):.4f} +- {np.std(scores):.4f} over {len(scores)} folds")
""",
        pytorch="""\
import numpy as np
import torch
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import DataLoader, TensorDataset

# k-fold cross-validation over all labelled data: the spread across folds is the noise
x_all, y_all = torch.cat([x_train, x_val]), torch.cat([y_train, y_val])
scores = []
for train_idx, val_idx in StratifiedKFold(n_splits=${folds}, shuffle=True, random_state=0).split(x_all, y_all):
    fold_model = build_model()
    fold_optimizer = torch.optim.Adam(fold_model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x_all[train_idx], y_all[train_idx]), batch_size=32, shuffle=True)
    best = float("inf")
    for epoch in range(${epochs}):
        fold_model.train()
        for inputs, targets in loader:
            fold_optimizer.zero_grad()
            loss_fn(fold_model(inputs), targets).backward()
            fold_optimizer.step()
        fold_model.eval()
        with torch.no_grad():
            best = min(best, loss_fn(fold_model(x_all[val_idx]), y_all[val_idx]).item())
    scores.append(best)
print(f"best val loss {np.mean(scores):.4f} +- {np.std(scores):.4f} over {len(scores)} folds")
""",
    )

    def check(self, f, ctx):
        d = f.d
        u = f.unit
        sigma = d.noise or 0.0
        span = float(f.val_trend_o.max() - f.val_trend_o.min())
        parts = []
        score = 0.0
        if d.verdict == "unstable":
            # only when validation alone is unstable, and its accuracy does not swing beyond the
            # sampling error of its set (then the model swings: lower-lr)
            if f.training_unstable or not f.val_jumps or f.val_swings:
                return None
            parts.append(
                f"{noise_phrase(f)}, {level_share(f):.0%} of its level, while {f.train_name} is smooth: the "
                f"instability is in the measurement"
            )
            score = 0.9
        if d.verdict != "not_learning" and span > 0 and sigma / span > 0.1 and not parts:
            parts.append(f"{noise_phrase(f)}, {sigma / span:.0%} of the trend's whole range ({fmt(span)})")
            score = max(score, 0.45 + min(0.25, sigma / span))
        bi, ri = f.best_i, f.rec_i
        dip = (float(f.val_trend_o[bi]) - float(f.val_o[bi])) / sigma if sigma > 0 else 0.0
        if d.verdict != "not_learning" and abs(bi - ri) > f.window / 2 and dip > 2:
            parts.append(
                f"the raw best {u} {d.best_epoch} ({fmt(d.best_val)}) is a dip {dip:.1f} noise units below "
                f"the trend, whose best is at {u} {d.recommended_epoch}"
            )
            score = max(score, 0.45)
        params = {"folds": 5}
        n = f.val_size
        if n is not None:
            params["val_size"] = n
        if n is not None and f.val_sampling is not None and f.score is not None:
            p = float(f.score.val[-1])
            se = f.val_sampling[1]
            given = d.val_size is not None and d.val_size.source == "given"
            has = (
                f"the validation set has {n} samples (--val-size)"
                if given
                else f"{f.score.pair.val} moves in steps of 1/{n}, so the validation set has about {n} samples"
            )
            if se >= 0.02 or parts:
                parts.append(
                    f"{has}: at {fmt(p)} its standard error is {fmt(se)}, and differences below about "
                    f"{fmt(2 * se)} are noise"
                )
                score = max(score, 0.3 if se >= 0.02 else score)
        rse = d.rise_in_split_se
        if d.divergence_epoch is not None and rse is not None and rse < RESOLVED_AT and d.val_size is not None:
            # the rise is within what the split's sampling alone moves its loss by
            part = (
                f"{f.val_name} rose {fmt(rse * d.split_se)} after {u} {d.divergence_epoch}, {rse:.1f} sampling "
                f"errors of a {d.val_size.n}-sample split ({fmt(d.split_se)} each: the loss over the square root "
                f"of its size), under the {RESOLVED_AT:g} a rise needs to be resolved: a few samples growing more "
                f"confidently wrong can do this while a large test set improves"
            )
            if d.cannot_tell is None or d.cannot_tell.kind != "small_split":
                needed = resolving_size(d.val_size.n, rse, RESOLVED_AT)
                part += f"; a split of about {needed} samples (or cross-validation) would resolve a rise this size"
            parts.insert(0, part)
            # under one error the benchmark's calls were more often noise than overfitting
            score = max(score, 0.8 if rse < 1 else 0.6)
        if d.cannot_tell is not None and d.cannot_tell.kind == "small_split":
            # the verdict cannot be sure because the split is small: a larger one decides
            parts.insert(0, f"the experiment that decides this run: {d.cannot_tell.experiment}")
            score = 0.95
        if not parts or score <= 0:
            return None
        if d.verdict == "good_fit" and (d.cannot_tell is None or d.cannot_tell.kind == "short_run"):
            # a sure good fit (or one too short to judge: more evaluations decide it, not more
            # validation samples) has little to gain from a larger split
            score = min(score, 0.4)
        ev = "; ".join(parts)
        decides = d.cannot_tell is not None and d.cannot_tell.kind == "small_split"
        return self.hit(score, cap(ev) + ".", params, decides=decides)
