"""Fit the confidence calibration (``overfitdoc/analysis/calibration.py``) on the development half.

    python benchmarks/accuracy/calibrate.py [--write]

Diagnoses every benchmark run in process, and fits a logistic regression (Platt scaling) of
"the verdict was right" (the truth's label or its accepted second label; ambiguous runs left
out) on ``ln(margin)``, the verdict group, whether the bias test decided, and the validation
split's size (``ln(n / 100)`` when the analysis knows it, else an "unknown size" indicator),
on the development half only. A group with fewer
than ``MIN_GROUP`` development runs takes the pooled intercept. It prints the reliability of
that fit on the test half, and leave-one-family-out: each data family's runs (both halves)
scored by a fit made on the development runs of the other families. ``--write`` writes the
development fit into the generated block of ``calibration.py``.

``--features NAME`` fits one of the candidate feature sets of ``FEATURE_SETS`` instead of the
tool's own (``current``), and prints the same figures, so that each candidate that RESULTS.md
reports as tried can be reproduced; ``--write`` takes only ``current``, the formula that
``calibration.py`` evaluates. Besides the binned error, each run prints the development half's
leave-one-family-out log loss (each family's development runs scored by a fit made without that
family: a proper scoring rule, less noisy than a binned error on so few runs), the number
RESULTS.md compares the candidates by.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np
import score as score_mod
import truth as truth_mod

from overfitdoc import diagnose
from overfitdoc.analysis import calibration
from overfitdoc.report import run_report

HERE = Path(__file__).resolve().parent
TARGET = Path(calibration.__file__)
MIN_GROUP = 8
C = 1.0  # L2 strength of the fit (scikit-learn's C): keeps small groups near the pooled fit


def observations() -> list[dict]:
    """Every non-ambiguous run: its family, half, verdict group, ln(margin) and whether it was right."""
    truths = truth_mod.label_all(truth_mod.load_records())
    rows = []
    for rid, t in sorted(truths.items()):
        if t.label == score_mod.AMBIGUOUS:
            continue
        d = diagnose(str(HERE / "runs" / f"{rid}.csv"))
        if d.margin is None:
            continue
        pred = score_mod.prediction_from_contract(run_report(d))
        group, test, right = calibration.group_of(d.verdict), d.deciding_test, score_mod._right(t, pred)
        if d.rejected_rise is not None:
            # fitted as the divergence call it was (its confidence decided the rejection), so the
            # fit does not chase its own output
            group, test = calibration.group_of(d.rejected_rise.verdict), "rise"
            right = score_mod._right(t, score_mod.Prediction(d.rejected_rise.verdict))
        rows.append(
            {
                "run": rid,
                "family": score_mod.family_of(rid),
                "split": t.split,
                "group": group,
                "x": math.log(max(d.margin, 1.0)),
                "test": test,
                "n": d.val_size.n if d.val_size else None,
                "rise_se": d.rise_in_split_se,
                "right": right,
                "points": len(d.points),
            }
        )
    return rows


EXTRA = ("BIAS_TEST", "SIZE", "UNKNOWN_SIZE", "RESOLVED", "RISE_UNKNOWN_SIZE")  # calibration.features, in order
TESTS = ("rise", "gap", "bias", "late_gain", "instability")  # the deciding tests


def _current(r: dict) -> tuple[float, ...]:
    return calibration.features(r["test"], r["n"], r["rise_se"])


def _base(r: dict) -> tuple[float, ...]:
    """The four features before RISE_UNKNOWN_SIZE: the candidates below were tried against them."""
    return _current(r)[:4]


def _clamped(n: int) -> int:
    return min(max(n, 5), 5000)


def _size_saturating(r: dict) -> tuple[float, ...]:
    bias, _, unknown, resolved = _base(r)
    return bias, (math.log(min(_clamped(r["n"]), 100) / 100) if r["n"] else 0.0), unknown, resolved


def _inverse_sqrt_size(r: dict) -> tuple[float, ...]:
    bias, _, unknown, resolved = _base(r)
    return bias, (1 / math.sqrt(_clamped(r["n"])) - 0.1 if r["n"] else 0.0), unknown, resolved


def _size_per_test(r: dict) -> tuple[float, ...]:
    bias, size, unknown, resolved = _size_saturating(r)
    return (bias, unknown, resolved) + tuple(size if r["test"] == t else 0.0 for t in TESTS)


def _slope_per_test(r: dict) -> tuple[float, ...]:
    return _current(r) + tuple(r["x"] if r["test"] == t else 0.0 for t in TESTS)


def _bias_test_by_verdict(r: dict) -> tuple[float, ...]:
    bias, *rest = _current(r)
    good = bias if r["group"] == "good_fit" else 0.0
    return (bias - good, *rest, good)


def _bias_unknown_size(r: dict) -> tuple[float, ...]:
    current = _current(r)
    return current + (current[0] * current[2],)


#: name -> (coefficient names, the features of a row besides ln(margin) and the group)
FEATURE_SETS = {
    "current": (EXTRA, _current),
    # the formula before RISE_UNKNOWN_SIZE (a rise of unknown split size fitted as if resolved)
    "without_rise_unknown_size": (EXTRA[:4], _base),
    # ln(min(n, 100) / 100): the size speaks only below 100 samples
    "size_saturating": (EXTRA[:4], _size_saturating),
    # 1 / sqrt(n) - 0.1 (0 at 100 samples): the sampling error's own shape
    "inverse_sqrt_size": (("BIAS_TEST", "INV_SQRT_SIZE", "UNKNOWN_SIZE", "RESOLVED"), _inverse_sqrt_size),
    # the saturating size with a coefficient for each deciding test
    "size_per_test": (
        ("BIAS_TEST", "UNKNOWN_SIZE", "RESOLVED") + tuple(f"SIZE_{t.upper()}" for t in TESTS),
        _size_per_test,
    ),
    # the tool's features, and ln(margin) once more for each deciding test (its own slope)
    "slope_per_test": (EXTRA + tuple(f"SLOPE_{t.upper()}" for t in TESTS), _slope_per_test),
    # the bias test's term apart for a good fit it decided (the plateau passed its bar) and an underfit
    "bias_test_by_verdict": (EXTRA + ("BIAS_TEST_GOOD_FIT",), _bias_test_by_verdict),
    # the bias test's term once more where the split's size is unknown (a regression loss's floor)
    "bias_unknown_size": (EXTRA + ("BIAS_UNKNOWN_SIZE",), _bias_unknown_size),
}


def _features(r: dict, features: str) -> tuple[float, ...]:
    return FEATURE_SETS[features][1](r)


def fit(rows: list[dict], features: str = "current") -> tuple[float, dict[str, float], tuple[float, ...]]:
    """(slope, intercepts by group with 'pooled', the coefficients of ``FEATURE_SETS[features]``)
    of the logistic fit on ``rows``."""
    from sklearn.linear_model import LogisticRegression

    counts: dict[str, int] = {}
    for r in rows:
        counts[r["group"]] = counts.get(r["group"], 0) + 1
    groups = sorted(g for g, n in counts.items() if n >= MIN_GROUP)
    X = np.array(
        [[r["x"], *_features(r, features)] + [1.0 if r["group"] == g else 0.0 for g in groups] for r in rows],
        dtype=float,
    )
    y = np.array([int(r["right"]) for r in rows])
    model = LogisticRegression(C=C, max_iter=1000).fit(X, y)
    k = 1 + len(FEATURE_SETS[features][0])
    slope = float(model.coef_[0][0])
    extra = tuple(float(v) for v in model.coef_[0][1:k])
    pooled = float(model.intercept_[0])
    intercepts = {"pooled": pooled}
    intercepts.update({g: pooled + float(model.coef_[0][k + i]) for i, g in enumerate(groups)})
    return slope, intercepts, extra


def predict(
    slope: float, intercepts: dict[str, float], extra: tuple[float, ...], r: dict, features: str = "current"
) -> float:
    z = intercepts.get(r["group"], intercepts["pooled"]) + slope * r["x"]
    z += sum(c * f for c, f in zip(extra, _features(r, features)))
    return min(0.99, max(0.05, 1.0 / (1.0 + math.exp(-z))))


def log_loss(pairs: list[tuple[float, bool]]) -> float:
    """Mean negative log-likelihood of (confidence, right) pairs: a proper scoring rule."""
    return float(np.mean([-math.log(c if right else 1.0 - c) for c, right in pairs]))


def ece(pairs: list[tuple[float, bool]], edges=(0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)) -> tuple[float, list]:
    total, out, rows = len(pairs), 0.0, []
    for k, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        cell = [(c, r) for c, r in pairs if lo <= c < hi or (k == len(edges) - 2 and c == hi)]
        if cell:
            conf, right = float(np.mean([c for c, _ in cell])), float(np.mean([r for _, r in cell]))
            out += len(cell) / total * abs(right - conf)
            rows.append((lo, hi, len(cell), conf, right))
    return out, rows


def ece_floor(confidences: list[float], draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """(mean, 95th percentile) of the expected calibration error that a perfectly calibrated
    predictor shows on runs with these ``confidences``: each run right with probability its
    confidence, ``draws`` times (a parametric bootstrap under perfect calibration, seeded). With
    about 100 runs the binned error is far from 0 by sampling alone, so a family's (or any small
    set's) ECE is read against this floor, not against 0."""
    rng = np.random.default_rng(seed)
    p = np.asarray(confidences, dtype=float)
    errors = [ece(list(zip(p, rng.random(len(p)) < p)))[0] for _ in range(draws)]
    return float(np.mean(errors)), float(np.percentile(errors, 95))


