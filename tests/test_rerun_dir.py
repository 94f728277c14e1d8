"""A rerun's output directory read as a whole: each run once, summary.json skipped."""

import json
import shutil

from typer.testing import CliRunner

from overfitdoc.cli import app
from overfitdoc.readers import expand_inputs

from .conftest import ROOT


def test_rerun_output_dir_reads_each_run_once(tmp_path):
    for stem in ("baseline-seed0", "dropout-seed0"):
        shutil.copy(ROOT / "sample_runs" / "overfit.csv", tmp_path / f"{stem}.csv")
        shutil.copy(ROOT / "sample_runs" / "overfit.json", tmp_path / f"{stem}.json")
    (tmp_path / "summary.json").write_text(json.dumps({"schema_version": 1, "command": "rerun", "variants": []}))
    got = expand_inputs([str(tmp_path)])
    assert [p.rsplit("/", 1)[-1] for p in got] == ["baseline-seed0.csv", "dropout-seed0.csv"]
    res = CliRunner().invoke(app, ["diagnose", str(tmp_path), "--format", "json"])
    assert res.exit_code in (0, 1), res.output
