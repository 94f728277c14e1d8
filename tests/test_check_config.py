"""Configuration of `overfitdoc check`: discovery (as ruff), --config, precedence of the
command line, and unknown or ill-typed keys (exit 2, naming the key)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from overfitdoc.check.config import KEYS, find_config, load_config, resolve_config
from overfitdoc.cli import app
from overfitdoc.errors import UsageError

from .conftest import FIXTURES

runner = CliRunner()
EXACT = FIXTURES / "check" / "exact.csv"  # final gap 0.125, best val_accuracy 0.84375


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with one history, as the current directory."""
    shutil.copy(EXACT, tmp_path / "run.csv")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args):
    return runner.invoke(app, ["check", *args], catch_exceptions=False)


def gates(result) -> dict:
    return json.loads(result.stdout)["runs"][0]["gates"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- discovery


def test_pyproject_in_the_current_directory(project):
    write(project / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    r = check("run.csv", "--format", "json")
    assert r.exit_code == 1
    assert gates(r)["max-gap"]["limit"] == 0.1
    assert json.loads(r.stdout)["config"] == "pyproject.toml"


def test_found_walking_up_and_shown_under_the_table(project, monkeypatch):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax-gap = 0.2\n")
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    r = check("../../run.csv")
    assert r.exit_code == 0
    assert r.stdout.rstrip().endswith("configuration: ../../pyproject.toml")


def test_pyproject_without_the_tool_table_is_passed_over(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    inner = project / "pkg"
    write(inner / "pyproject.toml", "[project]\nname = 'inner'\n[tool.ruff]\nline-length = 100\n")
    assert find_config(inner) == (project / "pyproject.toml").resolve()


def test_the_nearest_tool_table_wins_even_without_a_check_table(project):
    # ruff: the first pyproject.toml with [tool.ruff] is the configuration; the ones above are not read
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    inner = project / "pkg"
    write(inner / "pyproject.toml", "[tool.overfitdoc]\n")
    assert find_config(inner) == (inner / "pyproject.toml").resolve()
    assert load_config(inner / "pyproject.toml").values == {}


def test_overfitdoc_toml_wins_over_pyproject_in_the_same_folder(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    write(project / "overfitdoc.toml", "[check]\nmax_gap = 0.3\n")
    r = check("run.csv", "--format", "json")
    assert r.exit_code == 0 and gates(r)["max-gap"]["limit"] == 0.3


def test_no_configuration_anywhere(project):
    assert resolve_config(None, False, project).path is None
    r = check("run.csv")
    assert r.exit_code == 2 and r.stderr.startswith("Error: no gates set")


def test_no_config_ignores_the_files(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    r = check("run.csv", "--no-config", "--max-gap", "0.5")
    assert r.exit_code == 0
    assert "configuration:" not in r.stdout


# ---------------------------------------------------------------- --config


def test_config_option_with_a_pyproject(project):
    write(project / "ci" / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\n")
    r = check("run.csv", "--config", "ci/pyproject.toml", "--format", "json")
    assert r.exit_code == 1 and list(gates(r)) == ["max-gap"]


def test_config_option_with_a_standalone_file(project):
    write(project / "gates.toml", "[check]\nmin_val = {val_accuracy = 0.9}\nmax-gap = 0.2\n")
    r = check("run.csv", "--config", "gates.toml", "--format", "json")
    assert r.exit_code == 1
    assert list(gates(r)) == ["max-gap", "min-val[val_accuracy]"]
    assert gates(r)["min-val[val_accuracy]"]["passed"] is False


def test_config_option_file_without_the_table(project):
    write(project / "pyproject.toml", "[project]\nname = 'x'\n")
    r = check("run.csv", "--config", "pyproject.toml")
    assert r.exit_code == 2
    assert r.stderr == "Error: pyproject.toml has no [tool.overfitdoc.check] table\n"


def test_config_option_missing_file(project):
    r = check("run.csv", "--config", "nope.toml")
    assert r.exit_code == 2 and r.stderr == "Error: configuration file nope.toml does not exist\n"


def test_config_and_no_config_together(project):
    r = check("run.csv", "--config", "x.toml", "--no-config")
    assert r.exit_code == 2 and r.stderr == "Error: --config and --no-config cannot be used together\n"


# ---------------------------------------------------------------- precedence


def test_command_line_wins(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\nfail_on = ['overfitting']\n")
    r = check("run.csv", "--max-gap", "0.2", "--fail-on", "unstable", "--format", "json")
    assert r.exit_code == 0
    assert gates(r)["max-gap"]["limit"] == 0.2 and gates(r)["fail-on"]["limit"] == ["unstable"]


def test_metric_limits_merge_metric_by_metric(project):
    write(
        project / "pyproject.toml",
        "[tool.overfitdoc.check]\nmin_val = {val_accuracy = 0.9, accuracy = 0.5}\nmax_val = {val_loss = 0.1}\n",
    )
    r = check("run.csv", "--min-val", "val_accuracy=0.8", "--format", "json")
    assert {k: v["limit"] for k, v in gates(r).items()} == {
        "min-val[val_accuracy]": 0.8,
        "min-val[accuracy]": 0.5,
        "max-val[val_loss]": 0.1,
    }


def test_monitor_and_mode_from_config(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmonitor = 'accuracy'\nmax_gap = 0.1\n")
    r = check("run.csv", "--format", "json")
    run = json.loads(r.stdout)["runs"][0]
    assert run["monitor"]["val"] == "val_accuracy" and gates(r)["max-gap"]["value"] == 0.0625
    r = check("run.csv", "--monitor", "loss", "--format", "json")
    assert gates(r)["max-gap"]["value"] == 0.125


def test_paths_are_relative_to_the_config_file(project, monkeypatch):
    shutil.copy(EXACT, project / "baseline.csv")
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nbaseline = 'baseline.csv'\njunit = 'out/junit.xml'\n")
    (project / "out").mkdir()
    sub = project / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)
    r = check("../run.csv", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert gates(r)["baseline-gap"]["details"].endswith("(baseline ../baseline.csv: 0.125, tolerance 0)")
    assert (project / "out" / "junit.xml").is_file()


def test_tolerance_in_config_without_baseline_is_allowed(project):
    # the baseline may come from the command line in CI only
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\ntolerance = '5%'\nmax_gap = 0.2\n")
    assert check("run.csv").exit_code == 0
    r = check("run.csv", "--baseline", "run.csv", "--format", "json")
    assert gates(r)["baseline-gap"]["details"].endswith("tolerance 5%)")


# ---------------------------------------------------------------- errors


def test_unknown_key_is_named_with_a_suggestion(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gapp = 0.1\n")
    r = check("run.csv")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == (
        "Error: pyproject.toml: [tool.overfitdoc.check] unknown key 'max_gapp' (did you mean 'max_gap'?)\n"
    )


def test_unknown_key_without_a_close_match_lists_the_keys(project):
    write(project / "overfitdoc.toml", "[check]\ncolour = 'red'\n")
    r = check("run.csv")
    assert r.exit_code == 2
    assert r.stderr == (f"Error: overfitdoc.toml: [check] unknown key 'colour' (valid keys: {', '.join(KEYS)})\n")


def test_check_keys_at_the_top_of_overfitdoc_toml(project):
    write(project / "overfitdoc.toml", "max_gap = 0.1\n")
    r = check("run.csv")
    assert r.exit_code == 2
    assert r.stderr == (
        "Error: overfitdoc.toml: unknown key 'max_gap' in the top level; check settings go in [check]\n"
    )


def test_key_given_twice(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check]\nmax_gap = 0.1\nmax-gap = 0.2\n")
    r = check("run.csv")
    assert r.exit_code == 2 and "'max-gap' is set twice" in r.stderr


@pytest.mark.parametrize(
    "line,message",
    [
        ("max_gap = 'small'", "max_gap must be a number, not 'small'"),
        ("max_epochs_past_best = 2.5", "max_epochs_past_best must be a whole number, 0 or more, not 2.5"),
        ("fail_on = ['overfit']", "unknown verdict 'overfit' in fail-on; valid verdicts:"),
        ("fail_on = 3", "fail_on must be a list of verdicts"),
        ("min_val = 0.9", "min_val must be a table of metric = value"),
        ("min_val = {val_accuracy = 'high'}", "min_val val_accuracy: the limit must be a number, not 'high'"),
        ("mode = 'up'", "mode must be 'min' or 'max', not 'up'"),
        ("tolerance = '-5%'", "tolerance must not be negative"),
        ("max_relative_gap = 'half'", "max_relative_gap must be a number or a percentage like 5%, not 'half'"),
    ],
)
def test_ill_typed_values(project, line, message):
    write(project / "pyproject.toml", f"[tool.overfitdoc.check]\n{line}\n")
    r = check("run.csv")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and message in r.stderr, r.stderr


def test_invalid_toml(project):
    write(project / "pyproject.toml", "[tool.overfitdoc.check\nmax_gap = 0.1\n")
    r = check("run.csv")
    assert r.exit_code == 2 and "not valid TOML" in r.stderr


def test_values_are_checked_once_loaded():
    with pytest.raises(UsageError, match="does not exist"):
        load_config(Path("/nonexistent/pyproject.toml"))
