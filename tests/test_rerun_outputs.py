"""What `overfitdoc rerun` leaves in --out: each run's PyTorch JSON history, rewritten as it
trains (so an interruption keeps the finished epochs), summary.json (the result dict, also
when interrupted) and compare.png (every variant's mean validation curve over its seeds, in a
min-max band)."""

from __future__ import annotations

import json
import sys

import pytest

pytest.importorskip("torch")

from overfitdoc import diagnose, load_history  # noqa: E402
from overfitdoc.rerun import runner as runner_mod  # noqa: E402

from .test_rerun import TINY, cli, run, spec  # noqa: E402


def test_json_history_is_written_every_epoch_and_read_by_overfitdoc(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_mod, "HISTORY_WRITE_INTERVAL", 0.0)  # every epoch, however fast
    out = tmp_path / "out"
    seen = []

    def look(unit, epoch, logs):
        if unit.variant.name == "baseline":  # the epoch is on disk before the callback runs
            seen.append(len(json.loads((out / "baseline-seed0.json").read_text())))

    res = run(tmp_path, "weight-decay", epochs=4, on_epoch=look)
    assert seen == [1, 2, 3, 4]
    records = json.loads((out / "baseline-seed0.json").read_text())
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert set(records[0]) == {"epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "learning_rate"}
    for v in ("baseline", "weight-decay"):
        h = load_history(str(out / f"{v}-seed0.json"))
        assert h.format == "pytorch-json" and h.epoch_base == 1 and len(h) == 4
        assert {p.metric for p in h.pairs} == {"loss", "accuracy"}
        assert diagnose(str(out / f"{v}-seed0.json")).verdict == diagnose(str(out / f"{v}-seed0.csv")).verdict
    run_dict = res.to_dict()["variants"][1]["runs"][0]
    assert run_dict["history"] == str(out / "weight-decay-seed0.json")
    assert run_dict["history_csv"] == str(out / "weight-decay-seed0.csv")


def test_fast_epochs_write_the_json_at_most_every_interval_and_at_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_mod, "HISTORY_WRITE_INTERVAL", 3600.0)
    out = tmp_path / "out"
    seen = []

    def look(unit, epoch, logs):
        seen.append(len(json.loads((out / "baseline-seed0.json").read_text())))

    run(tmp_path, "none", epochs=3, on_epoch=look)
    assert seen == [1, 1, 1]  # the first epoch at once, then not again within the interval
    assert len(load_history(str(out / "baseline-seed0.json"))) == 3  # the end always


def test_interruption_keeps_the_json_histories_and_the_summary(tmp_path):
    def interrupt(unit, epoch, logs):
        if unit.variant.name == "dropout" and epoch == 2:
            raise KeyboardInterrupt

    res = run(tmp_path, "weight-decay,dropout,swa", epochs=4, jobs=1, on_epoch=interrupt, plot=True)
    out = tmp_path / "out"
    assert len(load_history(str(out / "baseline-seed0.json"))) == 4
    assert len(load_history(str(out / "dropout-seed0.json"))) == 2  # the epochs it finished
    assert not (out / "swa-seed0.json").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary == res.to_dict() and summary["interrupted"] is True
    assert [v["name"] for v in summary["variants"]] == ["baseline", "weight-decay", "dropout", "swa"]
    assert not (out / "compare.png").exists()  # an interrupted re-run draws nothing
    assert summary["outputs"]["compare_plot"] is None and "interrupted" in summary["outputs"]["compare_plot_note"]


def test_summary_and_comparison_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "o"
    r = cli(
        spec(tmp_path),
        "--fixes",
        "weight-decay,dropout",
        "--seeds",
        "2",
        "--epochs",
        "3",
        "--out",
        str(out),
        "--device",
        "cpu",
    )
    assert r.exit_code == 0, r.output
    assert f"Comparison plot: {out / 'compare.png'}" in r.stdout
    assert f"Summary: {out / 'summary.json'}" in r.stdout
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"] == "rerun" and summary["interrupted"] is False
    assert [v["name"] for v in summary["variants"]] == ["baseline", "weight-decay", "dropout"]
    assert all(len(v["runs"]) == 2 and v["change"] is not None for v in summary["variants"][1:])
    assert summary["outputs"] == {
        "summary": str(out / "summary.json"),
        "compare_plot": str(out / "compare.png"),
        "compare_plot_note": None,
    }


