"""The gates as units: measure, then judge; the values they take; the registry."""

from __future__ import annotations

import inspect

import pytest

from overfitdoc.api import diagnose
from overfitdoc.check import GATES, KEYS, Gate, Measured, RunView, Tolerance, build_gates
from overfitdoc.check.gates import AT_LEAST, parse_metric_limits, parse_verdicts
from overfitdoc.commands.check import check_command
from overfitdoc.errors import UsageError
from overfitdoc.history import from_table
from overfitdoc.report import run_report


def view(table: dict) -> RunView:
    d = diagnose(from_table("made-up", "test", table))
    return RunView(run_report(d), d)


RUN = view(
    {
        "epoch": [1, 2, 3, 4, 5, 6],
        "loss": [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125],
        "val_loss": [1.0, 0.75, 0.625, 0.625, 0.6875, 0.75],
        "val_auc": [0.5, 0.75, 0.875, 0.875, 0.75, 0.5],
    }
)


def test_every_gate_is_an_option_and_a_config_key():
    params = inspect.signature(check_command).parameters
    for kind in GATES:
        assert kind.summary and kind.comparator
        setting = "baseline" if kind.key.startswith("baseline_") else kind.key
        assert setting in KEYS, kind
        assert setting in params, kind  # its option exists, spelled --<key with dashes>
    assert len({k.key for k in GATES}) == len(GATES)


def test_build_gates_in_registry_order():
    gates = build_gates({"fail_on": ("unstable",), "max_val": {"val_loss": 0.5}, "max_gap": 0.2})
    assert [g.name for g in gates] == ["max-gap", "fail-on", "max-val[val_loss]"]
    with pytest.raises(UsageError, match="no gates set"):
        build_gates({"monitor": "loss"})


def test_adding_a_gate_is_one_unit():
    class MinEpochs(Gate):
        key = "min_epochs"
        comparator = AT_LEAST
        summary = "at least N epochs with validation"

        def measure(self, run):
            return Measured(run.run["epochs"], f"{run.run['epochs']} epochs", "validated each epoch")

    result = MinEpochs(10).judge(RUN)
    assert (result.gate, result.value, result.limit, result.passed) == ("min-epochs", 6, 10, False)
    assert result.details == "6 epochs is below the limit 10 (validated each epoch)"


def test_measure_is_separate_from_judging():
    (gate,) = build_gates({"max_gap": 0.5})
    measured = gate.measure(RUN)
    assert measured.value == pytest.approx(0.71875)
    assert measured.evidence == "validation loss 0.75 vs training 0.03125 at epoch 6"
    assert gate.judge(RUN).passed is False
    (loose,) = build_gates({"max_gap": 0.75})
    assert loose.judge(RUN).passed is True


def test_validation_only_metric_found_by_column_name():
    (gate,) = build_gates({"min_val": {"val_auc": 0.875}})
    result = gate.judge(RUN)
    assert result.passed and result.value == 0.875
    assert result.details == "best val_auc 0.875 meets the limit 0.875 (at epoch 3, higher is better)"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0.02", Tolerance(0.02)),
        (0.02, Tolerance(0.02)),
        ("5%", Tolerance(0.05, True)),
        ("5 %", Tolerance(0.05, True)),
        ("5%%", None),
        (0, Tolerance(0.0)),
    ],
)
def test_tolerance_parse(text, expected):
    if expected is None:
        with pytest.raises(UsageError):
            Tolerance.parse(text)
    else:
        assert Tolerance.parse(text) == expected


def test_tolerance_of_a_reference():
    assert Tolerance(0.02).of(0.5) == 0.02 and str(Tolerance(0.02)) == "0.02"
    assert Tolerance(0.05, True).of(-0.4) == pytest.approx(0.02) and str(Tolerance(0.05, True)) == "5%"
    for bad in ("-1", "x", True, "inf"):
        with pytest.raises(UsageError):
            Tolerance.parse(bad)


def test_parse_verdicts():
    assert parse_verdicts(["overfitting, unstable", "overfitting"]) == ["overfitting", "unstable"]
    assert parse_verdicts("good_fit") == ["good_fit"]
    with pytest.raises(UsageError, match="needs at least one verdict"):
        parse_verdicts([","])


def test_parse_metric_limits():
    assert parse_metric_limits(["val_accuracy=0.9", " auc = 0.8 "], "--min-val") == {"val_accuracy": 0.9, "auc": 0.8}
    assert parse_metric_limits({"val_accuracy": 1}, "min_val") == {"val_accuracy": 1.0}
    with pytest.raises(UsageError, match="METRIC=VALUE"):
        parse_metric_limits(["0.9"], "--min-val")


def test_max_nonfinite_counts_the_monitored_pairs_bad_epochs():
    nan = float("nan")
    bad = view(
        {
            "epoch": [1, 2, 3, 4, 5, 6],
            "loss": [1.0, 0.5, nan, 0.125, 0.0625, 0.03125],
            "val_loss": [1.0, 0.75, nan, 0.625, 0.6875, 0.75],
        }
    )
    (gate,) = build_gates({"max_nonfinite": 0})
    judged = gate.judge(bad)
    assert (judged.value, judged.passed) == (1, False)
    assert "first at epoch 3" in judged.details
    assert gate.judge(RUN).passed
    assert build_gates({"max_nonfinite": 1})[0].judge(bad).passed
