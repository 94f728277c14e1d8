"""The analysis quantities on constructed histories (known shapes, so the expected epochs and
gaps can be worked out by hand) and on the sample runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from overfitdoc.analysis import Settings, diagnose
from overfitdoc.analysis.smoothing import local_linear, noise, running_median3, window_for
from overfitdoc.history import from_table
from overfitdoc.readers import load_history

from .conftest import FIXTURES, ROOT, SAMPLES


def hist(train, val, *, names=("loss", "val_loss"), start=0, extra=None):
    table = {"epoch": list(range(start, start + len(train))), names[0]: list(train), names[1]: list(val)}
    table.update(extra or {})
    return from_table("test.csv", "keras-csv", table)


def u_shaped(n=60, bottom=20, noise_sd=0.0, seed=0):
    """Training falls like 1/(1+e/5); validation follows it down to ``bottom`` and then rises linearly."""
    e = np.arange(n, dtype=float)
    train = 1.0 / (1 + e / 5)
    val = 1.0 / (1 + np.minimum(e, bottom) / 5) + 0.1 + 0.01 * np.maximum(e - bottom, 0)
    val = val + np.random.default_rng(seed).normal(0, noise_sd, n)
    return train, val


def test_window_grows_with_length_and_is_odd():
    assert [window_for(n) for n in (3, 10, 25, 50, 100, 1000)] == [3, 3, 3, 7, 13, 21]
    assert window_for(n=100, settings=Settings(window_fraction=0.2, max_window=15)) == 15


def test_building_blocks():
    x = np.array([1.0, 1.0, 9.0, 1.0, 1.0])
    assert list(running_median3(x)) == [1, 1, 1, 1, 1]  # one-epoch spike removed
    assert list(running_median3(np.array([9.0, 1.0, 1.0, 1.0, 5.0]))) == [1, 1, 1, 1, 1]  # at the ends too
    assert list(running_median3(np.arange(6.0))) == [0, 1, 2, 3, 4, 5]  # a line keeps its ends
    line = np.arange(10, dtype=float) * 2 + 3
    assert np.allclose(local_linear(line, 5), line)  # a line is its own trend, ends included
    alt = np.array([1.0, -1.0] * 10)
    assert noise(alt, np.zeros(20)) == pytest.approx(1.4826 * 1.0)


def test_clean_overfit_quantities():
    train, val = u_shaped()
    d = diagnose(hist(train, val))
    assert d.verdict == "overfitting" and d.variance == "high" and d.bias == "low"
    assert d.best_epoch == 20 and d.recommended_epoch == 20 and d.divergence_epoch == 20
    assert d.divergence_range[0] <= 20 <= d.divergence_range[1]
    assert d.epochs_past_best == 39 and d.epochs == 60
    assert d.gap.final == pytest.approx(val[-1] - train[-1])
    assert d.gap.at_best == pytest.approx(val[20] - train[20])
    assert d.gap.relative_final == pytest.approx((val[-1] - train[-1]) / train[-1])
    assert d.gap.trend == "widening"
    assert "bottomed out at epoch 20" in d.summary and "39 of 60 epochs came after the best" in d.summary


def test_noisy_dip_does_not_win_the_recommended_epoch():
    train, val = u_shaped(noise_sd=0.01, seed=3)
    val[45] = val.min() - 0.05  # a lucky single-epoch dip late in the run
    d = diagnose(hist(train, val))
    assert d.best_epoch == 45
    assert 16 <= d.recommended_epoch <= 24
    assert d.verdict == "overfitting" and 15 <= d.divergence_epoch <= 25


def test_epoch_numbering_follows_the_file():
    train, val = u_shaped()
    d = diagnose(hist(train, val, start=1))
    assert d.epoch_base == 1 and d.best_epoch == 21 and d.divergence_epoch == 21


def test_higher_is_better_metric_gap_is_positive_when_validation_is_worse():
    e = np.arange(40, dtype=float)
    train_acc = 1 - 0.5 * np.exp(-e / 5)
    val_acc = 0.85 - 0.35 * np.exp(-e / 5)
    d = diagnose(hist(train_acc, val_acc, names=("acc", "val_acc")))
    assert d.monitor.mode == "max"
    assert d.gap.final == pytest.approx(train_acc[-1] - val_acc[-1]) and d.gap.final > 0
    assert d.best_epoch == 39


def test_mode_override_flips_direction():
    train, val = u_shaped()
    d = diagnose(hist(train, val), mode="max")
    assert d.monitor.mode == "max" and d.best_epoch == 0  # validation is highest at the start


def test_good_fit():
    e = np.arange(50, dtype=float)
    train = 0.3 + 0.7 * np.exp(-e / 6)
    val = 0.33 + 0.7 * np.exp(-e / 6)
    d = diagnose(hist(train, val))
    assert d.verdict == "good_fit" and d.divergence_epoch is None and d.divergence_range is None
    assert d.gap.trend == "stable" and d.gap.final == pytest.approx(0.03)


def test_a_tiny_gap_that_grows_by_a_tenth_of_itself_is_stable():
    # the gap goes from 0.010 at mid-run to 0.011 at the end on a loss of 0.15: 10% of the gap
    # (above its 5% bar) but under 1% of the loss, below `gap_change` (2%) of it
    e = np.arange(60, dtype=float)
    train = 0.15 + 0.7 * np.exp(-e / 5)
    val = train + 0.009 + 0.002 * e / 59
    d = diagnose(hist(train, val))
    assert d.gap.trend == "stable"
    assert diagnose(hist(train, val), settings=Settings(gap_change=0.0)).gap.trend == "widening"


def test_still_improving():
    e = np.arange(20, dtype=float)
    d = diagnose(hist(1 - e / 25, 1.1 - e / 25))
    assert d.verdict == "still_improving" and d.recommended_epoch == 19
    assert "train longer" in d.summary


def test_not_learning():
    rng = np.random.default_rng(1)
    train = 0.6931 + rng.normal(0, 1e-4, 30)
    val = 0.6932 + rng.normal(0, 1e-4, 30)
    assert diagnose(hist(train, val)).verdict == "not_learning"


def _blow_up_then_flat(accuracy: bool):
    # a learning rate too high: the first epoch's mean loss is huge, then the model sits at
    # chance (ln 3 for three classes) for the rest of the run; with ``accuracy``, a training and
    # validation accuracy at a third (a constant guess) beside it
    rng = np.random.default_rng(2)
    train = np.r_[3.28, 1.1 + rng.normal(0, 0.006, 59)]
    val = 1.1 + rng.normal(0, 0.01, 60)
    extra = None
    if accuracy:
        extra = {"accuracy": list(0.333 + rng.normal(0, 0.004, 60)), "val_accuracy": list(np.full(60, 0.34))}
    return hist(train, val, extra=extra)


def test_not_learning_after_a_first_epoch_blow_up_at_a_constant_guess():
    # The drop from the first value is large, but the trend does not move: the end rule keeps
    # the spike out of its start. The loss (1.1) is above the binary entropy of the accuracy
    # (H(1/3) = 0.64): a constant guess, at chance whatever the untrained level was.
    d = diagnose(_blow_up_then_flat(accuracy=True))
    assert d.verdict == "not_learning" and d.start_unseen is None
    assert (
        d.train_trend[0] < 1.2 and "its trend went from 1.1" in d.summary and "after a first epoch at 3.28" in d.summary
    )
    assert d.bias == "high"  # a model that does not learn fits nothing (the start is no yardstick)
    assert d.confidence > 0.5 and d.cannot_tell is None


def test_a_flat_run_after_a_fall_inside_the_first_epoch_cannot_tell_learned_from_never():
    # The same losses with nothing to say where chance is: 3.28 then 1.1 is a blow-up to chance
    # or a model that learned from above 5.4 (2 * 3.28 - 1.1) inside its first epoch.
    d = diagnose(_blow_up_then_flat(accuracy=False))
    assert d.verdict == "not_learning"
    assert d.start_unseen is not None and d.start_unseen.kind == "first_epoch"
    assert d.start_unseen.first == pytest.approx(3.28) and d.start_unseen.second == pytest.approx(d.train[1])
    assert d.confidence <= 0.5 and d.bias == "unknown"
    assert d.cannot_tell is not None and d.cannot_tell.kind == "start_unseen"
    assert "constant prediction" in d.cannot_tell.experiment and "--target" in d.cannot_tell.experiment
    assert "learning nothing more" in d.summary and "not learning" not in d.summary.split("Cannot tell")[0]
    # a target says what a good model reaches: the analysis judges against it instead
    assert diagnose(_blow_up_then_flat(accuracy=False), target=0.2).start_unseen is None


def test_a_log_that_starts_late_cannot_show_where_training_started():
    # a resumed run: the file's first epoch is 480, and its loss is flat from there
    rng = np.random.default_rng(3)
    train = 0.04 + rng.normal(0, 0.0005, 30)
    val = 0.041 + rng.normal(0, 0.0008, 30)
    d = diagnose(hist(train, val, start=480))
    # read from its first value, it has made no progress: high bias (flat, or judged by progress)
    assert d.verdict in ("not_learning", "underfitting")
    assert d.start_unseen is not None and d.start_unseen.kind == "resumed" and d.start_unseen.first_epoch == 480
    assert d.cannot_tell is not None and d.cannot_tell.kind == "start_unseen" and "epoch 480" in d.cannot_tell.reason
    assert d.confidence <= 0.5 and d.bias == "unknown"
    # from its first epoch, the same losses are a model that never learned
    fresh = diagnose(hist(train, val))
    assert fresh.verdict == d.verdict and fresh.start_unseen is None and fresh.bias == "high"
    assert fresh.confidence > 0.5


def test_underfitting_against_target():
    e = np.arange(40, dtype=float)
    train = 0.5 + 0.2 * np.exp(-e / 4)
    val = 0.52 + 0.2 * np.exp(-e / 4)
    assert diagnose(hist(train, val), target=0.1).bias == "high"
    assert diagnose(hist(train, val), target=0.1).verdict == "underfitting"
    assert diagnose(hist(train, val), target=0.5).bias == "low"


def test_nan_is_reported_as_unstable_not_a_crash():
    train, val = u_shaped(30, 10)
    val[25:] = np.nan
    train[27] = np.inf
    d = diagnose(hist(train, val))
    assert d.verdict == "unstable" and d.nonfinite == (25, 26, 27, 28, 29)
    assert "became non-finite (NaN or infinity) at epoch 25 (5 non-finite epochs)" in d.summary


def test_insufficient_data():
    d = diagnose(hist([1.0, 0.9], [1.0, 0.95]))
    assert d.verdict == "insufficient_data" and "only 2 epochs" in d.missing
    h = from_table("gan.json", "pytorch-json", {"G_loss": [1, 2, 3], "D_loss": [3, 2, 1]})
    d = diagnose(h)
    assert d.verdict == "insufficient_data" and "no validation series" in d.missing and "G_loss" in d.missing
    assert d.confidence == 1.0


def test_monitor_picks_another_pair():
    train, val = u_shaped()
    acc = {"acc": list(1 - train / 2), "val_acc": list(1 - val / 2)}
    d = diagnose(hist(train, val, extra=acc), monitor="accuracy")
    assert d.monitor.val == "val_acc" and d.monitor.mode == "max"
    assert [o.pair.metric for o in diagnose(hist(train, val, extra=acc)).others] == ["acc"]


def test_confidence_is_the_calibrated_probability_of_the_margin():
    from overfitdoc.analysis.calibration import calibrated

    train, val = u_shaped(noise_sd=0.02)
    d = diagnose(hist(train, val))
    assert d.margin is not None and d.margin >= 1.0
    # a rise on a split of unknown size (no accuracy to read it from)
    assert d.deciding_test == "rise" and d.val_size is None
    assert d.confidence == calibrated(d.verdict, d.margin, "rise", None, d.rise_in_split_se)
    assert d.confidence < calibrated(d.verdict, d.margin)  # the unknown-size rise term is negative
    assert 0.05 <= d.confidence <= 0.99
    # more margin, more confidence; overfitting_and_underfitting is judged as overfitting
    assert calibrated("overfitting", 1.0) < calibrated("overfitting", 3.0) < calibrated("overfitting", 30.0)
    assert calibrated("overfitting_and_underfitting", 2.0) == calibrated("overfitting", 2.0)
    assert calibrated("no_such_verdict", 2.0) > 0  # an unseen group takes the pooled intercept


def test_the_committed_calibration_is_the_documented_fit():
    """calibration.py's coefficients are what benchmarks/accuracy/calibrate.py fits on the
    benchmark's development half today (rerun it with --write when the analysis changes)."""
    pytest.importorskip("sklearn")
    import sys

    from overfitdoc.analysis import calibration

    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy"
    sys.path.insert(0, str(bench))
    try:
        import calibrate

        rows = calibrate.observations()
        slope, intercepts, extra = calibrate.fit([r for r in rows if r["split"] == "dev"])
    finally:
        sys.path.remove(str(bench))
    assert slope == pytest.approx(calibration.SLOPE, abs=1e-5)
    assert intercepts == pytest.approx(calibration.INTERCEPTS, abs=1e-5)
    assert extra == pytest.approx(tuple(getattr(calibration, name) for name in calibrate.EXTRA), abs=1e-5)


