"""One exit-code policy for every command (overfitdoc.errors.exit_code): an input that cannot
be judged for what the command was asked (no validation series, no pair named by --monitor,
a gate's metric the run lacks) exits 2 with one line on stderr naming the file, in diagnose,
plot, check and rerun alike; 1 only when a gate that could be applied failed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from overfitdoc.cli import app
from overfitdoc.errors import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_INTERRUPTED, EXIT_OK, exit_code

runner = CliRunner()
OVERFIT = "sample_runs/overfit.csv"
GOOD = "sample_runs/good_fit.csv"
MAP = "metrics/mAP50-95(B)"
NO_VAL = (
    "no validation series (found only loss; a validation series is named val_*, valid_*, validation_*,"
    " eval_* or test_*)"
)
NO_MAP = f"the run has no validation series named '{MAP}' (validation series: val_accuracy, val_loss)"
NO_PAIR = "no paired series named 'bogus' (paired metrics: accuracy, loss)"


def cli(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)


def check(*args):
    return cli("check", "--no-config", *args)


@pytest.fixture
def train_only(tmp_path):
    path = tmp_path / "train_only.csv"
    path.write_text("epoch,loss\n0,1.0\n1,0.8\n2,0.7\n3,0.6\n4,0.5\n")
    return path


# ---------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    "counts, code",
    [
        ({}, EXIT_OK),
        ({"gates_failed": 3}, EXIT_GATE_FAILED),
        ({"errors": 1}, EXIT_BAD_INPUT),
        ({"undiagnosable": 1}, EXIT_BAD_INPUT),
        ({"undiagnosable": 1, "gates_failed": 2}, EXIT_BAD_INPUT),  # 2 wins over 1
        ({"errors": 1, "gates_failed": 2}, EXIT_BAD_INPUT),
        ({"errors": 1, "interrupted": True}, EXIT_INTERRUPTED),
        ({"errors": 1, "interrupted": True, "terminated": True}, 143),  # SIGTERM (rerun)
    ],
)
def test_exit_code(counts, code):
    assert exit_code(**counts) == code


# ---------------------------------------------------------------- no validation series


def test_diagnose_without_validation_series_exits_2(train_only):
    r = cli("diagnose", train_only, "--format", "json")
    assert r.exit_code == 2
    assert r.stderr == f"Error: {train_only}: {NO_VAL}\n"
    assert json.loads(r.stdout)["runs"][0]["verdict"] == "insufficient_data"  # still reported


def test_plot_without_validation_series_exits_2(train_only, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "curves.png"
    r = cli("plot", train_only, "-o", out)
    assert r.exit_code == 2
    assert r.stderr == f"Error: {train_only}: {NO_VAL}\n"
    assert out.exists()  # the figure is drawn and says why it cannot be judged


def test_check_without_validation_series_is_not_a_failed_gate(train_only):
    r = check(train_only, GOOD, "--max-gap", "0.2")
    assert r.exit_code == 2
    assert r.stderr == f"Error: {train_only}: {NO_VAL}\n"
    lines = r.stdout.splitlines()
    assert any(line.startswith(str(train_only)) and line.endswith("NOT APPLIED") for line in lines)
    assert any(line.startswith(GOOD) and line.endswith("pass") for line in lines)  # the other run is intact
    assert f"{train_only}: max-gap: not applied: no final gap: {NO_VAL}" in lines
    assert "FAIL" not in r.stdout
    assert lines[-1] == "ERROR: 1 of 2 runs could not be judged (1 gate not applied)"


def test_check_without_validation_series_exits_2_even_when_its_gates_apply(train_only):
    # the verdict insufficient_data can be gated on, but the run itself was not judged
    r = check(train_only, "--fail-on", "overfitting", "--format", "json")
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert doc["runs"][0]["gates"]["fail-on"]["status"] == "pass"
    assert doc["runs"][0]["passed"] is False and doc["passed"] is False
    text = check(train_only, "--fail-on", "overfitting")
    assert f"{train_only}: cannot be judged: {NO_VAL}" in text.stdout.splitlines()
    assert text.stdout.splitlines()[-1] == "ERROR: 1 of 1 run could not be judged"


def test_rerun_with_a_history_that_cannot_be_judged_exits_2_before_training(train_only, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    r = cli("rerun", "examples/binary_mlp.py", "--history", train_only, "--out", out)
    assert r.exit_code == 2
    assert r.stderr == f"Error: {train_only}: {NO_VAL}\n"
    assert not out.exists()  # nothing was trained


# ---------------------------------------------------------------- --monitor naming no pair


@pytest.mark.parametrize("command", ["diagnose", "check"])
def test_monitor_naming_no_pair_exits_2(command):
    extra = ["--max-gap", "0.2", "--no-config"] if command == "check" else []
    r = cli(command, OVERFIT, "--monitor", "bogus", *extra)
    assert r.exit_code == 2
    assert r.stderr == f"Error: {OVERFIT}: {NO_PAIR}\n"


def test_plot_monitor_naming_no_pair_exits_2(tmp_path):
    pytest.importorskip("matplotlib")
    r = cli("plot", OVERFIT, "--monitor", "bogus", "-o", tmp_path / "x.png")
    assert r.exit_code == 2
    assert r.stderr == f"Error: {OVERFIT}: {NO_PAIR}\n"


# ---------------------------------------------------------------- a gate's metric missing


def test_min_val_of_a_metric_the_log_lacks_exits_2_and_keeps_the_other_gates(tmp_path):
    junit = tmp_path / "junit.xml"
    r = check(OVERFIT, GOOD, "--min-val", f"{MAP}=0.3", "--max-gap", "0.1", "--junit", junit)
    assert r.exit_code == 2  # not 1, though max-gap failed on overfit.csv: 2 wins
    assert r.stderr == (
        f"Error: {OVERFIT}: min-val[{MAP}] not applied: {NO_MAP}\nError: {GOOD}: min-val[{MAP}] not applied: {NO_MAP}\n"
    )
    lines = r.stdout.splitlines()
    assert f"{OVERFIT}: min-val[{MAP}]: not applied: {NO_MAP}" in lines
    assert any(line.startswith(f"{OVERFIT}: max-gap: final gap 0.6948 is above the limit 0.1") for line in lines)
    assert lines[-1] == "ERROR: 2 of 2 runs could not be judged (2 gates not applied); 1 of 2 runs failed 1 gate"
    cases = {
        (c.get("classname"), c.get("name")): [ch.tag for ch in c] for c in ET.parse(junit).getroot().iter("testcase")
    }
    assert cases == {
        (OVERFIT, "max-gap"): ["failure"],
        (OVERFIT, f"min-val[{MAP}]"): ["error"],
        (GOOD, "max-gap"): ["system-out"],
        (GOOD, f"min-val[{MAP}]"): ["error"],
    }
    error = ET.parse(junit).getroot().find("testsuite/testcase/error")
    assert (error.get("type"), error.get("message")) == ("not applied", NO_MAP)


def test_a_gate_not_applied_in_json_and_markdown():
    r = check(GOOD, "--min-val", f"{MAP}=0.3", "--format", "json")
    assert r.exit_code == 2
    gate = json.loads(r.stdout)["runs"][0]["gates"][f"min-val[{MAP}]"]
    assert (gate["status"], gate["passed"], gate["value"]) == ("not applied", None, None)
    md = check(GOOD, "--min-val", f"{MAP}=0.3", "--format", "markdown").stdout
    assert md.startswith("### overfitdoc check: ❌ ERROR: 1 of 1 run could not be judged (1 gate not applied)\n")
    assert f"| ❌ **not applied**: {NO_MAP} |" in md and "fail" not in md


def test_github_annotation_for_a_gate_not_applied(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    r = check(GOOD, "--min-val", f"{MAP}=0.3")
    assert r.exit_code == 2
    assert r.stdout.splitlines()[-1] == (
        f"::error file={GOOD},title=overfitdoc min-val[metrics/mAP50-95(B)]::not applied: {NO_MAP}"
    )


def test_a_metric_the_log_has_is_judged_exit_1_when_it_fails():
    r = check(OVERFIT, "--min-val", "val_accuracy=0.99")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[-1] == "FAILED: 1 of 1 run failed 1 gate"
    assert r.stderr == ""