def test_a_broken_matplotlib_skips_the_plot_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # a broken installation (it is a requirement)
    res = run(tmp_path, "none", TINY, epochs=2, plot=True)
    out = tmp_path / "out"
    assert not (out / "compare.png").exists() and (out / "summary.json").exists()
    outputs = res.to_dict()["outputs"]
    assert (
        outputs["compare_plot"] is None
        and "matplotlib, one of overfitdoc's requirements, cannot be imported" in outputs["compare_plot_note"]
    )
    from rich.console import Console

    from overfitdoc.rerun.render import render

    con = Console(width=120, record=True, color_system=None)
    con.print(render(res.to_dict()))
    assert "note: comparison plot not drawn: matplotlib, one of overfitdoc's" in con.export_text()


def test_without_out_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(tmp_path, "none", epochs=1, out_dir=None, plot=True)
    assert "outputs" not in res.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.py"]


def test_diagnose_reads_the_out_directory_and_never_its_summary(tmp_path):
    """README: diagnose a rerun's --out folder. Its summary.json (and a copy under any name)
    is overfitdoc's own output, known by its content: never read as a log."""
    import shutil

    from typer.testing import CliRunner

    from overfitdoc.cli import app

    run(tmp_path, "weight-decay", epochs=3)
    out = tmp_path / "out"
    shutil.copy(out / "summary.json", out / "results.json")
    r = CliRunner().invoke(app, ["diagnose", str(out), "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    names = sorted(run["source"].rsplit("/", 1)[-1] for run in json.loads(r.stdout)["runs"])
    assert names == ["baseline-seed0.csv", "weight-decay-seed0.csv"]
    r = CliRunner().invoke(app, ["diagnose", str(out / "summary.json")], catch_exceptions=False)
    assert r.exit_code == 2
    assert "the summary of an overfitdoc rerun (overfitdoc's own output), not a training log" in r.stderr


def test_a_read_only_out_folder_is_exit_2_before_any_training(tmp_path, monkeypatch):
    import errno
    import os
    import tempfile

    out = tmp_path / "ro"
    out.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and os.path.abspath(dir) == str(out):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    trained = []
    monkeypatch.setattr(runner_mod, "execute", lambda *a, **k: trained.append(1))
    r = cli(spec(tmp_path), "--fixes", "weight-decay", "--epochs", "2", "--out", str(out), "--device", "cpu")
    assert r.exit_code == 2
    assert r.stderr == f"Error: --out {out}: Permission denied\n"
    assert trained == [] and os.listdir(out) == []


def test_epochs_are_numbered_from_1_everywhere_as_diagnose_numbers_them(tmp_path):
    """Table, notes, summary.json, the JSON and the CSV history all count epochs from 1, and
    `diagnose` of either history reports the same best epoch as the re-run does."""
    from .test_rerun import OVERFITS

    out = tmp_path / "o"
    r = cli(spec(tmp_path, OVERFITS), "--fixes", "early-stopping", "--seeds", "1", "--out", str(out), "--device", "cpu")
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    base, es = summary["variants"][0], summary["variants"][1]
    rows = json.loads((out / "baseline-seed0.json").read_text())
    assert rows[0]["epoch"] == 1 and rows[-1]["epoch"] == len(rows) == 30
    csv_lines = (out / "baseline-seed0.csv").read_text().splitlines()
    assert csv_lines[1].split(",")[0] == "1" and csv_lines[-1].split(",")[0] == "30"
    vals = [row["val_loss"] for row in rows]
    best = vals.index(min(vals)) + 1  # 1-based
    run0 = base["runs"][0]
    for path in (out / "baseline-seed0.json", out / "baseline-seed0.csv"):
        d = diagnose(str(path))
        assert d.epoch_base == 1 and d.best_epoch == best == run0["best_epoch"]
        assert d.summary == run0["summary"]  # the sentence (with its epochs) the re-run reports
    assert run0["kept_epoch"] == 30 and base["best_epoch"]["min"] == best
    row = next(line for line in r.stdout.splitlines() if line.startswith("baseline "))
    assert f"({best})" in row  # the table's best (epoch)
    es_rows = json.loads((out / "early-stopping-seed0.json").read_text())
    es_vals = [row["val_loss"] for row in es_rows]
    es_best = es_vals.index(min(es_vals)) + 1
    assert es["runs"][0]["kept_epoch"] == es_best
    assert f"restored the weights of epoch {es_best} (best val_loss)" in r.stdout
    assert f"early stopping at epoch {len(es_rows)}" in r.stdout


def test_compare_plot_draws_the_seed_mean_and_a_min_max_band(tmp_path):
    pytest.importorskip("matplotlib")  # skipped only where it truly is not installed
    import numpy as np

    from overfitdoc.render.plot import compare_figure

    res = run(tmp_path, "weight-decay", epochs=3, seeds=3, plot=True)
    out = tmp_path / "out"
    assert (out / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res.to_dict()["outputs"]["compare_plot"] == str(out / "compare.png")
    variants = list(dict.fromkeys(u.variant for u in res.units))
    shown, bands = runner_mod.compare_inputs(res.units, variants)
    assert [d.source for d in shown] == ["baseline (mean of 3 seeds)", "weight-decay (mean of 3 seeds)"]
    for v, d, band in zip(variants, shown, bands):
        vals = np.array([[r["val_loss"] for r in u.rows] for u in res.units if u.variant is v])
        assert vals.shape == (3, 3)
        assert list(band.x) == [1, 2, 3]
        assert np.allclose(band.low, vals.min(axis=0)) and np.allclose(band.high, vals.max(axis=0))
        assert np.allclose(d.monitored.val_raw, vals.mean(axis=0))  # the curve: the mean over seeds
        assert (band.low < band.high).all()  # seeds differ: a band, not seed 0's line
    fig = compare_figure(shown, bands=bands)
    ax = fig.axes[0]
    gids = [c.get_gid() for c in ax.collections]
    assert "val-band-0" in gids and "val-band-1" in gids
    assert "band: min-max over the seeds of val_loss" in ax.get_title(loc="left")
    assert [line.get_gid() for line in ax.lines if line.get_gid() == "val-raw-0"] == ["val-raw-0"]
    (tmp_path / "one").mkdir()
    one = run(tmp_path / "one", "none", epochs=2, seeds=1, plot=True)
    shown1, bands1 = runner_mod.compare_inputs(one.units, [one.units[0].variant])
    assert [d.source for d in shown1] == ["baseline"] and bands1 == [None]  # one seed: no band


def test_a_narrow_terminal_wraps_the_change_columns_instead_of_cropping_them():
    """The table's change columns wrap in their cells: at 90 columns every variant's kept and
    best change, p-value and judgement are all printed (they were cropped at the right edge)."""
    import json

    from rich.console import Console

    from overfitdoc.rerun.render import print_result

    from .conftest import FIXTURES

    result = json.loads((FIXTURES / "rerun" / "binary_mlp" / "summary.json").read_text())
    console = Console(width=90, no_color=True, highlight=False)
    with console.capture() as cap:
        print_result(result, console)
    lines = cap.get().splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 90
    text = " ".join(lines)
    changes = [c for v in result["variants"] for c in (v.get("change"), v.get("change_best")) if c]
    assert changes and text.count("p=") == sum(1 for c in changes if c.get("p_value") is not None)
    judged = sum(1 for c in changes if c.get("judgement") in ("better", "worse"))
    assert judged and text.count(" better") + text.count(" worse") >= judged


def test_plot_compare_of_a_rerun_folder_draws_each_variant_once_with_its_seed_band(tmp_path, monkeypatch):
    """``overfitdoc plot --compare OUT_DIR`` on a rerun's folder: one curve per variant (the mean
    of its seeds, in a min-max band), as compare.png draws them, not one faded curve per file."""
    pytest.importorskip("matplotlib")
    from typer.testing import CliRunner

    from overfitdoc.cli import app
    from overfitdoc.commands import plot as plot_cmd
    from overfitdoc.render import plot as render_plot

    run(tmp_path, "weight-decay", epochs=3, seeds=3, plot=False)
    out = tmp_path / "out"
    seen = {}
    real = render_plot.plot_diagnoses

    def spy(diagnoses, path, **kw):
        seen["sources"] = [d.source for d in diagnoses]
        seen["bands"] = kw.get("bands")
        seen["title"] = kw["options"].title
        return real(diagnoses, path, **kw)

    monkeypatch.setattr(render_plot, "plot_diagnoses", spy)
    r = CliRunner().invoke(app, ["plot", "--compare", str(out), "-o", str(tmp_path / "c.png")])
    assert r.exit_code == 0, r.output
    assert seen["sources"] == ["baseline (mean of 3 seeds)", "weight-decay (mean of 3 seeds)"]
    assert all(b is not None and (b.low < b.high).all() for b in seen["bands"])
    assert seen["title"] == "Comparing 2 variants"
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a folder that is not a rerun's is drawn file by file, as before
    assert plot_cmd.rerun_groups([str(tmp_path)], []) is None
