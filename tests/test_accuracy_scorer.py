"""The accuracy benchmark's arithmetic: scorer, peers and truth rules on hand-checkable cases.

Fast and torch-free: the benchmark modules are loaded from benchmarks/accuracy/ by path.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ACCURACY = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"accuracy_bench_{name}", ACCURACY / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


peers = _load("peers")
score = _load("score")
truth = _load("truth")
nan = math.nan
R = peers.PeerResult


# --------------------------------------------------------------------------- peers


def arr(*values):
    return np.array(values, dtype=float)


class TestKerasEarlyStopping:
    def test_stops_when_wait_reaches_patience_and_restores_best(self):
        # e0, e1 improve; e2 wait=1; e3 wait=2 >= 2 -> stop at 3, restore epoch 1
        assert peers.keras_early_stopping(arr(1.0, 0.9, 0.95, 0.96, 0.97), patience=2) == R(True, 3, 1)

    def test_equal_value_is_not_an_improvement(self):
        assert peers.keras_early_stopping(arr(1, 1, 1, 1), patience=2) == R(True, 2, 0)

    def test_improvement_resets_wait(self):
        # e2 wait=1, e3 improves (wait=0), e4 wait=1, e5 wait=2 -> stop at 5, best 3
        val = arr(1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.1)
        assert peers.keras_early_stopping(val, patience=2) == R(True, 5, 3)

    def test_restores_best_even_without_stop(self):
        assert peers.keras_early_stopping(arr(3, 1, 2), patience=5) == R(False, None, 1)

    def test_without_restore_keeps_stop_or_last_epoch(self):
        assert peers.keras_early_stopping(arr(1, 2, 3), patience=1, restore_best_weights=False) == R(True, 1, 1)
        assert peers.keras_early_stopping(arr(3, 2, 1), patience=1, restore_best_weights=False) == R(False, None, 2)

    def test_a_nan_never_improves(self):
        # overfitdoc's one rule (analysis.early_stopping): a NaN is never the best, so the first
        # finite value is (Keras itself would take the NaN as best, stop at 1 and restore 0)
        assert peers.keras_early_stopping(arr(nan, 0.5, 0.4), patience=1) == R(False, None, 2)
        assert peers.keras_early_stopping(arr(nan, 0.5, 0.6), patience=1) == R(True, 2, 1)

    def test_min_delta_is_absolute(self):
        # 0.995 + 0.01 is not below 1.0: no improvement
        assert peers.keras_early_stopping(arr(1.0, 0.995, 0.99), patience=2, min_delta=0.01) == R(True, 2, 0)


class TestLightningEarlyStopping:
    def test_patience_three_and_checkpoint_best(self):
        assert peers.lightning_early_stopping(arr(1, 0.9, 0.95, 0.96, 0.97, 0.5)) == R(True, 4, 1)

    def test_non_finite_stops_without_detection(self):
        assert peers.lightning_early_stopping(arr(1, nan, 0.5)) == R(False, None, 0)

    def test_no_stop(self):
        assert peers.lightning_early_stopping(arr(1, 0.9, 0.95, 0.8)) == R(False, None, 3)


def test_sagemaker_overfit_uses_running_means():
    # ratios of running means: 0, 0.05, 0.2 -> fires at epoch 2
    assert peers.sagemaker_overfit(arr(1, 1, 1), arr(1.0, 1.1, 1.5)) == R(True, 2, 2)
    assert peers.sagemaker_overfit(arr(1, 1, 1), arr(1.0, 1.1, 1.1)) == R(False, None, 2)


def test_sagemaker_overtraining_validation_and_training_patience():
    train = 1.0 - 0.05 * np.arange(15)
    val = np.array([1.0] + [0.9] * 14)
    # val's last optimum at epoch 1; 10 epochs without one -> fires at 11
    assert peers.sagemaker_overtraining(train, val) == R(True, 11, 11)
    # training creeping down by 0.001 per epoch: no new optimum (delta 0.01) for 5 epochs -> 5
    flat = 1.0 - 0.001 * np.arange(15)
    assert peers.sagemaker_overtraining(flat, 1.0 - 0.05 * np.arange(15)) == R(True, 5, 5)


def test_umlaut_flags_val_up_while_train_not_up():
    assert peers.umlaut(arr(1, 0.9, 0.8, 0.85), arr(1, 0.9, 0.95, 1.0)) == R(True, 2, 1)
    assert peers.umlaut(arr(1, 0.9, 0.8, 0.8), arr(1, 0.9, 0.8, 0.85)) == R(True, 3, 2)  # flat counts
    assert peers.umlaut(arr(1, 1.1, 1.2), arr(1, 1.1, 1.2)) == R(False, None, 2)


def test_autotrainer_needs_three_consecutive_bad_epochs():
    train = arr(1, 0.9, 0.8, 0.7, 0.6)
    assert peers.autotrainer(train, arr(1, 0.9, 0.92, 0.95, 0.99)) == R(True, 4, 1)
    assert peers.autotrainer(train, arr(1, 0.9, 0.92, 0.925, 0.99)) == R(False, None, 4)  # +0.005


def test_naive_argmin_and_ten_percent_rule():
    assert peers.naive(arr(1, 0.5, 0.6)) == R(True, 2, 1)
    assert peers.naive(arr(1, 0.5, 0.54)) == R(False, None, 1)
    assert peers.naive(arr(nan, 0.5, 0.5)) == R(False, None, 1)  # NaN ignored, earliest on ties


def test_run_peers_covers_every_peer():
    results = peers.run_peers([1, 0.9, 0.8], [1, 0.9, 1.0])
    assert set(results) == set(peers.PEERS) == set(peers.PEER_DESCRIPTIONS)


# --------------------------------------------------------------------------- scorer


def T(run_id, label, best, test, also=(), large_gap=False):
    test = np.array(test, dtype=float)
    return truth.Truth(run_id, "dev", "fake", label, "", best, len(test), test, also, large_gap)


@pytest.fixture()
def case():
    truths = {
        "A": T("A", "overfitting", 2, [3, 2, 1, 2, 3, 4, 5, 6, 7, 8]),
        "B": T("B", "overfitting", 4, [5, 4, 3, 2, 1, 2, 3, 4, 5, 6]),
        "C": T("C", "good_fit", 8, [9, 8, 7, 6, 5, 4, 3, 2, 1, 1.5], large_gap=True),
        "D": T("D", "underfitting", 0, [2] * 10, also=("still_improving",)),
        "E": T("E", "ambiguous", 3, [4, 3, 2, 1, 2, 2, 2, 2, 2, 2]),
    }
    P = score.Prediction
    preds = {
        "A": P("overfitting", recommended_epoch=2, divergence_epoch=3, divergence_range=(1, 4)),
        "B": P("overfitting_and_underfitting", recommended_epoch=6, divergence_epoch=7, divergence_range=(5, 8)),
        "C": P("overfitting", recommended_epoch=8),
        "D": P("still_improving", recommended_epoch=9),
        "E": P("good_fit", recommended_epoch=9),
    }
    return truths, preds


def test_verdict_accuracy_and_confusion(case):
    truths, preds = case
    v = score.verdict_scores(truths, preds)
    assert (v["n_labeled"], v["n_correct"], v["accuracy"]) == (4, 3, 0.75)
    # D's verdict is its accepted second label: right, but not strictly
    assert (v["n_correct_strict"], v["accuracy_strict"]) == (2, 0.5)
    assert v["confusion"]["overfitting"]["overfitting"] == 2
    assert v["confusion"]["good_fit"]["overfitting"] == 1
    assert v["confusion"]["underfitting"]["still_improving"] == 1
    assert sum(sum(row.values()) for row in v["confusion"].values()) == 4  # ambiguous E left out


def test_accuracy_split_by_the_validation_reference(case):
    truths, preds = case
    P = score.Prediction
    # the reference is right on A and D (D by its accepted second label), wrong on B and C;
    # E is ambiguous and left out
    reference = {
        "A": P("overfitting"),
        "B": P("good_fit"),
        "C": P("overfitting"),
        "D": P("still_improving"),
        "E": P("good_fit"),
    }
    s = score.accuracy_by_reference(truths, preds, reference)
    assert s["agree"] == {"n_correct": 2, "n_runs": 2, "accuracy": 1.0}  # A and D right
    assert s["disagree"] == {"n_correct": 1, "n_runs": 2, "accuracy": 0.5}  # B right, C a false alarm


def test_binary_detection(case):
    truths, preds = case
    b = score.binary_scores(truths, {rid: p.label == "overfitting" for rid, p in preds.items()})
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (2, 1, 0, 1)
    assert b["precision"] == pytest.approx(2 / 3)
    assert b["recall"] == 1.0
    assert b["false_alarm_good_fit"] == 1.0
    assert (b["n_good_fit_large_gap"], b["false_alarm_good_fit_large_gap"]) == (1, 1.0)
    assert (b["n_good_fit_small_gap"], b["false_alarm_good_fit_small_gap"]) == (0, None)
    assert b["false_alarm_non_overfit"] == 0.5


def test_divergence_error_and_range(case):
    truths, preds = case
    d = score.divergence_scores(truths, preds)
    assert d["n_overfitting"] == d["n_with_divergence"] == 2
    assert d["error_abs"]["median"] == 2.0  # |3-2|=1, |7-4|=3
    assert d["error_signed"]["median"] == 2.0
    assert d["error_fraction"]["median"] == pytest.approx(0.2)  # 0.1, 0.3 of 10 epochs
    assert (d["range_hits"], d["n_with_range"], d["range_hit_rate"]) == (1, 2, 0.5)


def test_regret(case):
    truths, preds = case
    r = score.regret_scores(truths, {rid: p.recommended_epoch for rid, p in preds.items()})
    # A 0, B 3-1=2, C 0, D 0, E 2-1=1 ; relative: mins are 1,1,1,2,1
    assert r["all"]["absolute"]["n"] == 5
    assert r["all"]["absolute"]["median"] == 0.0
    assert r["all"]["absolute"]["mean"] == pytest.approx(0.6)
    assert r["all"]["relative"]["mean"] == pytest.approx(0.6)
    assert r["overfitting"]["absolute"]["mean"] == 1.0
    # a missing epoch falls back to the last one and is counted
    r = score.regret_scores(truths, {"A": None})
    assert r["overfitting"]["n_missing_epoch"] == 2
    assert r["overfitting"]["absolute"]["median"] == 6.0  # A: 8-1=7, B: 6-1=5


def test_regret_difference_is_paired_over_the_same_runs(case):
    truths, preds = case
    mine = {rid: p.recommended_epoch for rid, p in preds.items()}
    # the same picks: no difference on any resample
    same = score.regret_difference(truths, mine, mine, "all", "mean")
    assert (same["n"], same["difference"], same["low"], same["high"]) == (5, 0.0, 0.0, 0.0)
    # theirs is one epoch later on A (regret 1) and C (regret 0.5): mine lower there, equal elsewhere
    theirs = dict(mine, A=3, C=9)
    d = score.regret_difference(truths, mine, theirs, "all", "mean")
    assert d["difference"] == pytest.approx(-1.5 / 5)
    assert d["low"] < d["difference"] < d["high"] <= 0  # never positive: mine is never worse
    # on overfitting runs A, B only; a missing epoch is the last one, as regret_scores counts it
    d = score.regret_difference(truths, {"A": 2, "B": 4}, {"A": None, "B": 4}, "overfitting", "median")
    assert d["n"] == 2 and d["difference"] == pytest.approx(-3.5)  # medians 0 and (7 + 0) / 2
    assert d["low"] == pytest.approx(-7.0) and d["high"] == 0.0
    # deterministic: the same seed gives the same interval
    assert score.regret_difference(truths, mine, theirs) == score.regret_difference(truths, mine, theirs)


def test_wilson_interval():
    assert score.wilson_interval(0, 0) is None
    low, high = score.wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    low, high = score.wilson_interval(0, 20)  # a rate of 0 still has an upper bound
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert score.wilson_interval(20, 20)[1] == 1.0


def test_regret_undefined_on_non_finite_test_loss():
    assert score.regret(T("X", "unstable", None, [1, nan]), 0) is None


def test_prediction_from_contract_converts_epoch_base():
    p = score.prediction_from_contract(
        {
            "ok": True,
            "epoch_base": 1,
            "verdict": "overfitting",
            "recommended_epoch": 3,
            "divergence_epoch": 2,
            "divergence_range": [2, 5],
        }
    )
    assert (p.recommended_epoch, p.divergence_epoch, p.divergence_range) == (2, 1, (1, 4))
    bad = score.prediction_from_contract({"source": "x", "ok": False, "error": "unreadable"})
    assert bad.label == score.ABSTAIN and bad.error == "unreadable"
    assert score.Prediction("insufficient_data").label == score.ABSTAIN
    assert score.Prediction("not_learning").label == "underfitting"
    assert score.Prediction("overfitting_and_underfitting").label == "overfitting"


def test_every_tool_verdict_is_mapped():
    verdicts = {
        "good_fit",
        "overfitting",
        "underfitting",
        "overfitting_and_underfitting",
        "still_improving",
        "not_learning",
        "unstable",
        "insufficient_data",
    }
    assert set(score.VERDICT_TO_LABEL) == verdicts
    assert set(score.VERDICT_TO_LABEL.values()) <= set(score.LABELS) | {score.ABSTAIN}


# --------------------------------------------------------------------------- truth rules


def record(test, train=None, run_id="r", chance=1.0):
    test = list(test)
    return {
        "run_id": run_id,
        "split": "dev",
        "dataset": "fake",
        "test_loss": test,
        "train_eval_loss": list(train if train is not None else test),
        "baseline_test_loss": chance,
        "init_test_loss": chance,
    }


@pytest.mark.parametrize(
    "test, train, label",
    [
        # U-shaped test loss while the training loss keeps falling
        (
            [0.1 + 0.9 * math.exp(-t / 3) + 0.01 * max(0, t - 15) for t in range(60)],
            [0.9 * math.exp(-t / 3) for t in range(60)],
            "overfitting",
        ),
        ([0.15 + 0.85 * math.exp(-t / 5) for t in range(60)], None, "good_fit"),
        ([0.95] * 40, None, "underfitting"),
        ([1 - 0.02 * t for t in range(30)], None, "still_improving"),
        ([0.5, None, 0.4], None, "unstable"),
        # the training loss collapses along with the test loss: not overfitting
        ([0.2] * 20 + [0.9] * 20, [0.1] * 20 + [0.9] * 20, "unstable"),
        # a 7% rise: between the margins
        ([0.2] * 30 + [0.214] * 10, [0.1] * 30 + [0.05] * 10, "ambiguous"),
    ],
)
def test_truth_rules(test, train, label):
    t = truth.label_run(record(test, train), attainable=0.1)
    assert t.label == label, t.reason


def test_truth_second_labels_and_gap():
    slow = [0.95 - 0.0025 * t for t in range(40)]  # near chance, falling ~0.9% over the last tenth
    t = truth.label_run(record(slow), attainable=0.1)
    assert (t.label, t.also) == ("underfitting", ("still_improving",)), t.reason
    t = truth.label_run(record([0.95] * 40), attainable=0.1)
    assert (t.label, t.also) == ("underfitting", ())
    fast = [1 - 0.005 * t for t in range(60)]  # still falling, far from the attainable 0.1
    t = truth.label_run(record(fast), attainable=0.1)
    assert (t.label, t.also) == ("still_improving", ("underfitting",))
    flat = [0.15 + 0.85 * math.exp(-t / 5) for t in range(60)]
    assert truth.label_run(record(flat, [0.01] * 60), attainable=0.1).large_gap
    assert not truth.label_run(record(flat), attainable=0.1).large_gap


def test_truth_best_epoch_is_argmin_of_smoothed_test_loss():
    test = [1.0, 0.5, 0.05, 0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3] * 3  # a lone dip at 2 is smoothed away
    t = truth.label_run(record(test), attainable=0.1)
    smoothed = truth.smooth(np.array(test), 5)
    assert t.best_epoch == int(np.argmin(smoothed))
    assert truth.smooth(np.array([1.0, 2.0, 3.0, 4.0]), 3).tolist() == [1.5, 2.0, 3.0, 3.5]


def test_validation_reference_reads_validation_with_decisive_margins():
    """The reference applies the truth's rules to the validation loss with every margin
    closed at its midpoint: an 8% rise (ambiguous for the truth) is overfitting for it, a 6%
    rise is not, and the test loss in the record is ignored."""
    rec = record([0.5] * 40, [0.1] * 40)
    val = [0.2] * 30 + [0.216] * 10  # 8% rise, well beyond the (zero) noise
    train = [0.1] * 30 + [0.05] * 10
    assert truth.label_run(record(val, train), attainable=0.1).label == "ambiguous"
    assert truth.validation_reference(rec, val, train, attainable=0.1) == "overfitting"
    assert truth.validation_reference(rec, [0.2] * 30 + [0.212] * 10, train, attainable=0.1) == "good_fit"
    # levels: 0.6 of the chance-to-attainable way is the line between good fit and underfitting
    assert truth.validation_reference(rec, [0.45] * 40, [0.45] * 40, attainable=0.1) == "good_fit"
    assert truth.validation_reference(rec, [0.47] * 40, [0.47] * 40, attainable=0.1) == "underfitting"
    assert truth.validation_reference(rec, [0.5, float("nan"), 0.4], [0.5, 0.4, 0.4], attainable=0.1) == "unstable"


def test_calibration_bins_and_expected_calibration_error(case):
    truths, preds = case
    # A right (0.9), B right (0.55: overfitting_and_underfitting counts as overfitting), C wrong
    # (0.95), D right (0.65: an accepted second label); E is ambiguous and not counted
    conf = {"A": 0.9, "B": 0.55, "C": 0.95, "D": 0.65, "E": 0.99}
    preds = {
        k: score.Prediction(p.verdict, p.recommended_epoch, p.divergence_epoch, p.divergence_range, confidence=conf[k])
        for k, p in preds.items()
    }
    cal = score.calibration(truths, preds)
    bins = {(b["lo"], b["hi"]): b for b in cal["bins"]}
    assert cal["n"] == 4
    assert bins[(0.5, 0.6)]["n"] == 1 and bins[(0.5, 0.6)]["right"] == 1.0
    assert bins[(0.9, 1.0)]["n"] == 2 and bins[(0.9, 1.0)]["right"] == 0.5
    assert bins[(0.9, 1.0)]["confidence"] == pytest.approx(0.925)
    # |1 - 0.55| + |1 - 0.65| + 2 * |0.5 - 0.925|, over 4 runs
    assert cal["ece"] == pytest.approx((0.45 + 0.35 + 2 * 0.425) / 4)


def test_scores_by_family():
    truths = {
        "moons-s0-00-a": T("moons-s0-00-a", "overfitting", 2, [3, 2, 1, 2, 3]),
        "moons-s0-01-b": T("moons-s0-01-b", "good_fit", 4, [5, 4, 3, 2, 1]),
        "wine-s0-00-a": T("wine-s0-00-a", "good_fit", 4, [5, 4, 3, 2, 1]),
    }
    P = score.Prediction
    preds = {
        "moons-s0-00-a": P("overfitting", recommended_epoch=2),
        "moons-s0-01-b": P("good_fit", recommended_epoch=3),
        "wine-s0-00-a": P("overfitting", recommended_epoch=4),
    }
    peer = {"p": {rid: R(False, None, 4) for rid in truths}}
    fam = score.by_family(truths, preds, peer)
    assert list(fam) == ["moons", "wine"]
    assert fam["moons"]["accuracy"] == 1.0 and fam["wine"]["accuracy"] == 0.0
    assert fam["wine"]["false_alarm_good_fit"] == 1.0
    # moons: regrets 0 and 1 (epoch 3 of a test loss lowest at 4); the peer keeps epoch 4: 2 and 0
    assert fam["moons"]["regret_mean"] == {"overfitdoc": 0.5, "p": 1.0}
    # on moons the peer is higher on one run and lower on the other (-2 and +1: two runs resolve
    # nothing); on wine both keep epoch 4: no loss is resolved anywhere
    assert fam["moons"]["resolved_losses"] == fam["wine"]["resolved_losses"] == {"mean": [], "overfit_median": []}


def test_a_family_loss_beyond_the_noise_is_named():
    truths = {f"x-s{i}-00-o": T(f"x-s{i}-00-o", "overfitting", 2, [3, 2, 1, 2, 3]) for i in range(8)}
    P = score.Prediction
    preds = {rid: P("overfitting", recommended_epoch=3) for rid in truths}  # regret 1 on each run
    peer = {"p": {rid: R(True, 4, 2) for rid in truths}, "q": {rid: R(True, 4, 3) for rid in truths}}
    fam = score.by_family(truths, preds, peer)["x"]
    # p keeps the best epoch of every run (regret 0): lower by 1 on every resample; q ties
    assert fam["resolved_losses"] == {"mean": ["p"], "overfit_median": ["p"]}


def test_target_cells_say_when_the_benchmark_cannot_tell(case, monkeypatch):
    monkeypatch.syspath_prepend(str(ACCURACY))  # run.py imports its siblings by name
    run = _load("run")
    # 9 of 10 against a 90% bar: met, and the interval holds the bar; 90 of 200 is clearly not
    assert run.rate_cell(9, 10, 0.9, True).endswith("met (within noise)")
    assert run.rate_cell(90, 200, 0.9, True).endswith("**not met**")
    assert run.rate_cell(1, 100, 0.05, False).startswith("1.0% [") and run.rate_cell(1, 100, 0.05, False).endswith(
        "met (within noise)"
    )
    truths, preds = case
    mine = {rid: p.recommended_epoch for rid, p in preds.items()}
    tool = score.score_predictor(truths, preds)
    # the peer is one epoch late on every run: mine is lower on most, never higher
    late = {rid: min(e + 1, 9) for rid, e in mine.items()}
    peer = score.score_peer(truths, {rid: peers.PeerResult(False, None, e) for rid, e in late.items()})
    target = run.Target("dev", tool, {"late": peer}, truths, mine, {"late": late})
    cell = run.regret_cell(target, "all", "mean")
    # regrets 0, 2, 0, 0, 1 against 1, 3, 0.5, 0, 1: -0.5, and no resample puts it above 0
    # unless it draws only D and E (0.4^5 = 1% of resamples, inside the interval's 2.5% tail)
    assert cell.startswith("0.6 against late 1.1 met; difference -0.5 [-")
    assert "within noise" not in cell
    # against itself a difference of 0 is always within noise
    same = run.Target(
        "dev",
        tool,
        {"me": score.score_peer(truths, {r: peers.PeerResult(False, None, e) for r, e in mine.items()})},
        truths,
        mine,
        {"me": mine},
    )
    assert "**not met** (within noise); difference +0 [+0, +0]" in run.regret_cell(same, "all", "mean")


def test_scores_by_any_grouping_with_the_mean_confidence():
    truths = {
        "a": T("a", "overfitting", 2, [3, 2, 1, 2, 3]),
        "b": T("b", "good_fit", 4, [5, 4, 3, 2, 1]),
        "c": T("c", "ambiguous", 4, [5, 4, 3, 2, 1]),
    }
    P = score.Prediction
    preds = {
        "a": P("overfitting", recommended_epoch=2, confidence=0.9),
        "b": P("overfitting", recommended_epoch=4, confidence=0.6),
        "c": P("good_fit", recommended_epoch=4, confidence=0.1),  # ambiguous: not scored, not averaged
    }
    peer = {"p": {rid: R(False, None, 4) for rid in truths}}
    groups = score.by_group(truths, preds, peer, lambda rid: "small" if rid in ("a", "c") else "large")
    assert list(groups) == ["large", "small"]
    assert groups["small"]["n"] == 1 and groups["small"]["accuracy"] == 1.0
    assert groups["small"]["confidence_mean"] == pytest.approx(0.9)
    assert groups["large"]["accuracy"] == 0.0 and groups["large"]["false_alarm_good_fit"] == 1.0
    assert groups["large"]["confidence_mean"] == pytest.approx(0.6)
    # the family grouping is the same arithmetic
    assert score.by_family(truths, preds, peer) == score.by_group(truths, preds, peer, score.family_of)


def test_split_sizes_fall_in_one_bucket_each(monkeypatch):
    monkeypatch.syspath_prepend(str(ACCURACY))
    run = _load("run")
    assert [run.size_bucket(n) for n in (10, 20, 21, 50, 100, 101, 300, 301, 2000)] == [
        "10-20",
        "10-20",
        "21-50",
        "21-50",
        "51-100",
        "101-300",
        "101-300",
        "301-2000",
        "301-2000",
    ]
    # contiguous and covering what the generator draws
    edges = run.SIZE_BUCKETS
    assert all(hi + 1 == lo for (_, hi), (lo, _) in zip(edges, edges[1:]))
    assert edges[0][0] == 10 and edges[-1][1] == 2000


def test_the_calibration_floor_is_the_error_of_a_perfectly_calibrated_predictor(monkeypatch):
    monkeypatch.syspath_prepend(str(ACCURACY))
    calibrate = _load("calibrate")
    # 100 runs at 0.5: the share right is binomial, |share - 0.5| has mean 0.5 sqrt(2 / pi) / 10
    mean, high = calibrate.ece_floor([0.5] * 100, draws=4000)
    assert mean == pytest.approx(0.5 * math.sqrt(2 / math.pi) / 10, rel=0.08)
    assert high > mean
    # more runs, less sampling error; near-certain runs, almost none
    assert calibrate.ece_floor([0.5] * 1000, draws=500)[0] < 0.4 * mean
    assert calibrate.ece_floor([0.99] * 100, draws=500)[0] < 0.015
    # seeded: the same figure every time
    assert calibrate.ece_floor([0.7] * 50, draws=200) == calibrate.ece_floor([0.7] * 50, draws=200)


def test_each_candidate_feature_set_names_its_coefficients_and_reads_the_run(monkeypatch):
    """calibrate.py --features: the candidates RESULTS.md reports as tried, each a row -> features map."""
    monkeypatch.syspath_prepend(str(ACCURACY))
    calibrate = _load("calibrate")
    from overfitdoc.analysis import calibration

    rise_small = {"test": "rise", "n": 25, "rise_se": 1.5, "x": 0.4, "group": "overfitting"}
    rise_unknown = {"test": "rise", "n": None, "rise_se": None, "x": 0.2, "group": "overfitting"}
    bias_large = {"test": "bias", "n": 400, "rise_se": None, "x": 0.7, "group": "good_fit"}
    for name, (names, features) in calibrate.FEATURE_SETS.items():
        for row in (rise_small, rise_unknown, bias_large):
            assert len(features(row)) == len(names), name
    # the tool's own formula is the one --write fits
    assert calibrate.FEATURE_SETS["current"][0] == calibrate.EXTRA
    assert calibrate._current(rise_small) == calibration.features("rise", 25, 1.5)
    # the saturating size speaks only below 100 samples
    assert calibrate._size_saturating(bias_large)[1] == 0.0
    assert calibrate._size_saturating(rise_small)[1] == pytest.approx(math.log(0.25))
    assert calibrate._inverse_sqrt_size({"test": None, "n": 100, "rise_se": None})[1] == pytest.approx(0.0)
    # a size per deciding test: the bias run's size sits in the bias slot only
    per_test = calibrate._size_per_test({"test": "bias", "n": 50, "rise_se": None})
    slots = dict(zip(calibrate.FEATURE_SETS["size_per_test"][0], per_test))
    assert slots["SIZE_BIAS"] == pytest.approx(math.log(0.5)) and slots["SIZE_RISE"] == 0.0
    # the missing indicator (now the tool's own fifth feature) fires for a rise of unknown size only
    assert calibrate._current(rise_unknown)[-1] == 1.0
    assert calibrate._current(rise_small)[-1] == 0.0
    assert calibrate._current({"test": "gap", "n": None, "rise_se": None})[-1] == 0.0
    # the formula before it: the same features without that term
    assert calibrate._base(rise_unknown) == calibrate._current(rise_unknown)[:4]
    assert calibrate.FEATURE_SETS["without_rise_unknown_size"][0] == calibrate.EXTRA[:4]
    # a slope per deciding test: ln(margin) again in its own test's slot only
    slots = dict(zip(calibrate.FEATURE_SETS["slope_per_test"][0], calibrate._slope_per_test(bias_large)))
    assert slots["SLOPE_BIAS"] == 0.7 and slots["SLOPE_RISE"] == 0.0 and slots["BIAS_TEST"] == 1.0
    # the bias test's term moves to its own coefficient for a good fit, stays for an underfit
    good = dict(zip(calibrate.FEATURE_SETS["bias_test_by_verdict"][0], calibrate._bias_test_by_verdict(bias_large)))
    assert good["BIAS_TEST"] == 0.0 and good["BIAS_TEST_GOOD_FIT"] == 1.0
    under = calibrate._bias_test_by_verdict(dict(bias_large, group="underfitting"))
    assert under[0] == 1.0 and under[-1] == 0.0
    # the bias test where the split's size is unknown (a regression loss): both, or nothing
    assert calibrate._bias_unknown_size(dict(bias_large, n=None))[-1] == 1.0
    assert calibrate._bias_unknown_size(bias_large)[-1] == 0.0


def test_log_loss_is_the_mean_negative_log_likelihood(monkeypatch):
    monkeypatch.syspath_prepend(str(ACCURACY))
    calibrate = _load("calibrate")
    pairs = [(0.8, True), (0.8, False), (0.5, True)]
    expected = -(math.log(0.8) + math.log(0.2) + math.log(0.5)) / 3
    assert calibrate.log_loss(pairs) == pytest.approx(expected)
    # a sharper right answer scores lower, a sharper wrong one higher
    assert calibrate.log_loss([(0.9, True)]) < calibrate.log_loss([(0.6, True)])
    assert calibrate.log_loss([(0.9, False)]) > calibrate.log_loss([(0.6, False)])


def test_the_fresh_set_is_drawn_as_documented_and_matches_its_checked_in_runs(monkeypatch):
    """fresh.py: data sets the benchmark never used, settings in the documented ranges, and the
    checked-in fresh_runs/truth.jsonl written from exactly this plan."""
    import json

    monkeypatch.syspath_prepend(str(ACCURACY))
    fresh = _load("fresh")
    generate = sys.modules["generate"]
    plan = fresh.plan_runs()
    assert plan == fresh.plan_runs()  # seeded
    names = {spec.name for spec in fresh.FRESH_DATASETS}
    assert not names & {spec.name for spec in generate.DATASETS[:16]}
    scored = [r for r in plan if r["split"] == "fresh"]
    assert len(scored) == fresh.PER_DATASET * len(names)
    assert len(plan) - len(scored) == len(fresh.REFERENCE_CONFIGS) * len(names)
    for r in scored:
        cfg, spec = r["config"], generate.SPECS[r["dataset"]]
        assert 25 <= cfg["epochs"] <= 400
        assert 10 <= cfg["n_val"] <= max(spec.val_sizes)
        low, high = (3e-5, 0.3) if cfg["optimizer"] == "adam" else (1e-3, 10.0)
        assert low <= cfg["lr"] <= high
        assert cfg["epochs"] * math.ceil(cfg["n_train"] / cfg["batch_size"]) <= generate.MAX_STEPS
    assert any(r["config"]["depth"] == 0 for r in scored) and any(r["config"]["optimizer"] == "sgd" for r in scored)
    with open(ACCURACY / "fresh_runs" / "truth.jsonl") as fh:
        written = {rec["run_id"]: rec for rec in map(json.loads, fh)}
    assert set(written) == {r["run_id"] for r in plan}
    for r in plan:
        rec = written[r["run_id"]]
        assert rec["split"] == r["split"] and rec["seed"] == r["seed"]
        assert rec["config"]["n_val"] == r["config"]["n_val"] and rec["config"]["lr"] == pytest.approx(
            r["config"]["lr"], rel=1e-5
        )
        assert (ACCURACY / "fresh_runs" / f"{r['run_id']}.csv").exists()


def test_the_fresh_set_keeps_its_two_batches_apart(monkeypatch):
    """Batch 1 (f00-f27 of each data set) and 2 (f28-f55) were read; batch 3 (f56-f83) was scored once."""
    monkeypatch.syspath_prepend(str(ACCURACY))
    fresh = _load("fresh")
    assert fresh.batch_of("blobs3-f00") == fresh.batch_of("sparse_linear-f27") == "batch 1"
    assert fresh.batch_of("blobs3-f28") == fresh.batch_of("diabetes-f55") == "batch 2"
    assert fresh.batch_of("blobs3-f56") == fresh.batch_of("diabetes-f83") == "batch 3"
    scored = [r for r in fresh.plan_runs() if r["split"] == "fresh"]
    batches = [fresh.batch_of(r["run_id"]) for r in scored]
    per = fresh.BATCH * len(fresh.FRESH_DATASETS)
    assert batches.count("batch 1") == batches.count("batch 2") == batches.count("batch 3") == per


def test_the_fresh_set_log_loss_reads_certain_verdicts_as_almost_certain(monkeypatch):
    monkeypatch.syspath_prepend(str(ACCURACY))
    fresh = _load("fresh")
    T = truth.Truth
    truths = {
        "a": T("a", "fresh", "d", "good_fit", "", 3, 10, np.ones(10)),
        "b": T("b", "fresh", "d", "overfitting", "", 3, 10, np.ones(10)),
        "c": T("c", "fresh", "d", score.AMBIGUOUS, "", 3, 10, np.ones(10)),
    }
    preds = {
        "a": score.Prediction("good_fit", confidence=0.8),
        "b": score.Prediction("good_fit", confidence=1.0),  # certain and wrong: read as 0.999
        "c": score.Prediction("good_fit", confidence=0.5),  # ambiguous: left out
    }
    assert fresh.log_loss(truths, preds) == pytest.approx((-math.log(0.8) - math.log(0.001)) / 2)


def test_adding_a_batch_keeps_the_written_runs_and_writes_what_the_whole_plan_would(monkeypatch, tmp_path):
    """generate.train_and_write(add=True), as fresh.py --add uses it: only the runs not yet in
    truth.jsonl are trained, the others' CSVs and records stay byte for byte, and the records come
    out in run-id order, as training the whole plan writes them."""
    monkeypatch.syspath_prepend(str(ACCURACY))
    generate = _load("generate")
    trained: list[str] = []

    def fake_train(run):
        trained.append(run["run_id"])
        k = int(run["run_id"][-1])
        rows = [{"epoch": e, "loss": 1.0 / (e + k + 1), "val_loss": 1.1 / (e + k + 1)} for e in range(3)]
        result = dict(
            rows=rows,
            test_loss=[0.5 + k, 0.4, 0.45],
            test_accuracy=[None] * 3,
            train_eval_loss=[0.4, 0.3, 0.2],
            baseline_test_loss=1.0,
            init_test_loss=1.2,
            n_test=100,
        )
        return run, result, 0.0

    monkeypatch.setattr(generate, "_timed_train", fake_train)

    def plan(n):
        config = {"epochs": 3, "n_train": 10, "batch_size": 5}
        return [
            dict(run_id=f"set-f0{i}", split="fresh", dataset="set", task="regression", data_seed=0, seed=i,
                 scenario="fresh", config=config)
            for i in range(n)
        ]  # fmt: skip

    whole, batches = tmp_path / "whole", tmp_path / "batches"
    generate.train_and_write(plan(5), whole, jobs=1)
    generate.train_and_write(plan(3), batches, jobs=1)
    first = {p.name: p.read_bytes() for p in batches.glob("*.csv")}
    trained.clear()
    generate.train_and_write(plan(5), batches, jobs=1, add=True)
    assert trained == ["set-f03", "set-f04"] or trained == ["set-f04", "set-f03"]
    assert all((batches / name).read_bytes() == data for name, data in first.items())
    assert (batches / generate.TRUTH_FILE).read_bytes() == (whole / generate.TRUTH_FILE).read_bytes()
    assert sorted(p.name for p in batches.glob("*.csv")) == sorted(p.name for p in whole.glob("*.csv"))
    # without add, the directory is rewritten from the plan alone
    generate.train_and_write(plan(2), batches, jobs=1)
    assert sorted(p.name for p in batches.glob("*.csv")) == ["set-f00.csv", "set-f01.csv"]
