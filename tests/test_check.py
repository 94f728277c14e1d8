"""`overfitdoc check` through the CLI: every gate on both sides of its limit, the baseline
gate, the table, the JSON, and the exit codes 0, 1 and 2."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from overfitdoc.analysis import VERDICTS
from overfitdoc.api import diagnose
from overfitdoc.cli import app
from overfitdoc.report import run_report

from .conftest import FIXTURES

runner = CliRunner()
EXACT = "tests/fixtures/check/exact.csv"  # dyadic numbers: final gap 0.125, relative 0.5, best epoch 8
OVERFIT = "sample_runs/overfit.csv"
GOOD = "sample_runs/good_fit.csv"


def check(*args, input=None):
    # --no-config: these tests must not depend on a [tool.overfitdoc] the repository may grow
    return runner.invoke(app, ["check", "--no-config", *args], input=input, catch_exceptions=False)


def gates_of(result, run: int = 0) -> dict:
    return json.loads(result.stdout)["runs"][run]["gates"]


def report_of(path: str) -> dict:
    return run_report(diagnose(path))


# ---------------------------------------------------------------- each gate, both sides

SCALAR_GATES = [
    ("--max-gap", "max-gap", lambda r: r["gap"]["final"]),
    ("--max-relative-gap", "max-relative-gap", lambda r: r["gap"]["relative_final"]),
    ("--max-gap-at-best", "max-gap-at-best", lambda r: r["gap"]["at_best"]),
    ("--max-epochs-past-best", "max-epochs-past-best", lambda r: r["epochs_past_best"]),
]


@pytest.mark.parametrize("option,gate,measure", SCALAR_GATES, ids=[g[1] for g in SCALAR_GATES])
@pytest.mark.parametrize("source", [OVERFIT, GOOD])
def test_scalar_gate_both_sides(option, gate, measure, source):
    value = measure(report_of(source))
    below = value - 1 if isinstance(value, int) else value - 1e-9
    at = check(source, option, repr(value), "--format", "json")  # a value at the limit passes
    assert at.exit_code == 0, at.stdout
    assert gates_of(at)[gate] == {**gates_of(at)[gate], "value": value, "limit": value, "passed": True}
    over = check(source, option, repr(below), "--format", "json")
    assert over.exit_code == 1
    result = gates_of(over)[gate]
    assert result["passed"] is False and result["value"] == value and result["limit"] == below


def test_details_carry_the_runs_numbers():
    r = check(
        EXACT,
        "--max-gap",
        "0.1",
        "--max-relative-gap",
        "40%",
        "--max-gap-at-best",
        "0.125",
        "--max-epochs-past-best",
        "0",
        "--min-val",
        "val_accuracy=0.9",
        "--max-val",
        "loss=0.4",
        "--format",
        "json",
    )
    assert r.exit_code == 1
    details = {k: v["details"] for k, v in gates_of(r).items()}
    assert details == {
        "max-gap": "final gap 0.125 is above the limit 0.1 (validation loss 0.375 vs training 0.25 at epoch 8)",
        "max-relative-gap": "relative final gap 0.5 (50%) is above the limit 0.4 (gap 0.125 over the final "
        "training loss 0.25)",
        "max-gap-at-best": "gap 0.125 at the recommended epoch 8 is within the limit 0.125 (validation loss 0.375"
        " vs training 0.25 at epoch 8)",
        "max-epochs-past-best": "wasted epochs 0 is within the limit 0 (training ran to epoch 8, the recommended "
        "epoch is 8)",
        "min-val[val_accuracy]": "best val_accuracy 0.8438 is below the limit 0.9 (at epoch 8, higher is better)",
        "max-val[loss]": "best val_loss 0.375 is within the limit 0.4 (at epoch 8, lower is better)",
    }
    assert gates_of(r)["max-relative-gap"]["limit"] == 0.4  # 40% is the fraction 0.4


def test_fail_on_both_sides():
    assert report_of(OVERFIT)["verdict"] == "overfitting"
    failed = check(OVERFIT, "--fail-on", "overfitting,unstable", "--format", "json")
    assert failed.exit_code == 1
    gate = gates_of(failed)["fail-on"]
    assert gate["value"] == "overfitting" and gate["limit"] == ["overfitting", "unstable"] and not gate["passed"]
    assert gate["details"].startswith(
        "verdict overfitting is one of the failing verdicts overfitting, unstable: Validation loss bottomed out"
    )
    passed = check(GOOD, "--fail-on", "overfitting", "--fail-on", "unstable", "--format", "json")
    assert passed.exit_code == 0
    assert gates_of(passed)["fail-on"]["details"].startswith(
        "verdict good_fit is not one of the failing verdicts overfitting, unstable: Training and validation"
    )


def test_fail_on_unknown_verdict_is_a_usage_error():
    r = check(OVERFIT, "--fail-on", "overfitting,overfit")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == f"Error: unknown verdict 'overfit' in fail-on; valid verdicts: {', '.join(VERDICTS)}\n"


@pytest.mark.parametrize("spelling", ["accuracy", "val_accuracy", "acc"])
def test_min_val_accepts_metric_or_column_name(spelling):
    best = 0.87  # overfit.csv: best val_accuracy, epoch 2
    at = check(OVERFIT, "--min-val", f"{spelling}={best}", "--format", "json")
    assert at.exit_code == 0
    assert gates_of(at)[f"min-val[{spelling}]"]["value"] == best
    over = check(OVERFIT, "--min-val", f"{spelling}=0.8701")
    assert over.exit_code == 1
    assert (
        f"min-val[{spelling}]: best val_accuracy 0.87 is below the limit 0.8701 (at epoch 2, higher is better)"
        in over.stdout
    )


def test_max_val_both_sides_and_repeatable():
    best = report_of(OVERFIT)["best_val"]
    ok = check(OVERFIT, "--max-val", f"val_loss={best!r}", "--max-val", "val_accuracy=0.9", "--format", "json")
    assert ok.exit_code == 0
    assert set(gates_of(ok)) == {"max-val[val_loss]", "max-val[val_accuracy]"}
    bad = check(OVERFIT, "--max-val", f"val_loss={best - 1e-9!r}")
    assert bad.exit_code == 1


def test_metric_the_run_lacks_is_not_applied_and_exits_2():
    r = check(OVERFIT, "--min-val", "val_f1=0.5", "--format", "json")
    assert r.exit_code == 2
    assert gates_of(r)["min-val[val_f1]"] == {
        "value": None,
        "limit": 0.5,
        "comparator": ">=",
        "passed": None,
        "status": "not applied",
        "details": "the run has no validation series named 'val_f1' (validation series: val_accuracy, val_loss)",
    }
    assert r.stderr == (
        f"Error: {OVERFIT}: min-val[val_f1] not applied: the run has no validation series named"
        " 'val_f1' (validation series: val_accuracy, val_loss)\n"
    )


def test_training_only_metric_is_not_a_validation_value(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("epoch,loss,val_loss,f1\n1,1.0,1.1,0.5\n2,0.8,0.9,0.6\n3,0.6,0.7,0.7\n4,0.5,0.6,0.8\n")
    r = check(str(path), "--min-val", "f1=0.1", "--format", "json")
    assert r.exit_code == 2
    assert gates_of(r)["min-val[f1]"]["details"] == (
        "the run has no validation series named 'f1' (validation series: val_loss)"
    )


def test_validation_series_without_a_training_partner(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("epoch,loss,val_loss,val_f1\n1,1.0,1.1,0.5\n2,0.8,0.9,0.75\n3,0.6,0.7,0.625\n4,0.5,0.6,0.5\n")
    r = check(str(path), "--min-val", "val_f1=0.75", "--format", "json")
    assert r.exit_code == 0
    assert (
        gates_of(r)["min-val[val_f1]"]["details"]
        == "best val_f1 0.75 meets the limit 0.75 (at epoch 2, higher is better)"
    )


@pytest.mark.parametrize("bad", ["val_accuracy", "=0.9", "val_accuracy=high", "val_accuracy=nan"])
def test_bad_metric_limit_is_a_usage_error(bad):
    r = check(OVERFIT, "--min-val", bad)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: --min-val")


def test_monitor_and_mode_pick_the_pair():
    r = check(OVERFIT, "--monitor", "accuracy", "--max-gap", "1", "--format", "json")
    assert r.exit_code == 0
    run = json.loads(r.stdout)["runs"][0]
    assert run["monitor"]["val"] == "val_accuracy" and run["monitor"]["mode"] == "max"
    assert "validation accuracy" in run["gates"]["max-gap"]["details"]


NO_VAL = (
    "no validation series (found only loss; a validation series is named val_*, valid_*, validation_*,"
    " eval_* or test_*)"
)


def test_run_that_cannot_be_diagnosed_is_not_applied_to_each_gate_with_the_reason(tmp_path):
    path = tmp_path / "train_only.csv"
    path.write_text("epoch,loss\n1,1.0\n2,0.8\n3,0.6\n")
    r = check(str(path), "--max-gap", "0.2", "--format", "json")
    assert r.exit_code == 2
    gate = gates_of(r)["max-gap"]
    assert (gate["status"], gate["passed"]) == ("not applied", None)
    assert gate["details"] == f"no final gap: {NO_VAL}"
    assert json.loads(r.stdout)["passed"] is False
    assert r.stderr == f"Error: {path}: {NO_VAL}\n"  # one line: the run's reason, not once more per gate


# ---------------------------------------------------------------- the baseline gate


def test_baseline_equal_to_itself_passes_with_zero_tolerance():
    r = check(OVERFIT, "--baseline", OVERFIT, "--format", "json")
    assert r.exit_code == 0
    gates = gates_of(r)
    assert set(gates) == {"baseline-gap", "baseline-best-val"}
    assert gates["baseline-gap"]["details"] == (
        "final gap 0.6948 is within the limit 0.6948 (baseline sample_runs/overfit.csv: 0.6948, tolerance 0)"
    )


def test_baseline_worse_gap_fails_beyond_the_tolerance(tmp_path):
    # the same run with a wider gap at the end: validation loss + 0.05 in the last epoch
    lines = (FIXTURES / "check" / "exact.csv").read_text().splitlines()
    last = lines[-1].split(",")
    last[2] = str(float(last[2]) + 0.0625)
    worse = tmp_path / "worse.csv"
    worse.write_text("\n".join(lines[:-1] + [",".join(last)]) + "\n")
    base = report_of(EXACT)["gap"]["final"]
    now = report_of(str(worse))["gap"]["final"]
    assert now - base == 0.0625
    failed = check(str(worse), "--baseline", EXACT, "--tolerance", "0.05", "--format", "json")
    assert failed.exit_code == 1
    assert gates_of(failed)["baseline-gap"] == {
        "value": 0.1875,
        "limit": 0.175,
        "comparator": "<=",
        "passed": False,
        "status": "fail",
        "details": f"final gap 0.1875 is above the limit 0.175 (baseline {EXACT}: 0.125, tolerance 0.05)",
    }
    ok = check(str(worse), "--baseline", EXACT, "--tolerance", "0.0625")
    assert ok.exit_code == 0
    # relative: 50% of the baseline's gap 0.125 is 0.0625
    assert check(str(worse), "--baseline", EXACT, "--tolerance", "50%").exit_code == 0
    assert check(str(worse), "--baseline", EXACT, "--tolerance", "49%").exit_code == 1


def test_baseline_worse_best_value_fails():
    r = check(OVERFIT, "--baseline", GOOD, "--tolerance", "5%", "--format", "json")
    assert r.exit_code == 1
    gate = gates_of(r)["baseline-best-val"]
    good = report_of(GOOD)
    assert gate["limit"] == pytest.approx(good["best_val"] * 1.05)
    assert not gate["passed"] and gate["details"].startswith(
        "best val_loss 0.4019 is above the limit 0.1667 (at epoch 13;"
    )
    # the other way round: the good run is better than the overfit baseline
    assert check(GOOD, "--baseline", OVERFIT).exit_code == 0


def test_baseline_higher_is_better_metric():
    r = check(OVERFIT, "--baseline", GOOD, "--monitor", "accuracy", "--format", "json")
    gate = gates_of(r)["baseline-best-val"]
    assert gate["limit"] == report_of_monitor(GOOD, "accuracy")["best_val"]
    assert ">= " in check(OVERFIT, "--baseline", GOOD, "--monitor", "accuracy").stdout


def report_of_monitor(path, monitor):
    return run_report(diagnose(path, monitor=monitor))


def test_baseline_that_cannot_be_read_exits_2():
    r = check(OVERFIT, "--baseline", "no/such.csv")
    assert r.exit_code == 2
    assert r.stderr == "Error: baseline no/such.csv: no such file\n"


def test_tolerance_without_baseline_is_a_usage_error():
    r = check(OVERFIT, "--max-gap", "1", "--tolerance", "0.1")
    assert r.exit_code == 2
    assert r.stderr == "Error: --tolerance needs --baseline (or baseline in the configuration)\n"


@pytest.mark.parametrize("bad", ["-0.1", "five", "5%%"])
def test_bad_tolerance(bad):
    r = check(OVERFIT, "--baseline", GOOD, "--tolerance", bad)
    assert r.exit_code == 2 and r.stderr.startswith("Error: --tolerance")


def test_baseline_with_another_monitored_metric_is_not_comparable(tmp_path):
    other = tmp_path / "acc_only.csv"
    other.write_text("epoch,accuracy,val_accuracy\n1,0.5,0.45\n2,0.6,0.55\n3,0.7,0.62\n4,0.8,0.7\n")
    r = check(OVERFIT, "--baseline", str(other), "--format", "json")
    assert r.exit_code == 2
    assert gates_of(r)["baseline-gap"]["status"] == "not applied"
    assert gates_of(r)["baseline-gap"]["details"] == (
        f"not comparable: this run monitors loss (min), the baseline {other} accuracy (max)"
    )


# ---------------------------------------------------------------- exit codes and outputs


def test_exit_0_when_every_run_passes():
    r = check(GOOD, "sample_runs/good_fit.json", "--max-gap", "0.05", "--fail-on", "overfitting")
    assert r.exit_code == 0
    assert r.stdout.rstrip().endswith("PASSED: 2 runs, 2 gates each")


def test_exit_1_when_a_gate_fails():
    r = check(GOOD, OVERFIT, "--max-gap", "0.05")
    assert r.exit_code == 1
    assert r.stdout.rstrip().endswith("FAILED: 1 of 2 runs failed 1 gate")


def test_exit_2_for_an_unreadable_input_wins_over_1(tmp_path):
    r = check(OVERFIT, "missing.csv", "--max-gap", "0.05", "--format", "json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)  # the report is still printed, for the inputs that could be read
    assert doc["passed"] is False
    assert doc["runs"][1] == {
        "source": "missing.csv",
        "ok": False,
        "error": "no such file",
        "gates": {},
        "passed": False,
    }
    assert r.stderr == "Error: missing.csv: no such file\n"
    text = check(OVERFIT, "missing.csv", "--max-gap", "0.05")
    assert text.exit_code == 2
    assert "missing.csv: error: no such file\n" in text.stdout
    assert text.stdout.endswith("ERROR: 1 of 2 runs could not be read; 1 of 2 runs failed 1 gate\n")


def test_no_gates_is_a_usage_error():
    r = check(OVERFIT)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: no gates set: give at least one of --max-gap, --max-relative-gap,")


def test_missing_files_argument_is_a_usage_error():
    r = runner.invoke(app, ["check", "--max-gap", "1"])
    assert r.exit_code == 2


def test_text_table():
    r = check(EXACT, "--max-gap", "0.1", "--fail-on", "unstable", "--min-val", "val_accuracy=0.8")
    assert r.exit_code == 1
    assert "\x1b[" not in r.stdout  # NO_COLOR and not a terminal
    assert r.stdout == (
        "run                             gate                   value            limit         result\n"
        "tests/fixtures/check/exact.csv  max-gap                0.125            <= 0.1        FAIL\n"
        "                                fail-on                still_improving  not unstable  pass\n"
        "                                min-val[val_accuracy]  0.8438           >= 0.8        pass\n"
        "\n"
        "tests/fixtures/check/exact.csv: max-gap: final gap 0.125 is above the limit 0.1 (validation loss 0.375 vs"
        " training 0.25 at epoch 8)\n"
        "\n"
        "FAILED: 1 of 1 run failed 1 gate\n"
    )


def test_json_is_the_contract_plus_gates():
    r = check(OVERFIT, GOOD, "--max-gap", "0.05", "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)  # nothing else on stdout
    plain = json.loads(runner.invoke(app, ["diagnose", OVERFIT, GOOD, "--format", "json"]).stdout)
    for mine, theirs in zip(doc["runs"], plain["runs"]):
        assert {k: mine[k] for k in theirs} == theirs  # every contract field, unchanged
        assert set(mine) - set(theirs) == {"gates", "passed"}
    assert doc["schema_version"] == 1 and doc["passed"] is False and doc["config"] is None
    assert [r_["passed"] for r_ in doc["runs"]] == [False, True]
    assert r.stderr == ""


def test_markdown_format():
    r = check(EXACT, "--max-gap", "0.1", "--format", "markdown")
    assert r.exit_code == 1
    assert r.stdout == (
        "### overfitdoc check: ❌ FAILED: 1 of 1 run failed 1 gate\n\n"
        "| run | gate | value | limit | result |\n|---|---|---|---|---|\n"
        "| `tests/fixtures/check/exact.csv` | max-gap | 0.125 | <= 0.1 | ❌ **fail**: final gap 0.125 is above the"
        " limit 0.1 (validation loss 0.375 vs training 0.25 at epoch 8) |\n"
    )


def test_directory_input_and_stdin(tmp_path):
    shutil.copy(FIXTURES / "check" / "exact.csv", tmp_path / "a.csv")
    r = check(str(tmp_path), "--max-gap", "0.2", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["runs"][0]["source"].endswith("a.csv")
    r = check("-", "--max-gap", "0.1", input=(FIXTURES / "check" / "exact.csv").read_text())
    assert r.exit_code == 1 and "-: max-gap: final gap 0.125" in r.stdout


def test_help_is_the_docstring_with_an_example():
    r = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "Example: overfitdoc check history.csv --max-gap 0.2 --fail-on overfitting,unstable" in r.stdout
    for option in (
        "--max-gap",
        "--max-relative-gap",
        "--max-gap-at-best",
        "--max-epochs-past-best",
        "--fail-on",
        "--min-val",
        "--max-val",
        "--baseline",
        "--tolerance",
        "--junit",
        "--config",
        "--no-config",
        "[tool.overfitdoc.check]",
    ):
        assert option in r.stdout


def test_max_nonfinite_gate_passes_and_fails_through_the_cli(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("epoch,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},{1.2 / (i + 1)}\n" for i in range(8)))
    bad = tmp_path / "bad.csv"
    bad.write_text(good.read_text().replace("3,0.25,0.3\n", "3,nan,nan\n"))
    assert "nan" in bad.read_text()
    assert check(str(good), "--max-nonfinite", "0").exit_code == 0
    res = check(str(bad), "--max-nonfinite", "0")
    assert res.exit_code == 1
    assert "max-nonfinite" in res.output
    assert check(str(bad), "--max-nonfinite", "-1").exit_code == 2
