"""Advice ranked by what a re-run measured (issue 18): ``diagnose H --rerun DIR``.

The fixture is a real re-run of examples/binary_mlp.py (tests/fixtures/rerun/binary_mlp/README.md):
early stopping lowered the kept val loss beyond the noise; no fix changed the best val loss
beyond it (p 0.07-0.38 with 3 seeds)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import overfitdoc
from overfitdoc.advice import advise, read_rerun
from overfitdoc.cli import app
from overfitdoc.errors import InputError

HERE = Path(__file__).resolve().parent
RERUN = HERE / "fixtures" / "rerun" / "binary_mlp"
HISTORY = RERUN / "baseline-seed0.csv"
SAMPLES = HERE.parent / "sample_runs"


@pytest.fixture(scope="module")
def summary() -> dict:
    return json.loads((RERUN / "summary.json").read_text())


def _variant(summary: dict, name: str) -> dict:
    return next(v for v in summary["variants"] if v["name"] == name)


def test_reads_each_single_fix_variant_once_on_the_best_or_the_kept_loss(summary):
    m = read_rerun(str(RERUN))
    assert set(m.effects) == {"early-stopping", "data-augmentation", "dropout", "smaller-model", "weight-decay"}
    for rule, e in m.effects.items():
        measure = "change" if rule == "early-stopping" else "change_best"  # stopping keeps the best epoch
        change = _variant(summary, rule)[measure]
        assert (e.mean, e.p_value, e.judgement, e.pairs) == (
            change["mean"],
            change["p_value"],
            change["judgement"],
            change["pairs"],
        )
    assert m.effects["early-stopping"].measure == "kept_val_loss"
    assert m.effects["dropout"].measure == "best_val_loss"


def test_a_fix_that_helped_ranks_above_those_that_did_not():
    d = overfitdoc.diagnose(str(HISTORY))
    plain = [a.id for a in advise(d)]
    ranked = advise(d, measured=read_rerun(str(RERUN)))
    ids = [a.id for a in ranked]
    assert ids[0] == "early-stopping"  # the only fix better beyond the noise
    # the others, measured within the noise on the best val loss, neither confirmed nor
    # refuted: they keep the history's order among the rules the re-run did not try
    assert ids[1:] == [i for i in plain if i != "early-stopping"]
    assert [a.rank for a in ranked] == list(range(1, len(ranked) + 1))


def test_a_fix_measured_worse_ranks_last(tmp_path):
    # the same re-run, with the harm of a fix read from the table the other way round (the
    # effects are the measured ones, negated: a fix that raised the best loss as much)
    data = json.loads((RERUN / "summary.json").read_text())
    for v in data["variants"]:
        if v["name"] == "smaller-model":
            v["change_best"] = {**v["change_best"], "mean": -v["change_best"]["mean"], "judgement": "worse"}
    (tmp_path / "summary.json").write_text(json.dumps(data))
    d = overfitdoc.diagnose(str(HISTORY))
    ids = [a.id for a in advise(d, measured=read_rerun(str(tmp_path)))]
    assert ids[-1] == "smaller-model" and ids[0] == "early-stopping"
    assert "worse beyond the noise" in advise(d, measured=read_rerun(str(tmp_path)))[-1].evidence


def test_evidence_and_json_carry_the_effect_and_its_p_value(summary):
    d = overfitdoc.diagnose(str(HISTORY))
    ranked = {a.id: a for a in advise(d, measured=read_rerun(str(RERUN)))}
    es = ranked["early-stopping"]
    kept = _variant(summary, "early-stopping")["change"]
    assert es.evidence.startswith(f"Re-run ({RERUN}, 3 seeds): kept val_loss ")
    assert "better beyond the noise" in es.evidence and "EarlyStopping(" in es.evidence
    assert es.to_dict()["measured"] == {
        "variant": "early-stopping",
        "measure": "kept_val_loss",
        "change": kept["mean"],
        "relative": kept["relative"],
        "p_value": kept["p_value"],
        "judgement": "better",
        "seeds": 3,
    }
    assert "best val_loss" in ranked["dropout"].evidence and "within the noise" in ranked["dropout"].evidence
    assert ranked["more-data"].to_dict()["measured"] is None  # not measured
    assert all(a.to_dict()["measured"] is None for a in advise(d))  # no --rerun: no measurement


def test_a_measured_improvement_is_advised_even_when_the_history_does_not_suggest_it():
    d = overfitdoc.diagnose(str(SAMPLES / "underfit.csv"))
    assert "early-stopping" not in [a.id for a in advise(d)]
    ranked = advise(d, measured=read_rerun(str(RERUN)))
    assert ranked[0].id == "early-stopping"
    assert ranked[0].evidence.startswith("Re-run (") and ranked[0].evidence.endswith("better beyond the noise.")


def test_the_summary_itself_may_be_named():
    assert read_rerun(str(RERUN / "summary.json")).effects.keys() == read_rerun(str(RERUN)).effects.keys()


def _bad_dirs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty"
    empty.mkdir()
    not_json = tmp_path / "not_json"
    not_json.mkdir()
    (not_json / "summary.json").write_text("{ not json")
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(SAMPLES / "overfit.json", other / "summary.json")  # JSON, not a rerun summary
    return {
        "missing": (tmp_path / "missing", "no such rerun output folder"),
        "no summary": (empty, "has no summary.json"),
        "not JSON": (not_json, "cannot read the rerun summary"),
        "not a rerun": (other, "not an overfitdoc rerun summary"),
    }


def test_bad_rerun_folders_raise_input_errors(tmp_path):
    for path, reason in _bad_dirs(tmp_path).values():
        with pytest.raises(InputError, match=reason):
            read_rerun(str(path))


def test_cli_bad_rerun_is_exit_2_with_one_line(tmp_path):
    runner = CliRunner()
    for path, reason in _bad_dirs(tmp_path).values():
        res = runner.invoke(app, ["diagnose", str(HISTORY), "--rerun", str(path)])
        assert res.exit_code == 2, res.output
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and reason in lines[0] and "Traceback" not in res.output
        assert res.stdout == ""  # nothing read, nothing printed


def test_cli_json_has_the_measured_fields():
    res = CliRunner().invoke(app, ["diagnose", str(HISTORY), "--rerun", str(RERUN), "--format", "json", "--top", "3"])
    assert res.exit_code == 0, res.output
    advice = json.loads(res.stdout)["runs"][0]["advice"]
    assert advice[0]["id"] == "early-stopping" and advice[0]["measured"]["judgement"] == "better"
    assert all("measured" in a for a in advice)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_not_read(tmp_path):
    fifo = tmp_path / "summary.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="named pipe"):
        read_rerun(str(fifo))
    with pytest.raises(InputError, match="has no summary.json"):
        read_rerun(str(tmp_path))  # a folder whose summary.json is not a file
