"""`overfitdoc diagnose` through the CLI: golden outputs, the JSON contract, exit codes and
one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from overfitdoc import __version__
from overfitdoc.cli import app

from .conftest import SAMPLES, check_golden

runner = CliRunner()
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.csv")) + sorted(p.name for p in SAMPLES.glob("*.json"))


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_json_golden(name):
    r = run("diagnose", f"sample_runs/{name}", "--format", "json")
    assert r.exit_code == 0, r.stderr
    check_golden(f"json/{name}.json", r.stdout)


def test_markdown_and_text_golden():
    r = run("diagnose", "sample_runs/overfit.csv", "--format", "markdown")
    assert r.exit_code == 0
    check_golden("markdown/overfit.csv.md", r.stdout)
    r = run("diagnose", "sample_runs/overfit.csv", "sample_runs/good_fit.json")
    assert r.exit_code == 0
    assert "\x1b[" not in r.stdout  # NO_COLOR and not a terminal: no escape codes
    check_golden("text/overfit_and_good_fit.txt", r.stdout)


CONTRACT_KEYS = {
    "source": str,
    "ok": bool,
    "format": str,
    "epoch_base": int,
    "epochs": int,
    "monitor": dict,
    "series": list,
    "best_epoch": int,
    "best_val": float,
    "recommended_epoch": int,
    "divergence_epoch": (int, type(None)),
    "divergence_range": (list, type(None)),
    "epochs_past_best": int,
    "gap": dict,
    "bias": str,
    "variance": str,
    "verdict": str,
    "confidence": (float, int),
    "summary": str,
    "advice": list,
}


def test_json_matches_the_contract():
    r = run("diagnose", "sample_runs/overfit.csv", "--format", "json")
    doc = json.loads(r.stdout)
    assert doc["schema_version"] == 1 and doc["tool"] == {"name": "overfitdoc", "version": __version__}
    (run_,) = doc["runs"]
    for key, typ in CONTRACT_KEYS.items():
        assert isinstance(run_[key], typ), key
    assert run_["source"] == "sample_runs/overfit.csv" and run_["format"] == "keras-csv" and run_["epoch_base"] == 0
    assert set(run_["monitor"]) == {"metric", "train", "val", "mode"}
    assert set(run_["gap"]) == {"final", "at_best", "relative_final", "trend"}
    assert (
        run_["verdict"] == "overfitting"
        and run_["divergence_range"][0] <= run_["divergence_epoch"] <= run_["divergence_range"][1]
    )
    assert run_["bias"] in ("low", "high", "unknown") and run_["variance"] in ("low", "high")
    assert 0 <= run_["confidence"] <= 1
    for a in run_["advice"]:
        assert {"id", "rank", "title", "evidence", "score"} <= set(a)


def test_json_is_strict_with_non_finite_values():
    r = run("diagnose", "sample_runs/unstable.csv", "--format", "json")

    def no_bare_constants(c):
        raise AssertionError(f"bare {c} in the JSON")

    run_ = json.loads(r.stdout, parse_constant=no_bare_constants)["runs"][0]
    assert run_["verdict"] == "unstable" and run_["nonfinite_epochs"][0] == 15


def test_several_files_and_one_bad(tmp_path):
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(b"\x00\x01\x02garbage")
    r = run("diagnose", "sample_runs/overfit.csv", str(bad), "sample_runs/good_fit.csv", "--format", "json")
    assert r.exit_code == 2
    runs = json.loads(r.stdout)["runs"]
    assert [x["ok"] for x in runs] == [True, False, True]
    assert runs[1] == {"source": str(bad), "ok": False, "error": "binary data, not a text training log"}
    assert r.stderr.strip() == f"Error: {bad}: binary data, not a text training log"


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data, not a text training log"),
        (b'{"loss": [1, 2', "malformed JSON"),
        (b"a,b\nx,y\n", "no reader recognised the content; supported formats:"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, content, reason):
    p = tmp_path / "h.csv"
    p.write_bytes(content)
    r = run("diagnose", str(p))
    assert r.exit_code == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {p}: ") and reason in lines[0]
    assert "Traceback" not in r.stderr


def test_missing_file_and_directory(tmp_path):
    r = run("diagnose", str(tmp_path / "missing.csv"))
    assert r.exit_code == 2 and r.stderr.strip() == f"Error: {tmp_path / 'missing.csv'}: no such file"
    r = run("diagnose", str(tmp_path))
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_no_validation_series_is_reported_and_exits_2(tmp_path):
    p = tmp_path / "gan.json"
    p.write_text('{"G_loss": [3, 2, 1, 1], "D_loss": [1, 2, 3, 3]}')
    r = run("diagnose", str(p), "--format", "json")
    assert r.exit_code == 2
    run_ = json.loads(r.stdout)["runs"][0]
    assert run_["verdict"] == "insufficient_data" and "no validation series" in run_["missing"]
    assert r.stderr.strip().startswith(f"Error: {p}: no validation series")


def test_debug_shows_a_traceback(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes(b"")
    r = run("diagnose", str(p), "--debug")
    assert r.exit_code == 2 and "Traceback" in r.stderr


def test_internal_error_exits_3(monkeypatch, capsys):
    import overfitdoc.api as api
    from overfitdoc.cli import main

    def boom(*a, **k):
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(api, "_diagnose", boom)
    monkeypatch.setattr(sys, "argv", ["overfitdoc", "diagnose", "sample_runs/overfit.csv"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 3
    err = capsys.readouterr().err
    assert err.startswith("Internal error in overfitdoc: ZeroDivisionError: simulated bug") and "Traceback" not in err


def test_standard_input():
    data = (SAMPLES / "overfit.csv").read_text()
    r = run("diagnose", "-", "--format", "json", input=data)
    assert r.exit_code == 0 and json.loads(r.stdout)["runs"][0]["source"] == "-"


def test_monitor_and_mode_options():
    r = run("diagnose", "sample_runs/overfit.csv", "--format", "json", "--monitor", "accuracy")
    mon = json.loads(r.stdout)["runs"][0]["monitor"]
    assert mon == {"metric": "accuracy", "train": "accuracy", "val": "val_accuracy", "mode": "max"}
    r = run("diagnose", "sample_runs/overfit.csv", "--format", "json", "--monitor", "nope")
    assert r.exit_code == 2 and "no paired series named 'nope'" in r.stderr


def test_output_file_written_atomically(tmp_path):
    out = tmp_path / "report.md"
    r = run("diagnose", "sample_runs/overfit.csv", "--format", "markdown", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text().startswith("### overfitdoc: `sample_runs/overfit.csv`")
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary left behind
    r = run("diagnose", "sample_runs/overfit.csv", "-o", str(tmp_path / "no" / "such" / "dir.txt"))
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_version_and_help():
    assert run("--version").stdout == f"overfitdoc {__version__}\n"
    r = run("--help")
    assert r.exit_code == 0 and "diagnose" in r.stdout
    for command in ("diagnose", "formats"):
        r = run(command, "--help")
        assert r.exit_code == 0 and "Example:" in r.stdout


def test_python_dash_m_and_no_heavy_imports():
    code = (
        "import sys, runpy; sys.argv=['overfitdoc','diagnose','sample_runs/overfit.csv','--format','json'];"
        "import io, contextlib\n"
        "buf = io.StringIO()\n"
        "try:\n"
        "    with contextlib.redirect_stdout(buf): runpy.run_module('overfitdoc', run_name='__main__')\n"
        "except SystemExit as e: assert e.code in (0, None), e.code\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "print('ok', len(buf.getvalue()) > 100)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok True"


def test_ctrl_c_exits_130_not_1(monkeypatch, capsys):
    """Exit 1 means a failed gate; an interrupt must never look like one."""
    import overfitdoc.api as api
    from overfitdoc.cli import main

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "_diagnose", interrupted)
    monkeypatch.setattr(sys, "argv", ["overfitdoc", "diagnose", "sample_runs/overfit.csv"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 130


@pytest.mark.parametrize(
    "rows, first_bad, finite",
    [
        ("0,nan,nan\n", 0, 0),  # TerminateOnNaN after the first epoch
        ("0,0.91,0.95\n1,inf,nan\n2,nan,nan\n", 1, 1),
    ],
)
def test_run_that_diverged_before_three_epochs_is_unstable_not_unreadable(tmp_path, rows, first_bad, finite):
    f = tmp_path / "diverged.csv"
    f.write_text("epoch,loss,val_loss\n" + rows)
    r = run("diagnose", str(f), "--format", "json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)["runs"][0]
    assert rep["verdict"] == "unstable" and rep["missing"] is None
    assert rep["nonfinite_epochs"][0] == first_bad
    assert f"at epoch {first_bad}" in rep["summary"] and f"{finite} finite" in rep["summary"]
    assert [a["id"] for a in rep["advice"]][:2] == ["lower-lr", "gradient-clipping"]
    text = run("diagnose", str(f)).stdout
    assert "UNSTABLE" in text and "Lower the learning rate" in text


def test_text_reports_carry_no_trailing_spaces():
    from overfitdoc.commands.common import TrimmedLines

    buf = io.StringIO()
    out = TrimmedLines(buf)
    out.write("a table row   \x1b[0m\nwrapped   \nhalf a li")
    assert buf.getvalue() == "a table row\x1b[0m\nwrapped\n"  # the partial line waits
    out.write("ne  \n")
    out.flush()
    assert buf.getvalue().endswith("wrapped\nhalf a line\n")
    r = runner.invoke(app, ["diagnose", str(SAMPLES / "overfit.csv"), str(SAMPLES / "good_fit.csv")])
    assert r.exit_code == 0 and r.stdout.count("\n") > 40
    assert not [line for line in r.stdout.splitlines() if line != line.rstrip()]