@pytest.mark.parametrize(
    "stem,verdict",
    [
        ("overfit", "overfitting"),
        ("good_fit", "good_fit"),
        ("underfit", "underfitting"),
        ("still_improving", "still_improving"),
        ("unstable", "unstable"),
    ],
)
@pytest.mark.parametrize("ext", ["csv", "json"])
def test_sample_runs_get_their_verdict(stem, verdict, ext):
    d = diagnose(from_path(SAMPLES / f"{stem}.{ext}"))
    assert d.verdict == verdict, d.summary


def from_path(p):
    from overfitdoc import load_history

    return load_history(p)


def test_sample_overfit_epochs_agree_between_forms():
    a = diagnose(from_path(SAMPLES / "overfit.csv"))
    b = diagnose(from_path(SAMPLES / "overfit.json"))
    assert a.epoch_base == 0 and b.epoch_base == 1
    assert b.recommended_epoch == a.recommended_epoch + 1 and b.divergence_epoch == a.divergence_epoch + 1
    assert math.isclose(a.gap.final, b.gap.final, rel_tol=1e-6)


def test_a_widening_gap_while_validation_holds_is_variance_not_an_overfitting_verdict():
    n = 80
    train = [0.7 * math.exp(-t / 10) + 0.002 for t in range(n)]  # keeps falling towards 0
    val = [0.25 + 0.45 * math.exp(-t / 4) for t in range(n)]  # flat from about epoch 20
    d = diagnose(hist(train, val))
    assert (d.verdict, d.variance, d.divergence_epoch) == ("good_fit", "high", None)
    assert d.gap.trend == "widening"
    assert d.summary.startswith("Validation loss has held its level") and "Watch it." in d.summary
    assert diagnose(hist(train, val), settings=Settings(gap_verdict=1)).verdict == "overfitting"
    # the same gap without a rise of validation but with a steady gap is a plain good fit
    steady = [v - 0.2 for v in val]
    assert diagnose(hist(steady, val)).variance == "low"


