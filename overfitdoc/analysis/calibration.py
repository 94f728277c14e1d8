"""Confidence: the probability that the verdict is right, from the measurements that decided it.

``confidence = 1 / (1 + exp(-z))``, clipped to [0.05, 0.99], with

    z = intercept[group] + SLOPE * ln(margin)
        + BIAS_TEST        (when the bias test decided: a plateau judged by how far it got)
        + SIZE * ln(n / 100)   (validation split of n samples, known: given or from accuracy steps)
        + UNKNOWN_SIZE     (its size unknown)
        + RESOLVED * ln(min(r, RESOLVED_AT) / RESOLVED_AT)   (a rise decided, the size known)
        + RISE_UNKNOWN_SIZE   (a rise decided, the size unknown)

where ``margin >= 1`` is how far past its bar the deciding test passed (see docs/analysis.md,
"Verdict"), ``group`` the verdict (``overfitting_and_underfitting`` counts with
``overfitting``), ``n`` is clamped to [5, 5000] and ``r`` is the rise in the split's sampling
errors (``Diagnosis.rise_in_split_se``, at least 0.1): a rise of ``RESOLVED_AT`` errors or more
adds nothing, a smaller one what the fit says. A rise whose split size is unknown cannot be
measured in those errors and takes its own term, ``RISE_UNKNOWN_SIZE`` (the missing-indicator
encoding), instead of counting as resolved. The coefficients are a logistic regression
of "the verdict was right" on those features, fitted on the accuracy benchmark's development
families by ``benchmarks/accuracy/calibrate.py``, which wrote the block below and reports the
fit's reliability on the held-out families, each scored by a fit made without it. A verdict the
benchmark has too few runs of keeps the pooled intercept. Verdicts that are certain by
construction (``insufficient_data``; a run that blew up before it had three finite points)
keep 1.0.

A run with fewer than ``MIN_POINTS`` paired points (the shortest run of the development half
with a verdict other than ``unstable``, also written by ``calibrate.py``) lies outside what the
fit has seen: its confidence is at most one half, and :mod:`.uncertainty` says it is too short
(``short_run``). An ``unstable`` verdict is exempt: non-finite values and spikes are read from
the values themselves (the development half's unstable runs have 3 to 9 finite points).

A confidence below ``CANNOT_TELL`` (0.5: the verdict is more likely wrong than right) is
reported as such, with the experiment that would decide (:mod:`.uncertainty`).
"""

from __future__ import annotations

import math

# --- written by benchmarks/accuracy/calibrate.py; do not edit by hand ---
SLOPE = 1.517801
INTERCEPTS = {
    "good_fit": 0.304948,
    "not_learning": 1.910381,
    "overfitting": -0.842743,
    "pooled": 0.484309,
    "still_improving": -0.080970,
    "underfitting": 1.541892,
    "unstable": 0.248873,
}
BIAS_TEST = 0.274119
SIZE = 0.061832
UNKNOWN_SIZE = 0.296626
RESOLVED = 0.198613
RISE_UNKNOWN_SIZE = -1.025638
MIN_POINTS = 14
FITTED_ON = "benchmarks/accuracy development half, 758 runs"
# --- end of the generated block ---

GROUPS = {"overfitting_and_underfitting": "overfitting"}


def group_of(verdict: str) -> str:
    return GROUPS.get(verdict, verdict)


CANNOT_TELL = 0.5
# the split errors a rise must pass to count as resolved: settings.z_rise, the bar it must pass
# against its trend's uncertainty
RESOLVED_AT = 3.0


def features(
    test: str | None, val_size: int | None, rise_se: float | None = None
) -> tuple[float, float, float, float, float]:
    """(bias test decided, ln(n / 100) or 0, size unknown, ln(rise in split errors) or 0, a rise
    of unknown size): the features besides the margin. The fourth is read only when a rise
    decided (``test`` ``rise``) and the split's size is known, clamped to [0.1, ``RESOLVED_AT``]
    split errors; the fifth is 1 when a rise decided and the size is unknown."""
    size = math.log(min(max(val_size, 5), 5000) / 100) if val_size else 0.0
    resolved = (
        math.log(min(max(rise_se, 0.1), RESOLVED_AT) / RESOLVED_AT) if test == "rise" and rise_se is not None else 0.0
    )
    rise_unknown = 1.0 if test == "rise" and not val_size else 0.0
    return (1.0 if test == "bias" else 0.0), size, (0.0 if val_size else 1.0), resolved, rise_unknown


def calibrated(
    verdict: str, margin: float, test: str | None = None, val_size: int | None = None, rise_se: float | None = None
) -> float:
    """The probability that ``verdict`` is right, given its deciding ``test``, that test's
    ``margin``, the validation split's size (None: unknown) and, for a rise, its size in the
    split's sampling errors (``Diagnosis.rise_in_split_se``)."""
    intercept = INTERCEPTS.get(group_of(verdict), INTERCEPTS["pooled"])
    bias, size, unknown, resolved, rise_unknown = features(test, val_size, rise_se)
    z = intercept + SLOPE * math.log(max(margin, 1.0)) + BIAS_TEST * bias + SIZE * size + UNKNOWN_SIZE * unknown
    z += RESOLVED * resolved + RISE_UNKNOWN_SIZE * rise_unknown
    return round(min(0.99, max(0.05, 1.0 / (1.0 + math.exp(-z)))), 3)


def too_short(verdict: str, points: int) -> bool:
    """A run of fewer than ``MIN_POINTS`` paired points, shorter than any the fit has seen, with
    a verdict that needs a trend (every verdict but ``unstable``)."""
    return points < MIN_POINTS and group_of(verdict) != "unstable"


def within_reach(confidence: float, verdict: str, points: int) -> float:
    """``confidence``, at most one half for a run :func:`too_short` for the fit to speak for."""
    return min(confidence, CANNOT_TELL) if too_short(verdict, points) else confidence
