"""Hugging Face Trainer and Ultralytics fixes: chosen from the log's format or --framework,
checked statically (they parse; every TrainingArguments field and every model.train argument
exists in the package versions named in tests/fixtures/frameworks/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from typer.testing import CliRunner

import overfitdoc
from overfitdoc.advice import advise, rules
from overfitdoc.advice.frameworks import TABLES
from overfitdoc.cli import app

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "realworld"


def _names(name):
    lines = (HERE / "fixtures" / "frameworks" / name).read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


HF_FIELDS = _names("transformers-TrainingArguments.txt")
YOLO_KEYS = _names("ultralytics-default-cfg.txt")
EARLY_STOPPING_ARGS = {"early_stopping_patience", "early_stopping_threshold"}


def _calls(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if called == name:
                yield node


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
@pytest.mark.parametrize("framework", ["hf", "ultralytics"])
def test_framework_snippets_parse_and_name_real_arguments(rule, framework):
    code = rule.fix_for(overfitdoc.advice.Context(framework=framework))[framework]
    tree = ast.parse(code)
    if rule.id not in TABLES[framework]:
        assert code.startswith("# overfitdoc has no ") and "Keras" not in code
        return
    if framework == "hf":
        for call in _calls(tree, "TrainingArguments"):
            assert {k.arg for k in call.keywords} <= HF_FIELDS, rule.id
        for call in _calls(tree, "EarlyStoppingCallback"):
            assert {k.arg for k in call.keywords} <= EARLY_STOPPING_ARGS
    else:
        calls = list(_calls(tree, "train"))
        assert calls, rule.id
        for call in calls:
            assert {k.arg for k in call.keywords} <= YOLO_KEYS, rule.id


def test_the_log_format_picks_the_framework():
    d = overfitdoc.diagnose(str(REAL / "r032_hf_trainer_state_crlf.json"))
    advice = advise(d)
    assert all(list(a.fix) == ["hf"] for a in advice)
    stop = next(a for a in advice if a.id == "early-stopping")
    assert "EarlyStoppingCallback" in stop.fix["hf"]
    d = overfitdoc.diagnose(str(REAL / "r046_yolo_det_v11.csv"))
    for a in advise(d):
        assert list(a.fix) == ["ultralytics"]
        assert "keras" not in a.fix["ultralytics"] and "sparse_categorical" not in a.fix["ultralytics"]
    assert {"dropout", "batch-norm", "feature-engineering"}.isdisjoint(a.id for a in advise(d))


def test_cli_accepts_framework_hf_and_ultralytics():
    runner = CliRunner()
    for fw, name in (("hf", "Hugging Face Trainer"), ("ultralytics", "Ultralytics")):
        r = runner.invoke(app, ["diagnose", "sample_runs/overfit.csv", "--framework", fw], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        assert f"Fix for #1 in {name}:" in r.stdout