def test_still_improving_is_judged_on_the_last_tenth_against_the_final_level():
    n = 60
    train = [0.7 * math.exp(-t / 30) for t in range(n)]
    falling = [0.8 * math.exp(-t / 30) for t in range(n)]  # last tenth falls by ~22% of its level
    d = diagnose(hist(train, falling))
    assert d.verdict == "still_improving" and d.recommended_epoch == n - 1
    flat = [0.3 + 0.5 * math.exp(-t / 5) for t in range(n)]  # the last tenth falls by 0.01% of its level
    assert diagnose(hist(train, flat)).verdict != "still_improving"


def test_bias_reads_the_better_of_training_and_validation():
    e = np.arange(60, dtype=float)
    train = 0.75 + 0.25 * np.exp(-e / 4)  # training-mode loss, inflated by dropout: 25% of the way
    val = 0.40 + 0.50 * np.exp(-e / 4)  # the model itself does far better
    d = diagnose(hist(train, val))
    assert (d.bias, d.verdict) == ("low", "good_fit")
    # validation no better than training: the same training curve is underfitting
    d = diagnose(hist(train, train + 0.02))
    assert (d.bias, d.verdict) == ("high", "underfitting")


def test_bias_starts_from_the_first_value_when_the_first_drop_is_steep():
    e = np.arange(40, dtype=float)
    train = 0.8 + 0.6 * np.exp(-e / 0.5)  # 1.4 -> 0.8 within three epochs: 43% of the way
    d = diagnose(hist(train, train + 0.02))
    # from the trend's first point (about 1.19) it would be 33% of the way, below bias_progress
    assert (d.train_trend[0] - 0.8) / d.train_trend[0] < Settings().bias_progress
    assert d.bias == "low"


