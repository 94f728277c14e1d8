"""Accuracy cannot drop silently: the real CLI is scored on a fixed subset of the accuracy
benchmark's development runs (64 of 1,024, evenly spread), against floors set just below what it
scored when they were set (benchmarks/accuracy/RESULTS.md has the full figures). Raise a floor
when the analysis improves; never lower one without saying why in the commit."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

BENCH = ROOT / "benchmarks" / "accuracy"
# On the 2,048-run benchmark (issue 15; 64 of its 1,024 development runs, evenly spread) it
# scored 0.847 accuracy (50/59), 0.96 precision, 0.88 recall, 0 false alarms on good fits, regret
# median 0.0042 / mean 0.067, onset error 0.8% of the run; the accuracy floor allows two runs of
# slack (48/59 = 0.814)
FLOORS = {"accuracy": 0.81, "precision": 0.90, "recall": 0.83}
#: the subset holds 4 good fits: one false alarm is 25% (linear_reg-s12-00-overfit since the
#: log-space rise bar; the full development half stays at 11.6%, benchmarks/accuracy/RESULTS.md)
CEILINGS = {"false_alarm_good_fit": 0.25, "regret_median": 0.006, "regret_mean": 0.075, "onset_error_fraction": 0.02}


@pytest.fixture(scope="module")
def scores():
    sys.path.insert(0, str(BENCH))
    try:
        import score
        import truth
    finally:
        sys.path.remove(str(BENCH))
    truths = truth.label_all(truth.load_records(BENCH / "runs" / "truth.jsonl"))
    ids = sorted(r for r, t in truths.items() if t.split == "dev")
    subset = [ids[i * len(ids) // 64] for i in range(64)]
    files = [str(BENCH / "runs" / f"{r}.csv") for r in subset]
    out = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "diagnose", *files, "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    runs = json.loads(out.stdout)["runs"]
    preds = {r: score.prediction_from_contract(x) for r, x in zip(subset, runs)}
    return score.score_predictor({r: truths[r] for r in subset}, preds)


def test_verdicts_do_not_get_worse(scores):
    assert scores["verdict"]["accuracy"] >= FLOORS["accuracy"]
    assert scores["binary"]["precision"] >= FLOORS["precision"]
    assert scores["binary"]["recall"] >= FLOORS["recall"]
    assert scores["binary"]["false_alarm_good_fit"] <= CEILINGS["false_alarm_good_fit"]


def test_epochs_do_not_get_worse(scores):
    assert scores["regret"]["all"]["absolute"]["median"] <= CEILINGS["regret_median"]
    assert scores["regret"]["all"]["absolute"]["mean"] <= CEILINGS["regret_mean"]
    assert scores["divergence"]["error_fraction"]["median"] <= CEILINGS["onset_error_fraction"]
