"""detectron2 ``metrics.json`` (JSON Lines despite its extension), read from the real file r052
(tests/fixtures/realworld/SOURCES.md names its source): a train-only run with a restart appended."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from overfitdoc.cli import app
from overfitdoc.readers import load_history

from .conftest import FIXTURES

R052 = FIXTURES / "realworld" / "r052_detectron2_jsonl_trainonly.json"


def test_real_metrics_json_is_read_by_iteration_without_the_bookkeeping():
    h = load_history(R052)
    assert h.format == "detectron2-json" and h.unit == "step"
    records = [json.loads(line) for line in R052.read_text(encoding="utf-8").splitlines()]
    iterations = [r["iteration"] for r in records]
    assert iterations.count(19) == 2 and list(h.index) == sorted(set(iterations))
    # the restart's second iteration 19 wins, as the later row
    assert h.columns["total_loss"][0] == [r for r in records if r["iteration"] == 19][-1]["total_loss"]
    names = list(h.columns)
    assert names[:6] == ["total_loss", "loss_box_reg", "loss_cls", "loss_mask", "loss_rpn_cls", "loss_rpn_loc"]
    assert not {
        "data_time",
        "eta_seconds",
        "time",
        "rank_data_time",
        "rpn/num_pos_anchors",
        "roi_head/num_fg_samples",
    } & set(names)
    assert h.pairs == ()
    assert any(n.startswith("detectron2 logs no validation loss by default") for n in h.notes)


def test_real_metrics_json_exits_2_naming_the_losses_it_found():
    result = CliRunner().invoke(app, ["diagnose", str(R052), "--format", "json"])
    assert result.exit_code == 2
    run = json.loads(result.stdout)["runs"][0]
    assert run["format"] == "detectron2-json" and run["verdict"] == "insufficient_data"
    assert run["missing"].startswith("no validation series (found only total_loss, loss_box_reg, loss_cls")


def test_a_validation_loss_hook_is_paired_with_total_loss(tmp_path):
    # r052's lines with the key a validation-loss hook adds (storage.put_scalars(validation_loss=...))
    # at every third logging point: detectron2 does not install here to write one
    lines = [json.loads(line) for line in R052.read_text(encoding="utf-8").splitlines()]
    for i, r in enumerate(lines):
        if i % 3 == 2:
            r["validation_loss"] = round(r["total_loss"] * 1.1, 4)
    f = tmp_path / "metrics.json"
    f.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    h = load_history(f)
    assert [(p.train, p.val, p.mode) for p in h.pairs] == [("total_loss", "validation_loss", "min")]
    assert h.notes == ("1 repeated steps (training resumed into the same file): the later rows win",)
    idx, train, val = h.aligned(h.monitor())
    with_val = [r for r in lines if "validation_loss" in r]
    assert list(idx) == [r["iteration"] for r in with_val]
    assert list(val) == [r["validation_loss"] for r in with_val]
    assert np.isfinite(train).all()


@pytest.mark.parametrize(
    "content",
    [
        '{"epoch": 0, "train_loss": 1.0, "test_loss": 1.1}\n{"epoch": 1, "train_loss": 0.9, "test_loss": 1.0}\n',
        '{"iteration": 1, "loss": 1.0, "val_loss": 1.1}\n{"iteration": 2, "loss": 0.9, "val_loss": 1.0}\n',
    ],
)
def test_other_json_lines_are_left_to_the_jsonl_reader(tmp_path, content):
    f = tmp_path / "log.txt"
    f.write_text(content, encoding="utf-8")
    assert load_history(f).format == "jsonl"