def test_minibatch_noise_after_a_quick_convergence_is_not_instability():
    rng = np.random.default_rng(0)
    e = np.arange(80, dtype=float)
    # converged in a few epochs (range 0.06), then 3% mini-batch jitter: 17% of the range
    train = 0.30 + 0.06 * np.exp(-e / 3) + rng.normal(0, 0.01, 80)
    val = 0.32 + 0.06 * np.exp(-e / 3) + rng.normal(0, 0.002, 80)
    d = diagnose(hist(train, val))
    assert d.verdict != "unstable" and "jumps" not in d.summary
    # jitter that is large against the level too is instability
    wild = 0.30 + 0.06 * np.exp(-e / 3) + rng.normal(0, 0.12, 80).clip(-0.25)
    assert diagnose(hist(wild, val)).verdict == "unstable"


def test_a_rise_only_in_the_last_points_is_not_a_divergence():
    n = 72  # window 9: a rise must hold over 4 points
    e = np.arange(n, dtype=float)
    train = 0.2 + 0.6 * np.exp(-e / 8)
    val = 0.3 + 0.6 * np.exp(-e / 8)
    late = val.copy()
    late[-2:] += [0.05, 0.10]  # two epochs of rise at the very end
    assert diagnose(hist(train, late)).divergence_epoch is None
    longer = val.copy()
    longer[-12:] += 0.01 * np.arange(1, 13)  # twelve epochs of rise
    assert diagnose(hist(train, longer)).divergence_epoch is not None


