"""The validation split's size, calibrated confidence features, and "cannot tell"."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from overfitdoc.analysis import calibration, diagnose
from overfitdoc.analysis.uncertainty import SMALL_SPLIT, cannot_tell
from overfitdoc.analysis.validation import accuracy_steps
from overfitdoc.api import diagnose as diagnose_file
from overfitdoc.cli import app
from overfitdoc.history import from_table

from .conftest import SAMPLES


def run_cli(*args):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _clf_history(n_val: int, epochs: int = 40, seed: int = 0):
    """A classification history whose validation accuracy is a count over ``n_val`` samples."""
    rng = np.random.default_rng(seed)
    e = np.arange(epochs, dtype=float)
    loss = 0.7 * np.exp(-e / 10) + 0.1
    val = loss + 0.05 + rng.normal(0, 0.01, epochs)
    correct = np.clip(np.round(n_val * (0.6 + 0.3 * (1 - np.exp(-e / 8))) + rng.integers(-2, 3, epochs)), 1, n_val - 1)
    table = {
        "epoch": list(range(epochs)),
        "accuracy": list(1 - loss / 2),
        "loss": list(loss),
        "val_accuracy": [round(float(c) / n_val, 6) for c in correct],
        "val_loss": list(val),
    }
    return from_table("run.csv", "keras-csv", table)


@pytest.mark.parametrize("n", [12, 16, 50, 200, 1000])
def test_the_split_size_is_read_from_the_accuracy_steps(n):
    d = diagnose(_clf_history(n))
    assert d.val_size is not None and d.val_size.n == n
    assert d.val_size.source == "accuracy steps" and d.val_size.series == "val_accuracy"


def test_too_few_distinct_accuracies_tell_no_size():
    assert accuracy_steps(np.array([0.5, 0.75])) is None
    # values that are not counts (6 significant digits of random numbers) fit no size
    rng = np.random.default_rng(1)
    misses = sum(accuracy_steps(np.round(rng.uniform(0.3, 0.9, 6), 6)) is None for _ in range(50))
    assert misses == 50
    # a float32 count, as Keras logs it, still reads
    assert accuracy_steps(np.array([k / 12 for k in (7, 8, 9, 10, 11)], dtype=np.float32).astype(float)) == 12


def test_a_loss_alone_has_no_known_size_unless_given():
    e = np.arange(30, dtype=float)
    h = from_table(
        "run.csv", "keras-csv", {"epoch": list(range(30)), "loss": list(1 / (1 + e)), "val_loss": list(1.1 / (1 + e))}
    )
    assert diagnose(h).val_size is None
    given = diagnose(h, val_size=40).val_size
    assert given is not None and (given.n, given.source, given.series) == (40, "given", None)


def test_the_given_size_wins_over_the_steps():
    d = diagnose(_clf_history(16), val_size=300)
    assert d.val_size.n == 300 and d.val_size.source == "given"


def test_confidence_features_follow_the_documented_formula(monkeypatch):
    monkeypatch.setattr(calibration, "SLOPE", 1.0)
    monkeypatch.setattr(calibration, "INTERCEPTS", {"pooled": 0.5, "good_fit": 1.0})
    monkeypatch.setattr(calibration, "BIAS_TEST", -1.0)
    monkeypatch.setattr(calibration, "SIZE", 0.5)
    monkeypatch.setattr(calibration, "UNKNOWN_SIZE", -0.25)
    monkeypatch.setattr(calibration, "RISE_UNKNOWN_SIZE", -0.5)
    sig = lambda z: round(1 / (1 + np.exp(-z)), 3)  # noqa: E731
    assert calibration.calibrated("good_fit", 2.0, "rise", 100) == sig(1.0 + np.log(2.0))
    assert calibration.calibrated("good_fit", 2.0, "bias", 100) == sig(np.log(2.0))
    assert calibration.calibrated("good_fit", 1.0, "rise", 10) == sig(1.0 + 0.5 * np.log(0.1))
    # a rise whose split size is unknown: the unknown-size term and its own
    assert calibration.calibrated("good_fit", 1.0, "rise", None) == sig(0.75 - 0.5)
    assert calibration.calibrated("good_fit", 1.0, "gap", None) == sig(0.75)
    assert calibration.calibrated("underfitting", 1.0, "bias", 1) == sig(0.5 - 1.0 + 0.5 * np.log(0.05))  # n >= 5
    assert calibration.calibrated("good_fit", 1e9, "rise", 100) == 0.99


def test_cannot_tell_follows_the_deciding_test():
    d = diagnose(_clf_history(16))
    assert cannot_tell(replace(d, confidence=0.5)) is None
    low = replace(d, confidence=0.42, verdict="good_fit", deciding_test="bias")
    ct = cannot_tell(low)
    assert ct is not None and ct.kind == "capacity_or_floor"
    assert "twice as wide" in ct.experiment and "noise floor" in ct.reason
    ct = cannot_tell(replace(low, deciding_test="rise"))
    assert ct is not None and ct.kind == "small_split" and "16 samples" in ct.reason
    assert f"at least {SMALL_SPLIT}" in ct.experiment
    ct = cannot_tell(replace(low, deciding_test="rise", val_size=None))
    assert ct is not None and ct.kind == "narrow" and "seeds" in ct.experiment


def test_a_low_confidence_verdict_says_so_and_names_the_experiment(monkeypatch):
    from overfitdoc.analysis import core

    monkeypatch.setattr(core, "calibrated", lambda *a, **k: 0.3)
    d = diagnose(_clf_history(16))
    assert d.cannot_tell is not None and d.confidence == 0.3
    assert "Cannot tell for sure (confidence 0.30)" in d.summary and "to decide, " in d.summary
    if d.cannot_tell.kind == "capacity_or_floor":
        assert d.bias == "unknown"


def test_val_size_and_cannot_tell_are_in_the_json(tmp_path):
    r = run_cli("diagnose", str(SAMPLES / "overfit.csv"), "--val-size", "40", "-f", "json")
    assert r.exit_code == 0, r.output
    run = json.loads(r.stdout)["runs"][0]
    assert run["val_size"] == {"n": 40, "source": "given", "series": None}
    assert run["cannot_tell"] is None or set(run["cannot_tell"]) == {"kind", "reason", "experiment"}


@pytest.mark.parametrize("bad", ["0", "-3", "x"])
def test_a_bad_val_size_is_a_usage_error(bad):
    r = run_cli("diagnose", str(SAMPLES / "overfit.csv"), "--val-size", bad)
    assert r.exit_code == 2


def test_val_size_in_the_check_configuration(tmp_path):
    cfg = tmp_path / "overfitdoc.toml"
    cfg.write_text("[check]\nmax_gap = 100\nval_size = 0\n")
    r = run_cli("check", str(SAMPLES / "overfit.csv"), "--config", str(cfg))
    assert r.exit_code == 2 and "val_size" in r.output
    cfg.write_text("[check]\nmax_gap = 100\nval_size = 64\n")
    r = run_cli("check", str(SAMPLES / "overfit.csv"), "--config", str(cfg), "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["runs"][0]["val_size"]["n"] == 64


GENERATED = SAMPLES.parent / "tests" / "fixtures" / "generated"


def test_a_tiny_split_is_seen_in_its_accuracy_steps_and_its_overfit_still_found():
    """A real run (make_generated.py) validating on 16 points: its accuracy moves in steps of
    1/16, and the epoch kept is near where the hidden 4,000-point test loss was lowest."""
    d = diagnose_file(GENERATED / "tiny_split_overfit.json")
    assert d.val_size is not None and (d.val_size.n, d.val_size.source) == (16, "accuracy steps")
    assert d.verdict == "overfitting"
    test = json.loads((GENERATED / "tiny_split_overfit.test.json").read_text())["test_loss"]
    assert test[d.recommended_epoch - 1] <= 1.05 * min(test)  # epochs from 1


def test_a_plateau_judged_by_how_far_it_got_is_not_called_sure():
    """A linear model on two moons levels off with validation close behind: a good fit decided
    by the bias test, whose confidence stays well short of sure (a 64-unit MLP does far better),
    and whose advice holds, in its top 3, the experiment that tells capacity from the noise floor."""
    from overfitdoc.advice import advise

    d = diagnose_file(GENERATED / "plateau_linear.json")
    assert d.verdict == "good_fit" and d.deciding_test == "bias"
    assert d.confidence < 0.75  # the calibrated fit: 0.71 (0.70 before the refit of commit "training fell apart")
    top = advise(d)[:3]
    # ranked by the chance the call is wrong: 0.29, behind two remedies at 0.3
    probe = next(a for a in top if a.id == "more-capacity")
    assert probe.score == round(1 - d.confidence, 2)
    assert "about twice as wide for the same epochs" in probe.evidence


def test_a_divergence_more_likely_noise_is_not_called_overfitting(monkeypatch):
    """A u-shaped run that overfits: when the calibration puts its overfitting call below one
    half, the verdict is the one without the divergence, at one minus that confidence."""
    from overfitdoc.analysis import core

    e = np.arange(60, dtype=float)
    train = 1 / (1 + e / 5)
    val = 1 / (1 + np.minimum(e, 20) / 5) + 0.1 + 0.01 * np.maximum(e - 20, 0)
    h = from_table("run.csv", "keras-csv", {"epoch": list(range(60)), "loss": list(train), "val_loss": list(val)})
    sure = diagnose(h)
    assert sure.verdict == "overfitting" and sure.rejected_rise is None and sure.divergence_epoch is not None
    monkeypatch.setattr(core, "calibrated", lambda verdict, *a: 0.3 if verdict == "overfitting" else 0.6)
    d = diagnose(h)
    assert d.verdict == "good_fit" and d.deciding_test == "rise_rejected" and d.confidence == 0.7
    assert d.divergence_epoch is None and d.recommended_epoch == sure.recommended_epoch
    r = d.rejected_rise
    assert r is not None and (r.verdict, r.confidence, r.epoch) == ("overfitting", 0.3, sure.recommended_epoch)
    assert f"did rise after epoch {r.epoch}" in d.summary and "(confidence 0.30 as overfitting)" in d.summary


def test_a_run_shorter_than_any_the_calibration_saw_cannot_be_sure():
    """A real 3-epoch fine-tune (make_generated.py): the calibrated model alone would be sure of
    its underfitting call, but no run that short was in the fit, so the confidence is at most one
    half, `cannot_tell` says why and names the experiment, the bias test's `bias` is unknown, and
    the report does not print a noise of 0 as if it had been measured."""
    d = diagnose_file(GENERATED / "short_finetune.json")
    assert len(d.points) == 3 < calibration.MIN_POINTS
    alone = calibration.calibrated(d.verdict, d.margin, d.deciding_test, None)
    assert alone > 0.9 and d.confidence == 0.5
    assert d.cannot_tell is not None and d.cannot_tell.kind == "short_run"
    assert f"at least {calibration.MIN_POINTS} times" in d.cannot_tell.experiment
    assert d.deciding_test == "bias" and d.bias == "unknown"
    assert "Cannot tell for sure" in d.summary
    r = run_cli("diagnose", str(GENERATED / "short_finetune.json"), "--no-chart")
    assert r.exit_code == 0
    assert "no epoch off its trend: none measurable" in r.output


def test_short_unstable_runs_keep_their_calibrated_confidence():
    """An `unstable` verdict is read from the values themselves: a run that blew up after its
    first epoch keeps its confidence and gets no `short_run`."""
    d = diagnose_file(GENERATED / "blowup_after_first_epoch.json")
    assert d.verdict == "unstable"
    assert len(d.points) < calibration.MIN_POINTS
    assert d.cannot_tell is None or d.cannot_tell.kind != "short_run"


def test_a_loss_near_zero_whose_decisions_hold_is_not_unstable():
    """A real run (make_generated.py): a classifier at 99-100% validation accuracy on 500
    samples, whose validation loss near 0.001 moves by about a quarter of itself from one epoch
    to the next. At most one sample changes sides in a typical epoch, so those moves are the
    confidence of a few samples, not instability (before: "validation loss typically moves 24%")."""
    d = diagnose_file(GENERATED / "near_zero_loss.json")
    st = d.stability
    assert d.val_size is not None and d.val_size.n == 500
    assert st.val_move > 0.15  # the bar alone would call it unstable
    assert st.val_decisions is not None and st.val_decisions <= 1.0
    assert not st.val_move_high and d.verdict != "unstable" and d.instability is None
    assert float(np.max(d.val[-20:])) < 0.005 and d.recommended_epoch > 40  # the loss fell to its floor, kept late


def test_moves_of_a_loss_while_decisions_change_are_still_instability():
    """The same moves with several samples changing sides per epoch stay `val_jumps`."""
    rng = np.random.default_rng(0)
    e = np.arange(60, dtype=float)
    loss = 0.5 * np.exp(-e / 10) + 0.1
    val = (0.5 * np.exp(-e / 10) + 0.15) * np.exp(rng.normal(0, 0.3, 60))
    acc = np.clip(np.round(200 * (0.8 + rng.normal(0, 0.03, 60))), 1, 199) / 200
    table = {"epoch": list(range(60)), "accuracy": list(1 - loss / 2), "loss": list(loss)}
    table.update({"val_accuracy": list(acc), "val_loss": list(val)})
    d = diagnose(from_table("run.csv", "keras-csv", table))
    assert d.val_size is not None and d.stability.val_decisions > 1.0
    assert d.verdict == "unstable" and d.instability.kind in ("val_jumps", "val_noise")


def test_a_rise_within_the_split_sampling_error_is_measured_and_named():
    """A real run (make_generated.py): a good fit by its 4,000-point test loss, whose 60-sample
    validation loss rises 17% after epoch 8. The rise is measured in the split's sampling errors
    (loss / sqrt(60)), the confidence reads it (lower than the same call on a resolved rise), and
    the advice names the split size that would resolve it."""
    from overfitdoc.advice import advise

    d = diagnose_file(GENERATED / "small_split_rise.json")
    assert d.val_size is not None and d.val_size.n == 60
    test = json.loads((GENERATED / "small_split_rise.test.json").read_text())["test_loss"]
    assert int(np.argmin(test)) > 80  # the test loss fell nearly to the end: no overfitting
    level = float(d.val[np.searchsorted(d.points, d.recommended_epoch)])  # the kept score there
    assert d.split_se == pytest.approx(level / np.sqrt(60), rel=0.05)
    assert 1.0 < d.rise_in_split_se < calibration.RESOLVED_AT
    resolved = calibration.calibrated(d.verdict, d.margin, d.deciding_test, 60, calibration.RESOLVED_AT)
    assert d.confidence < resolved
    (a,) = [a for a in advise(d) if a.id == "small-validation-set"]
    needed = int(float(f"{np.ceil(60 * (calibration.RESOLVED_AT / d.rise_in_split_se) ** 2):.2g}"))
    assert f"{d.rise_in_split_se:.1f} sampling errors of a 60-sample split" in a.evidence
    assert f"a split of about {needed} samples" in a.evidence


def test_the_resolution_feature_is_read_only_for_a_rise_on_a_split_of_known_size():
    assert calibration.features("rise", 60, 0.5)[3] == pytest.approx(np.log(0.5 / calibration.RESOLVED_AT))
    assert calibration.features("rise", 60, 30.0)[3] == 0.0  # resolved: nothing added
    assert calibration.features("rise", None, None)[3] == 0.0
    assert calibration.features("gap", 60, 0.5)[3] == 0.0
    assert calibration.features("rise", 60, 0.001)[3] == pytest.approx(np.log(0.1 / calibration.RESOLVED_AT))


def test_a_small_split_experiment_names_the_size_that_would_resolve_the_rise():
    d = diagnose(_clf_history(20))
    unsure = replace(d, confidence=0.3, margin=1.2, deciding_test="rise", divergence_epoch=10, rise_in_split_se=0.5)
    c = cannot_tell(unsure)
    assert c is not None and c.kind == "small_split"
    assert "hold out about 720 validation samples" in c.experiment  # 20 * (3 / 0.5)^2
    c = cannot_tell(replace(unsure, rise_in_split_se=2.9))  # 21 samples resolve it: the floor stands
    assert c is not None and f"hold out at least {SMALL_SPLIT} validation samples" in c.experiment
