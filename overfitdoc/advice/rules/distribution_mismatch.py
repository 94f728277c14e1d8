from __future__ import annotations

from ...numbers import relative_gap
from ..base import Fix, Rule
from ..facts import OPEN_GAP, fmt
from ..phrases import OVERFIT, cap


class DistributionMismatch(Rule):
    id = "distribution-mismatch"
    title = "Check that training and validation come from the same distribution"
    group = "checks"
    why = (
        "A gap that is there from the first epoch and does not grow is an offset between the data sets, "
        "not memorization; regularizing the model will not close it."
    )
    what = """\
Adversarial validation: train a classifier to tell training rows from validation rows. An AUC
near 0.5 means the two look alike; well above 0.5 means they differ, and the classifier's most
important features say how (a different time period, site, device, user group, class balance,
or preprocessing). Then split so that validation looks like the data the model will serve
(by time for time series, by group for repeated measurements)."""
    helps = """\
A gap that opens immediately and stays constant, validation worse than training already in the
first epoch (when training numbers are normally the worse ones), time series split at random,
and data collected in batches from different sources."""
    hurts = """\
A differing validation set can be the right choice: if it represents deployment, the model must
adapt (more data like it, domain adaptation), not the split."""
    suggested_when = """\
A gap above a quarter of the training value at the end that is stable or narrowing
without a rise of the validation curve, or that was already above it at the first epoch;
higher with `--task timeseries`."""
    ranking = """\
For a gap that is large at the end (more than 25% of the training value):
`score = 0.5 + 0.2 x [the gap was already large at the first point] + 0.2 x [it is an offset:
no divergence and a stable or narrowing gap]`, `+ 0.1` with `--task timeseries`; silent when
neither holds."""
    references = (
        "Quinonero-Candela, J., Sugiyama, M., Schwaighofer, A. & Lawrence, N. D. (2009). Dataset Shift in Machine Learning. MIT Press.",
        "Rabanser, S., Guennemann, S. & Lipton, Z. (2019). Failing Loudly: An Empirical Study of Methods for Detecting Dataset Shift. NeurIPS.",
    )
    fix = Fix(
        keras="""\
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score

# Adversarial validation: can a classifier tell validation rows from training rows?
x_all = np.concatenate([x_train.reshape(len(x_train), -1), x_val.reshape(len(x_val), -1)])
is_val = np.r_[np.zeros(len(x_train)), np.ones(len(x_val))]
auc = cross_val_score(HistGradientBoostingClassifier(), x_all, is_val, cv=5, scoring="roc_auc").mean()
print(f"train-vs-validation AUC {auc:.3f} (0.5: same distribution)")
""",
        pytorch="""\
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import cross_val_score

# Adversarial validation: can a classifier tell validation rows from training rows?
x_all = np.concatenate([x_train.reshape(len(x_train), -1).numpy(), x_val.reshape(len(x_val), -1).numpy()])
is_val = np.r_[np.zeros(len(x_train)), np.ones(len(x_val))]
auc = cross_val_score(HistGradientBoostingClassifier(), x_all, is_val, cv=5, scoring="roc_auc").mean()
print(f"train-vs-validation AUC {auc:.3f} (0.5: same distribution)")
""",
    )

    def check(self, f, ctx):
        d = f.d
        if d.verdict not in OVERFIT + ("good_fit", "underfitting"):
            return None
        thr = OPEN_GAP
        rel0 = float(f.relative_gap[0])
        if float(f.relative_gap[f.last]) <= thr:
            return None  # no large gap at the end: nothing to explain
        first_gap = rel0 > thr
        offset = d.divergence_epoch is None and d.gap.trend in ("stable", "narrowing")
        if not (first_gap or offset):
            return None
        u = f.unit
        parts = []
        if first_gap:
            parts.append(
                f"validation was already {fmt(float(f.gap_trend[0]))} worse than training at {u} {f.epoch(0)} "
                f"({relative_gap(rel0)}), before the model could have overfit"
            )
        if offset:
            parts.append(
                f"the gap is {d.gap.trend} ({fmt(d.gap.final)} at the end) and {f.val_name} has not turned "
                f"worse: an offset, not memorization"
            )
        ev = "; ".join(parts)
        ev = cap(ev) + ". Check that both sets come from the same distribution (adversarial validation)."
        score = 0.5 + (0.2 if first_gap else 0) + (0.2 if offset else 0)
        if ctx.task == "timeseries":
            score += 0.1
            ev += " For time series, a later validation period often differs (drift)."
        return self.hit(score, ev)