def test_a_loss_that_explodes_in_its_first_epochs_does_not_keep_epoch_0():
    val = [6.1, 21.7, 698.0, 4.5] + [2.7 + 0.05 * math.exp(-i / 5) for i in range(40)]
    train = [5.2e4, 799.0, 1958.0, 238.0] + [1.0 + 0.02 * math.exp(-i / 5) for i in range(40)]
    d = diagnose(hist(train, val))
    assert d.recommended_epoch > 3 and d.divergence_epoch != 0


def test_with_a_large_widening_gap_a_rise_is_judged_against_the_validation_level():
    n = 200
    e = np.arange(n, dtype=float)
    train = 1.1 * np.exp(-e / 15) + 0.001  # keeps falling towards 0
    val = 0.05 + 1.05 * np.exp(-e / 6)  # from 1.1 down to 0.05 ...
    risen = val + 0.02 * np.clip((e - 40) / 160, 0, 1)  # ... then 0.02 up: 40% of its level,
    d = diagnose(hist(train, risen))  # under 2% of its range
    assert d.gap.trend == "widening" and d.variance == "high"
    assert d.verdict == "overfitting" and 35 <= d.divergence_epoch <= 50
    # without the gap's bar it takes the size bar, in log space (the loss spans more than a
    # decade): a rise by exp(min_rise * ln(1.1 / 0.05)) - 1, 59% at min_rise 0.15
    assert diagnose(hist(train, risen), settings=Settings(gap_rise=1.0, min_rise=0.15)).verdict == "good_fit"
    # the same rise with a steady gap (training level with validation) is judged on the range
    assert diagnose(hist(risen - 0.01, risen)).divergence_epoch is None


def test_unstable_and_overfitting_says_both():
    # a real log (tests/fixtures/realworld/SOURCES.md): validation jumps by a fifth of its level
    # from epoch to epoch, and its trend has risen since epoch 18 while training kept falling
    d = diagnose(load_history(str(FIXTURES / "realworld" / "r001_keras_csvlogger.csv")))
    assert d.verdict == "unstable" and d.divergence_epoch == 18
    assert d.summary == (
        "Training is unstable (validation loss typically moves 22% from one epoch to the next), "
        "and it overfits: validation loss bottomed out at epoch 18 (0.2906) and has risen 43% since, "
        "while training loss kept falling."
    )


