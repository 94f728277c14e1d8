"""Confidence: the probability that the verdict is right, from the margin of its deciding test.

``confidence = 1 / (1 + exp(-(intercept[group] + slope * ln(margin))))``, clipped to
[0.05, 0.99], where ``margin >= 1`` is how far past its bar the deciding test passed (see
docs/analysis.md, "Verdict") and ``group`` the verdict (``overfitting_and_underfitting``
counts with ``overfitting``). The coefficients are a logistic regression (Platt scaling) of
"the verdict was right" on ``ln(margin)`` and the verdict, fitted on the accuracy
benchmark's development half by ``benchmarks/accuracy/calibrate.py``, which wrote the block
below and reports the fit's reliability on the test half and family by family, each family
scored by a fit made without it. A verdict the benchmark has too few runs of keeps the pooled
intercept. Verdicts that are certain by construction (``insufficient_data``; a run that blew
up before it had three finite points) keep 1.0.
"""

from __future__ import annotations

import math

# --- written by benchmarks/accuracy/calibrate.py; do not edit by hand ---
SLOPE = 1.077869
INTERCEPTS = {
    "good_fit": 1.236520,
    "not_learning": 1.793032,
    "overfitting": 0.729942,
    "pooled": 1.317990,
    "still_improving": 0.537253,
    "underfitting": 2.321479,
    "unstable": 1.298697,
}
FITTED_ON = "benchmarks/accuracy development half, 188 runs"
# --- end of the generated block ---

GROUPS = {"overfitting_and_underfitting": "overfitting"}


def group_of(verdict: str) -> str:
    return GROUPS.get(verdict, verdict)


def calibrated(verdict: str, margin: float) -> float:
    """The probability that ``verdict`` is right, given its deciding test's ``margin``."""
    intercept = INTERCEPTS.get(group_of(verdict), INTERCEPTS["pooled"])
    z = intercept + SLOPE * math.log(max(margin, 1.0))
    return round(min(0.99, max(0.05, 1.0 / (1.0 + math.exp(-z)))), 3)