def leave_one_family_out(
    rows: list[dict], features: str = "current", split: str | None = None
) -> dict[str, list[tuple[float, bool]]]:
    """Per family, (confidence, right) of each of its runs (both halves, or only ``split``), the
    confidence from a fit on the development runs of the other families."""
    dev = [r for r in rows if r["split"] == "dev"]
    out = {}
    for family in sorted({r["family"] for r in rows}):
        s, i, x = fit([r for r in dev if r["family"] != family], features)
        mine = [r for r in rows if r["family"] == family and (split is None or r["split"] == split)]
        out[family] = [(predict(s, i, x, r, features), r["right"]) for r in mine]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write the development fit into calibration.py")
    parser.add_argument(
        "--features", choices=sorted(FEATURE_SETS), default="current", help="the feature set to fit (default current)"
    )
    args = parser.parse_args(argv)
    if args.write and args.features != "current":
        parser.error("--write takes only --features current: calibration.py evaluates that formula")
    features = args.features
    rows = observations()
    dev = [r for r in rows if r["split"] == "dev"]
    slope, intercepts, extra = fit(dev, features)
    print(
        f"features {features}; development fit ({len(dev)} runs): slope {slope:.4f}, "
        + ", ".join(f"{n} {v:.4f}" for n, v in zip(FEATURE_SETS[features][0], extra))
        + ", intercepts "
        + ", ".join(f"{g} {v:.4f}" for g, v in sorted(intercepts.items()))
    )
    test = [r for r in rows if r["split"] == "test"]
    e, bins = ece([(predict(slope, intercepts, extra, r, features), r["right"]) for r in test])
    print(f"test half ({len(test)} runs): ECE {e:.3f}")
    for lo, hi, n, conf, right in bins:
        print(f"  {lo:.1f}-{hi:.1f}: {n:3d} runs, mean confidence {conf:.3f}, right {right:.1%}")
    by_family = leave_one_family_out(rows, features)
    for family, mine in by_family.items():
        print(f"  left out {family}: {len(mine)} runs, ECE {ece(mine)[0]:.3f}")
    lofo = [pair for mine in by_family.values() for pair in mine]
    e, _ = ece(lofo)
    mean_family = float(np.mean([ece(mine)[0] for mine in by_family.values()]))
    print(
        f"leave-one-family-out, pooled ({len(lofo)} runs): ECE {e:.3f}; mean ECE of a left-out family {mean_family:.3f}"
    )
    dev_lofo = [pair for mine in leave_one_family_out(rows, features, "dev").values() for pair in mine]
    print(f"leave-one-family-out, development half ({len(dev_lofo)} runs): log loss {log_loss(dev_lofo):.4f}")
    if args.write:
        text = TARGET.read_text(encoding="utf-8")
        entries = "".join(f'    "{g}": {v:.6f},\n' for g, v in sorted(intercepts.items()))
        block = (
            f"SLOPE = {slope:.6f}\nINTERCEPTS = {{\n{entries}}}\n"
            + "".join(f"{n} = {v:.6f}\n" for n, v in zip(EXTRA, extra))
            + f"MIN_POINTS = {min(r['points'] for r in dev if r['group'] != 'unstable')}\n"
            + f'FITTED_ON = "benchmarks/accuracy development half, {len(dev)} runs"\n'
        )
        text = re.sub(
            r"(# --- written by benchmarks/accuracy/calibrate.py; do not edit by hand ---\n).*?(# --- end)",
            lambda m: m.group(1) + block + m.group(2),
            text,
            flags=re.S,
        )
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