def test_a_large_steady_gap_is_not_called_converged():
    # a real log (tests/fixtures/realworld/SOURCES.md): validation ends 54% above training and the
    # gap holds steady: a good fit by the verdict, but the summary must not say "converged"
    d = diagnose(load_history(str(FIXTURES / "realworld" / "r023_custom_csv.csv")))
    assert d.verdict == "good_fit" and d.variance == "low" and d.gap.trend == "stable"
    assert "converged" not in d.summary
    assert "the gap is large (20.11, 54% of the training value) but stable" in d.summary


def test_a_loss_with_no_lower_bound_is_unstable_not_still_improving():
    # a real log (tests/fixtures/realworld/SOURCES.md): a custom loss that falls from -3.4e4
    # to -6.5e7 and keeps falling. "Train longer" would be the wrong advice.
    d = diagnose(load_history(str(FIXTURES / "realworld" / "r008_keras_csvlogger.log")))
    assert d.verdict == "unstable"
    assert "no lower bound: it fell below zero to -6.51e+07, 1923 times the size of its first value" in d.summary
    # a negative log-likelihood that settles below zero is an ordinary loss
    e = np.arange(60, dtype=float)
    nll = -2.5 + 3.5 * np.exp(-e / 8)
    d = diagnose(hist(nll, nll + 0.05))
    assert d.verdict != "unstable" and "lower bound" not in d.summary


GENERATED = Path(__file__).resolve().parent / "fixtures" / "generated"


def test_a_run_that_blew_up_after_its_first_epochs_keeps_its_best_finite_epoch():
    """A real run (SGD whose rate jumped after epoch 1; make_generated.py) with two finite
    epochs: unstable, and the epoch to keep is the best finite one, never null."""
    from overfitdoc.api import diagnose as diagnose_file

    d = diagnose_file(GENERATED / "blowup_after_first_epoch.json")
    assert d.verdict == "unstable" and len(d.nonfinite) == 18
    assert d.recommended_epoch == d.best_epoch == 1
    assert d.epochs_past_best == 19


def test_a_smooth_fall_over_decades_is_not_unstable():
    """Full-batch gradient descent falling about 15% a step over six decades (no noise at all):
    its epoch-to-epoch moves are the trend, not instability."""
    from overfitdoc.api import diagnose as diagnose_file

    d = diagnose_file(GENERATED / "five_decades.json")
    assert d.val[0] / d.val.min() > 1e5
    assert d.verdict == "good_fit" and d.instability is None
    # the moves the log-space trend does not explain: none (the raw moves are 15% a step)
    assert d.stability.val_move < 0.01


def test_a_rise_after_decades_of_fall_is_judged_in_log_space():
    """A full-batch fit falling smoothly over three decades (427 to 0.2), then validation rising
    72% (make_generated.py): overfitting. On a linear scale the first epochs set the bar for a
    rise (3% of a range of 427 is 13, 64 times the minimum) and it was called a good fit."""
    from overfitdoc.analysis.curves import curves
    from overfitdoc.analysis.divergence import min_rise
    from overfitdoc.analysis.settings import DEFAULT_SETTINGS
    from overfitdoc.api import diagnose as diagnose_file

    d = diagnose_file(GENERATED / "decades_then_rise.json")
    assert d.val.max() / d.val.min() > 1e3
    assert d.verdict == "overfitting" and d.instability is None
    assert d.divergence_epoch == d.recommended_epoch == 434
    assert d.stability.val_move < 0.01
    # the bar for the rise is relative to the kept value: exp(0.03 * ln-range) - 1 of it
    rows = json.loads((GENERATED / "decades_then_rise.json").read_text())
    train, val = (np.array([r[k] for r in rows]) for k in ("train_loss", "val_loss"))
    c = curves(np.arange(1.0, len(rows) + 1), train, val, "min", DEFAULT_SETTINGS)
    assert c.val_log_range == pytest.approx(math.log(val.max() / val.min()), rel=0.05)
    assert min_rise(c, 0.2, DEFAULT_SETTINGS) == pytest.approx(0.2 * np.expm1(0.03 * c.val_log_range))


