"""The CI outputs of `overfitdoc check`: JUnit XML (parsed back with ElementTree) and GitHub
Actions annotations and step summary (only with GITHUB_ACTIONS=true)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from overfitdoc.check.core import Outcome, RunCheck, report_with_gates
from overfitdoc.check.gates import AT_MOST, GateResult
from overfitdoc.cli import app
from overfitdoc.render.github import escape_data, escape_property, workflow_commands
from overfitdoc.render.junit import render_junit

runner = CliRunner()
EXACT = "tests/fixtures/check/exact.csv"
OVERFIT = "sample_runs/overfit.csv"
GOOD = "sample_runs/good_fit.csv"
MAX_GAP_DETAILS = "final gap 0.125 is above the limit 0.1 (validation loss 0.375 vs training 0.25 at epoch 8)"


def check(*args):
    return runner.invoke(app, ["check", "--no-config", *args], catch_exceptions=False)


# ---------------------------------------------------------------- JUnit


def test_junit_one_testcase_per_run_and_gate(tmp_path):
    path = tmp_path / "junit.xml"
    r = check(EXACT, GOOD, "missing.csv", "--max-gap", "0.1", "--fail-on", "unstable", "--junit", str(path))
    assert r.exit_code == 2
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors")} == {"tests": "6", "failures": "1", "errors": "2"}
    cases = [(c.get("classname"), c.get("name"), [ch.tag for ch in c]) for c in root.iter("testcase")]
    assert cases == [
        (EXACT, "max-gap", ["failure"]),
        (EXACT, "fail-on", ["system-out"]),
        (GOOD, "max-gap", ["system-out"]),
        (GOOD, "fail-on", ["system-out"]),
        ("missing.csv", "max-gap", ["error"]),
        ("missing.csv", "fail-on", ["error"]),
    ]
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == MAX_GAP_DETAILS and failure.text == MAX_GAP_DETAILS
    assert failure.get("type") == "max-gap"
    error = root.find("testsuite[@name='missing.csv']/testcase/error")
    assert error.get("message") == "no such file" and error.text == "missing.csv: no such file"
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        (EXACT, "2", "1", "0"),
        (GOOD, "2", "0", "0"),
        ("missing.csv", "2", "0", "2"),
    ]
    assert path.read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert not [p for p in tmp_path.iterdir() if p.name != "junit.xml"]  # atomic: no temporary left


def test_junit_all_passing(tmp_path):
    path = tmp_path / "junit.xml"
    r = check(GOOD, "--max-gap", "0.5", "--junit", str(path))
    assert r.exit_code == 0
    root = ET.parse(path).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "0")


def test_junit_escapes_what_xml_cannot_hold():
    result = GateResult('min-val[a<b&"c"]', 2.0, 1.0, AT_MOST, False, 'odd \x00 text <with> & "quotes"')
    outcome = Outcome((RunCheck("weird <name>.csv", (result,)),), (result.gate,))
    root = ET.fromstring(render_junit(report_with_gates(outcome)).split("\n", 1)[1])
    case = root.find("testsuite/testcase")
    assert case.get("classname") == "weird <name>.csv" and case.get("name") == 'min-val[a<b&"c"]'
    assert case.find("failure").get("message") == 'odd \ufffd text <with> & "quotes"'


def test_junit_into_a_missing_folder_is_a_usage_error(tmp_path):
    r = check(GOOD, "--max-gap", "0.5", "--junit", str(tmp_path / "no" / "junit.xml"))
    assert r.exit_code == 2
    assert r.stderr == f"Error: cannot write {tmp_path / 'no' / 'junit.xml'}: folder {tmp_path / 'no'} does not exist\n"


# ---------------------------------------------------------------- GitHub Actions


@pytest.fixture
def github(monkeypatch, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_github_annotations_and_summary(github):
    r = check(EXACT, GOOD, "--max-gap", "0.1")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[-1] == f"::error file={EXACT},title=overfitdoc max-gap::{MAX_GAP_DETAILS}"
    assert sum(line.startswith("::") for line in lines) == 1  # one failed gate, one annotation
    assert github.read_text(encoding="utf-8") == (
        "# earlier step\n"  # appended, not overwritten
        "### overfitdoc check: ❌ FAILED: 1 of 2 runs failed 1 gate\n\n"
        "| run | gate | value | limit | result |\n|---|---|---|---|---|\n"
        f"| `{EXACT}` | max-gap | 0.125 | <= 0.1 | ❌ **fail**: {MAX_GAP_DETAILS} |\n"
        f"| `{GOOD}` | max-gap | 0.007766 | <= 0.1 | ✅ pass |\n\n"
    )


def test_github_annotation_for_an_unreadable_input(github):
    r = check("missing.csv", "--max-gap", "0.1")
    assert r.exit_code == 2
    assert (
        r.stdout.splitlines()[-1] == "::error file=missing.csv,title=overfitdoc::cannot read missing.csv: no such file"
    )
    assert "❌ error: no such file" in github.read_text(encoding="utf-8")


def test_github_with_json_keeps_stdout_json(github):
    r = check(EXACT, "--max-gap", "0.1", "--format", "json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)["passed"] is False  # nothing but the JSON on stdout
    assert r.stderr == f"::error file={EXACT},title=overfitdoc max-gap::{MAX_GAP_DETAILS}\n"


def test_github_passing_run_has_no_annotation(github):
    r = check(GOOD, "--max-gap", "0.5")
    assert r.exit_code == 0 and "::error" not in r.stdout
    assert "✅ PASSED: 1 run, 1 gate each" in github.read_text(encoding="utf-8")


def test_github_summary_path_that_cannot_be_written_warns(github, monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no" / "summary.md"))
    r = check(EXACT, "--max-gap", "0.1")
    assert r.exit_code == 1  # the gate's result, not a summary problem, decides the exit code
    assert r.stderr.startswith(f"Warning: cannot append the step summary to {tmp_path / 'no' / 'summary.md'}")


@pytest.mark.parametrize("value", ["false", "", "1"])
def test_nothing_of_the_kind_outside_github(monkeypatch, tmp_path, value):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", value)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    r = check(EXACT, "--max-gap", "0.1")
    assert r.exit_code == 1 and "::error" not in r.stdout + r.stderr
    assert not summary.exists()


def test_workflow_command_escaping():
    assert escape_data("50% over\r\nnext: a, b") == "50%25 over%0D%0Anext: a, b"
    assert escape_property("runs/a:b,c%.csv") == "runs/a%3Ab%2Cc%25.csv"
    result = GateResult("max-gap", 1.0, 0.5, AT_MOST, False, "gap 100%\nworse")
    outcome = Outcome((RunCheck("dir,1/run:2.csv", (result,)),), ("max-gap",))
    assert workflow_commands(report_with_gates(outcome)) == [
        "::error file=dir%2C1/run%3A2.csv,title=overfitdoc max-gap::gap 100%25%0Aworse"
    ]


# ---------------------------------------------------------------- every output from the JSON report


def test_every_output_renders_from_the_json_report(tmp_path):
    """The table, the markdown, JUnit and the annotations read only the report `--format json`
    prints: rendered from that JSON, parsed back, they are what the command writes."""
    from io import StringIO

    from overfitdoc.commands.common import stdout_console
    from overfitdoc.render.check_markdown import render_markdown
    from overfitdoc.render.check_table import print_table

    args = (EXACT, GOOD, "missing.csv", "--max-gap", "0.1", "--fail-on", "unstable")
    rep = json.loads(check(*args, "--format", "json").stdout)
    assert rep["gates"] == ["max-gap", "fail-on"]
    assert rep["runs"][0]["gates"]["max-gap"]["comparator"] == "<="
    assert render_markdown(rep) == check(*args, "--format", "markdown").stdout
    table = StringIO()
    print_table(rep, stdout_console(file=table))
    assert table.getvalue() == check(*args).stdout
    path = tmp_path / "junit.xml"
    check(*args, "--junit", str(path))
    assert render_junit(rep) == path.read_text(encoding="utf-8")
    assert workflow_commands(rep) == [
        f"::error file={EXACT},title=overfitdoc max-gap::{MAX_GAP_DETAILS}",
        "::error file=missing.csv,title=overfitdoc::cannot read missing.csv: no such file",
    ]
