"""Confidence: the probability that the verdict is right, from the measurements that decided it.

``confidence = 1 / (1 + exp(-z))``, clipped to [0.05, 0.99], with

    z = intercept[group] + SLOPE * ln(margin)
        + BIAS_TEST        (when the bias test decided: a plateau judged by how far it got)
        + SIZE * ln(n / 100)   (validation split of n samples, known: given or from accuracy steps)
        + UNKNOWN_SIZE     (its size unknown)

where ``margin >= 1`` is how far past its bar the deciding test passed (see docs/analysis.md,
"Verdict"), ``group`` the verdict (``overfitting_and_underfitting`` counts with
``overfitting``) and ``n`` is clamped to [5, 5000]. The coefficients are a logistic regression
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
SLOPE = 1.569170
INTERCEPTS = {
    "good_fit": 0.094216,
    "not_learning": 1.983290,
    "overfitting": -1.107964,
    "pooled": 0.420014,
    "still_improving": 0.031118,
    "underfitting": 1.553556,
    "unstable": 0.167977,
}
BIAS_TEST = 0.025514
SIZE = 0.009980
UNKNOWN_SIZE = -0.245671
MIN_POINTS = 14
FITTED_ON = "benchmarks/accuracy development half, 758 runs"
# --- end of the generated block ---

GROUPS = {"overfitting_and_underfitting": "overfitting"}


def group_of(verdict: str) -> str:
    return GROUPS.get(verdict, verdict)


CANNOT_TELL = 0.5


def features(test: str | None, val_size: int | None) -> tuple[float, float, float]:
    """(bias test decided, ln(n / 100) or 0, size unknown): the features besides the margin."""
    size = math.log(min(max(val_size, 5), 5000) / 100) if val_size else 0.0
    return (1.0 if test == "bias" else 0.0), size, (0.0 if val_size else 1.0)


def calibrated(verdict: str, margin: float, test: str | None = None, val_size: int | None = None) -> float:
    """The probability that ``verdict`` is right, given its deciding ``test``, that test's
    ``margin`` and the validation split's size (None: unknown)."""
    intercept = INTERCEPTS.get(group_of(verdict), INTERCEPTS["pooled"])
    bias, size, unknown = features(test, val_size)
    z = intercept + SLOPE * math.log(max(margin, 1.0)) + BIAS_TEST * bias + SIZE * size + UNKNOWN_SIZE * unknown
    return round(min(0.99, max(0.05, 1.0 / (1.0 + math.exp(-z)))), 3)


def too_short(verdict: str, points: int) -> bool:
    """A run of fewer than ``MIN_POINTS`` paired points, shorter than any the fit has seen, with
    a verdict that needs a trend (every verdict but ``unstable``)."""
    return points < MIN_POINTS and group_of(verdict) != "unstable"


def within_reach(confidence: float, verdict: str, points: int) -> float:
    """``confidence``, at most one half for a run :func:`too_short` for the fit to speak for."""
    return min(confidence, CANNOT_TELL) if too_short(verdict, points) else confidence