def test_a_step_log_counts_the_steps_it_ran_and_its_evaluations():
    """An evaluation every 200 steps from step 200 to 2,400: the summary counts 2,400 steps (it
    said 2,201, last minus first plus one, as for epochs) and early stopping's evidence counts
    evaluations, not steps."""
    from overfitdoc.advice import advise

    train, val = u_shaped(n=12, bottom=4)
    steps = [200 * (i + 1) for i in range(12)]
    d = diagnose(
        from_table(
            "s.csv",
            "keras-csv",
            {"step": steps, "loss": list(train), "val_loss": list(val)},
            index_column="step",
            unit="step",
        )
    )
    assert d.unit == "step" and d.divergence_epoch is not None
    assert f"{d.epochs_past_best} of 2400 steps came after the best." in d.summary
    es = next(a for a in advise(d) if a.id == "early-stopping")
    assert " of 12 evaluations)" in es.evidence


def test_a_dip_near_the_end_of_a_short_run_is_not_a_divergence():
    """A real 30-epoch run validated on 40 points (make_generated.py): validation dips at epoch
    26 and reads higher at each of the four epochs after it, while the 4,000-point test loss
    falls to the end. A rise after a one-epoch dip is not a divergence: it must hold over half a
    trend window above the kept score, and the kept score is not the dip alone."""
    from overfitdoc.api import diagnose as diagnose_file

    d = diagnose_file(GENERATED / "late_dip.json")
    rows = json.loads((GENERATED / "late_dip.json").read_text())
    val = np.array([r["val_loss"] for r in rows])
    assert int(np.argmin(val)) + 1 == 26 and np.all(np.diff(val[25:]) > 0)  # the dip, then four rises
    test = json.loads((GENERATED / "late_dip.test.json").read_text())["test_loss"]
    assert int(np.argmin(test)) + 1 == 30
    assert d.divergence_epoch is None and d.verdict != "overfitting"


def test_a_late_lucky_dip_of_a_noisy_split_is_not_kept():
    """A real overfitting run validated on 30 points (make_generated.py): its validation loss is
    lowest at epoch 177, a lucky reading of a noisy curve, while the 4,000-point test loss was
    lowest at epoch 9. The epoch kept is the early one: its test regret is a small fraction of
    the raw best's."""
    from overfitdoc.api import diagnose as diagnose_file

    d = diagnose_file(GENERATED / "lucky_dip.json")
    test = np.array(json.loads((GENERATED / "lucky_dip.test.json").read_text())["test_loss"])
    assert d.best_epoch == 177 and int(np.argmin(test)) + 1 == 9
    assert d.verdict == "overfitting" and d.recommended_epoch < 20

    def regret(epoch):
        return float(test[epoch - 1] - test.min())

    assert regret(d.recommended_epoch) < 0.1 * regret(d.best_epoch)


def test_decisions_that_stopped_changing_make_an_underfit_not_a_good_fit():
    """A real run (make_generated.py majority_class): an 8-unit MLP predicts the majority class
    of an imbalanced set at every epoch, while its loss falls from its start to the entropy of
    the class shares; a 64-64 MLP reaches half its best validation loss on the same split. The
    accuracies' frozen values make it an underfit (deciding test ``frozen``); the same losses
    without the accuracy columns read as a good fit, as they did before."""
    from overfitdoc.api import diagnose as diagnose_file

    rows = json.loads((GENERATED / "majority_class.json").read_text())
    d = diagnose_file(GENERATED / "majority_class.json")
    assert d.verdict == "underfitting" and d.bias == "high" and d.deciding_test == "frozen"
    f = d.frozen
    assert f is not None and (f.train, f.val) == ("accuracy", "val_accuracy")
    assert f.train_value == rows[-1]["accuracy"] < 1 and f.val_value == rows[-1]["val_accuracy"]
    assert {r["accuracy"] for r in rows[f.since - 1 :]} == {f.train_value} and f.points == len(rows) - f.since + 1
    assert f"have not changed since epoch {f.since}" in d.summary
    wider = json.loads((GENERATED / "majority_class.test.json").read_text())["wider_best_val_loss"]
    assert wider < 0.6 * d.best_val  # the data allowed far better: an underfit
    losses = {k: [r[k] for r in rows] for k in ("epoch", "loss", "val_loss")}
    plain = diagnose(from_table("run.csv", "keras-csv", losses))
    assert plain.verdict == "good_fit" and plain.frozen is None


def test_frozen_decisions_need_every_reading_of_the_last_half():
    """One sample changing class in the last half, or a training accuracy of 1, is not frozen."""
    from overfitdoc.analysis.validation import FROZEN_MIN

    rows = json.loads((GENERATED / "majority_class.json").read_text())
    table = {k: [r[k] for r in rows] for k in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy")}
    moved = dict(table, accuracy=table["accuracy"][:-3] + [table["accuracy"][-1] + 1 / 600] + table["accuracy"][-2:])
    assert diagnose(from_table("run.csv", "keras-csv", moved)).frozen is None
    perfect = dict(table, accuracy=[1.0] * len(rows))
    assert diagnose(from_table("run.csv", "keras-csv", perfect)).frozen is None
    short = {k: v[: 2 * FROZEN_MIN - 1] for k, v in table.items()}
    assert diagnose(from_table("run.csv", "keras-csv", short)).frozen is None
    enough = {k: v[: 2 * FROZEN_MIN] for k, v in table.items()}
    assert diagnose(from_table("run.csv", "keras-csv", enough)).frozen is not None


def test_frozen_decisions_are_not_read_from_accuracies_rounded_to_two_decimals():
    """A log that rounds its accuracies to two decimals repeats a value by rounding alone."""
    rows = json.loads((GENERATED / "majority_class.json").read_text())
    table = {k: [r[k] for r in rows] for k in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy")}
    assert diagnose(from_table("run.csv", "keras-csv", table)).frozen is not None
    rounded = dict(table, accuracy=[round(a, 2) for a in table["accuracy"]])
    assert diagnose(from_table("run.csv", "keras-csv", rounded)).frozen is None


def test_training_that_gets_worse_with_validation_fell_apart_it_did_not_overfit():
    # Validation bottoms out at epoch 20 and rises; training climbs with it from there (by 40%
    # of its level at epoch 20): both got worse, which overfitting (training still falling) does
    # not do. The same validation curve over a training loss that keeps falling is overfitting.
    e = np.arange(60, dtype=float)
    val = 0.5 + 0.5 * np.exp(-e / 6) + 0.004 * np.maximum(e - 20, 0)
    falling = 0.45 * np.exp(-e / 8) + 0.05
    rising = np.where(e <= 20, falling, falling[20] + 0.002 * (e - 20))
    d = diagnose(hist(rising, val))
    assert d.verdict == "unstable" and d.stability.worse_after_best
    found = d.stability.instability
    assert found.kind == "train_rising" and found.epoch == d.recommended_epoch
    assert found.value == pytest.approx(float(d.train_trend[-1] - d.train_trend[found.epoch]))
    assert found.value > found.threshold
    assert f"got worse after epoch {found.epoch}" in d.summary and "fell apart" in d.summary
    over = diagnose(hist(falling, val))
    assert over.verdict == "overfitting" and not over.stability.worse_after_best


@pytest.mark.parametrize(
    "path",
    [
        # SGD at a learning rate far too high on an 8x8 digits CNN: training loss climbs back by
        # 1.6 after epoch 9 while validation rises (a good fit before; the test loss: unstable)
        "runs/digits_cnn-s0-06-high_lr.csv",
        # SGD at 2.0 with momentum on two spirals: training rises from 0.52 to 0.77 after epoch 2
        # (not learning at 0.99 before; the test loss: unstable)
        "fresh_runs/spirals-f28.csv",
    ],
)
def test_real_runs_whose_training_fell_apart_are_unstable(path):
    d = diagnose(load_history(str(ROOT / "benchmarks" / "accuracy" / path)))
    assert d.verdict == "unstable"
    assert d.stability.worse_after_best and d.stability.instability.kind == "train_rising"
    assert d.stability.instability.epoch == d.recommended_epoch
