"""Figures: every sample run renders to PNG, SVG and PDF; the markers sit at the diagnosed
epochs (read back from the figure and from the SVG by gid); compare mode has one curve per
run; output is byte-identical across renders; bad paths and formats give one line and exit 2;
``diagnose`` never imports matplotlib unless asked to plot."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("matplotlib")

from overfitdoc.analysis import diagnose  # noqa: E402
from overfitdoc.api import diagnose as diagnose_file  # noqa: E402
from overfitdoc.cli import app  # noqa: E402
from overfitdoc.errors import UsageError  # noqa: E402
from overfitdoc.history import from_table  # noqa: E402
from overfitdoc.render.plot import (  # noqa: E402
    PlotOptions,
    compare_figure,
    image_format,
    output_paths,
    plot_diagnoses,
    render,
    run_figure,
)

from .conftest import ROOT, SAMPLES  # noqa: E402

runner = CliRunner()
SAMPLE_FILES = sorted(SAMPLES.glob("*.csv")) + sorted(SAMPLES.glob("*.json"))
SVG_NS = "{http://www.w3.org/2000/svg}"
needs_samples = pytest.mark.skipif(not SAMPLE_FILES, reason="sample_runs/ not generated")


def cli(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def hist(train, val, *, extra=None, names=("loss", "val_loss"), start=0):
    table = {"epoch": list(range(start, start + len(train))), names[0]: list(train), names[1]: list(val)}
    table.update(extra or {})
    return from_table("made.csv", "keras-csv", table)


def u_shaped(n=60, bottom=20, seed=0):
    e = np.arange(n, dtype=float)
    rng = np.random.default_rng(seed)
    train = 1.0 / (1 + e / 5)
    val = 1.0 / (1 + np.minimum(e, bottom) / 5) + 0.1 + 0.01 * np.maximum(e - bottom, 0) + rng.normal(0, 0.004, n)
    acc = 1 - train / 2
    val_acc = 1 - val / 2
    return hist(train, val, extra={"accuracy": list(acc), "val_accuracy": list(val_acc)})


@pytest.fixture(scope="module")
def overfit():
    d = diagnose(u_shaped())
    assert d.divergence_epoch is not None and d.divergence_range is not None
    return d


def by_gid(fig, gid):
    return [a for a in fig.findobj() if a.get_gid() == gid]


def svg_ids(svg: bytes) -> dict:
    root = ET.fromstring(svg)
    return {el.get("id"): el for el in root.iter() if el.get("id")}


# ---------------------------------------------------------------- every sample run renders


@needs_samples
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_run_renders_to_png_svg_and_pdf(path, tmp_path):
    d = diagnose_file(str(path))
    for ext, magic in ((".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        out = tmp_path / f"{path.stem}{ext}"
        assert plot_diagnoses([d], out) == [str(out)]
        assert out.read_bytes().startswith(magic)
    ids = svg_ids((tmp_path / f"{path.stem}.svg").read_bytes())
    assert {"train-trend", "val-trend", "recommended-epoch"} <= set(ids)
    assert ("divergence-epoch" in ids) == (d.divergence_epoch is not None)
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


@needs_samples
def test_png_is_readme_sized(tmp_path):
    import matplotlib.image as mpimg

    out = tmp_path / "o.png"
    plot_diagnoses([diagnose_file(str(SAMPLES / "overfit.csv"))], out)
    height, width = mpimg.imread(out).shape[:2]
    assert width == 800 and 400 <= height <= 800


# ---------------------------------------------------------------- markers at the right epochs


def test_markers_sit_at_the_diagnosed_epochs(overfit):
    fig = run_figure(overfit)
    (rec,) = by_gid(fig, "recommended-epoch")
    (div,) = by_gid(fig, "divergence-epoch")
    assert list(rec.get_xdata()) == [overfit.recommended_epoch] * 2
    assert list(div.get_xdata()) == [overfit.divergence_epoch] * 2
    (span,) = by_gid(fig, "divergence-range")
    if hasattr(span, "get_width"):  # a Rectangle (matplotlib >= 3.9), else a Polygon
        lo, hi = span.get_x(), span.get_x() + span.get_width()
    else:
        xs = np.asarray(span.get_xy())[:, 0]
        lo, hi = xs.min(), xs.max()
    assert (lo, hi) == tuple(float(e) for e in overfit.divergence_range)
    (gap,) = by_gid(fig, "gap-after-divergence")
    gx = gap.get_paths()[0].vertices[:, 0]
    assert gx.min() == overfit.divergence_epoch and gx.max() == overfit.points[-1]
    (vt,) = by_gid(fig, "val-trend")
    assert np.allclose(vt.get_ydata(), overfit.val_trend)
    # the same markers in the other panels
    assert by_gid(fig, "recommended-epoch-gap-panel") and by_gid(fig, "recommended-epoch-other-panel")


def test_markers_in_the_svg_are_at_the_epochs_pixel_positions(overfit):
    dpi = 100
    fig = run_figure(overfit, PlotOptions(dpi=dpi))
    ids = svg_ids(render(fig, "svg", dpi))
    ax = by_gid(fig, "recommended-epoch")[0].axes
    for gid, epoch in (
        ("recommended-epoch", overfit.recommended_epoch),
        ("divergence-epoch", overfit.divergence_epoch),
    ):
        path = ids[gid].find(f"{SVG_NS}path")
        x_svg = float(re.match(r"M\s*([-\d.]+)", path.get("d")).group(1))
        x_px = ax.transData.transform((epoch, 0))[0]
        assert x_svg == pytest.approx(x_px * 72 / dpi, abs=0.5), gid


def test_no_divergence_means_no_divergence_marker():
    e = np.arange(30.0)
    d = diagnose(hist(1 / (1 + e), 1 / (1 + e) + 0.02))
    assert d.divergence_epoch is None
    fig = run_figure(d)
    assert not by_gid(fig, "divergence-epoch") and not by_gid(fig, "gap-after-divergence")
    assert by_gid(fig, "recommended-epoch")


def test_panels_other_metric_and_gap(overfit):
    fig = run_figure(overfit)
    assert len(fig.axes) == 3
    assert by_gid(fig, "other-accuracy-val-trend") and by_gid(fig, "gap-trend")
    gap = by_gid(fig, "gap-trend")[0]
    assert np.allclose(gap.get_ydata(), overfit.val_trend - overfit.train_trend)
    only_loss = diagnose(hist(*[list(s) for s in (np.linspace(1, 0.1, 20), np.linspace(1.1, 0.3, 20))]))
    assert len(run_figure(only_loss).axes) == 2  # main and gap


def test_main_metric_follows_the_monitor():
    d = diagnose(u_shaped(), monitor="accuracy")
    fig = run_figure(d)
    assert fig.axes[0].get_ylabel().startswith("accuracy")
    assert by_gid(fig, "other-loss-val-trend")
    gap = by_gid(fig, "gap-trend")[0]  # higher is better: gap = training - validation
    assert np.allclose(gap.get_ydata(), d.train_trend - d.val_trend)


def test_options_log_y_no_smooth_size_title(overfit):
    fig = run_figure(overfit, PlotOptions(log_y=True, smooth=False, size=(10, 5), dpi=50, title="Mine"))
    assert fig.axes[0].get_yscale() == "log"
    assert not by_gid(fig, "val-trend")
    assert by_gid(fig, "val-raw")[0].get_linewidth() > 1  # raw drawn firmly
    assert tuple(fig.get_size_inches()) == (10, 5) and fig.dpi == 50
    assert fig.get_suptitle() == "Mine"
    negative = diagnose(hist(np.linspace(0, -2, 20), np.linspace(0.1, -1.5, 20), names=("score", "val_score")))
    assert run_figure(negative, PlotOptions(log_y=True)).axes[0].get_yscale() == "symlog"


def test_title_names_the_verdict(overfit):
    fig = run_figure(overfit)
    assert fig.get_suptitle() == f"made.csv: overfitting (confidence {overfit.confidence:.2f})"
    key = fig.axes[0].get_title(loc="left")
    assert f"recommended epoch {overfit.recommended_epoch}" in key and "divergence epoch" in key


# ---------------------------------------------------------------- awkward runs


@pytest.mark.parametrize(
    "train,val",
    [
        ([0.9, 0.5], [1.0, 0.7]),  # two points: no trend
        ([0.9, 0.5, 0.4], [1.0, 0.7, 0.8]),  # three
        ([0.5] * 10, [0.6] * 10),  # constant
        ([1.0, 0.8, float("nan"), 0.6, 0.5, 0.45, 0.4], [1.1, 0.9, 0.85, float("inf"), 0.7, 0.7, 0.72]),
        ([1.0, 0.8, 0.7, 0.6, 5e8, 0.5, 0.45, 0.4], [1.1, 0.9, 0.85, 0.8, 0.8, 0.7, 0.7, 0.72]),  # explosion
    ],
)
def test_awkward_runs_render(train, val):
    d = diagnose(hist(train, val))
    fig = run_figure(d)
    assert render(fig, "png").startswith(b"\x89PNG")
    assert render(fig, "svg").startswith(b"<?xml")


def test_an_exploding_point_does_not_flatten_the_curves():
    train = [1.0, 0.8, 0.7, 0.6, 0.55, 5e8, 0.5, 0.45, 0.4, 0.38]
    fig = run_figure(diagnose(hist(train, [t + 0.1 for t in train[:5]] + [0.7, 0.6, 0.55, 0.5, 0.5])))
    assert fig.axes[0].get_ylim()[1] < 10
    assert by_gid(fig, "clipped-note")


def test_nonfinite_epochs_are_marked():
    t = [1.0, 0.8, 0.7, 0.6, 0.5, float("nan"), float("nan")]
    v = [1.1, 0.9, 0.8, 0.75, 0.7, float("nan"), float("nan")]
    d = diagnose(hist(t, v, extra={"accuracy": [0.5] * 7, "val_accuracy": [0.5] * 7}))
    (marks,) = by_gid(run_figure(d), "nonfinite")
    assert list(marks.get_xdata()) == [5.0, 6.0]
    assert "not finite (epochs 5–6)" in marks.get_label()


def test_run_without_validation_draws_the_reason():
    d = diagnose(from_table("t.csv", "keras-csv", {"epoch": [0, 1, 2], "loss": [1.0, 0.5, 0.3]}))
    assert d.monitor is None
    fig = run_figure(d)
    (text,) = by_gid(fig, "no-data")
    assert "Cannot diagnose" in text.get_text()


# ---------------------------------------------------------------- compare


def test_compare_has_one_curve_per_run_and_a_shared_legend():
    runs = [diagnose(u_shaped(bottom=b, seed=b)) for b in (10, 20, 30)]
    fig = compare_figure(runs)
    for i, d in enumerate(runs):
        (line,) = by_gid(fig, f"val-trend-{i}")
        assert np.allclose(line.get_ydata(), d.val_trend)
        (dot,) = by_gid(fig, f"recommended-epoch-{i}")
        assert list(dot.get_xdata()) == [d.recommended_epoch]
        assert by_gid(fig, f"gap-trend-{i}")
    assert len([a for a in fig.findobj() if (a.get_gid() or "").startswith("val-trend-")]) == 3
    (legend,) = fig.legends
    assert len(legend.get_texts()) == 3
    assert "recommended epoch" in legend.get_texts()[0].get_text()


@needs_samples
def test_compare_cli_writes_one_file(tmp_path):
    out = tmp_path / "cmp.svg"
    r = cli("plot", SAMPLES / "overfit.csv", SAMPLES / "good_fit.json", "--compare", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"wrote {out}\n"
    ids = svg_ids(out.read_bytes())
    assert {"val-trend-0", "val-trend-1", "gap-trend-0", "gap-trend-1"} <= set(ids) and "val-trend-2" not in ids


# ---------------------------------------------------------------- deterministic bytes


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_output_is_byte_identical_across_renders(overfit, fmt):
    a = render(run_figure(overfit), fmt)
    b = render(run_figure(overfit), fmt)
    assert a == b


@needs_samples
def test_cli_svg_byte_identical_and_without_dates(tmp_path):
    outs = [tmp_path / "a.svg", tmp_path / "b.svg"]
    for out in outs:
        assert cli("plot", SAMPLES / "overfit.csv", "-o", out).exit_code == 0
    a, b = (p.read_bytes() for p in outs)
    assert a == b
    assert b"<dc:date>" not in a and b"Matplotlib v" not in a


def test_no_timestamps_or_versions_in_png_and_pdf(overfit):
    png = render(run_figure(overfit), "png")
    assert b"Software" not in png and b"tIME" not in png
    pdf = render(run_figure(overfit), "pdf")
    assert b"CreationDate" not in pdf and b"Matplotlib" not in pdf


# ---------------------------------------------------------------- paths, formats, errors


def test_format_from_extension():
    assert [image_format(p) for p in ("a.png", "b.SVG", "c.pdf")] == ["png", "svg", "pdf"]
    for bad in ("a.gif", "noext", "a.png.bak"):
        with pytest.raises(UsageError, match="unknown image format"):
            image_format(bad)


def test_one_file_per_run_named_after_the_input():
    assert output_paths("out.png", ["a.csv"]) == ["out.png"]
    assert output_paths("figs/out.png", ["runs/a.csv", "b.json", "-"]) == [
        "figs/out-a.png",
        "figs/out-b.png",
        "figs/out-stdin.png",
    ]
    # the same stem twice keeps the extension; the same name twice gets a number
    assert output_paths("o.svg", ["x/overfit.csv", "overfit.json"]) == ["o-overfit-csv.svg", "o-overfit-json.svg"]
    assert output_paths("o.svg", ["x/r.csv", "y/r.csv"]) == ["o-r-csv-1.svg", "o-r-csv-2.svg"]
    assert output_paths("o.png", ["weird name!.csv"]) == ["o.png"]
    assert output_paths("o.png", ["weird name!.csv", "b.csv"])[0] == "o-weird_name.png"


@needs_samples
def test_several_runs_write_one_file_each(tmp_path):
    out = tmp_path / "out.png"
    files = [SAMPLES / f"{n}.csv" for n in ("overfit", "good_fit", "underfit")]
    r = cli("plot", *files, "-o", out)
    assert r.exit_code == 0, r.stderr
    expected = [tmp_path / f"out-{n}.png" for n in ("overfit", "good_fit", "underfit")]
    assert r.stdout.splitlines() == [f"wrote {p}" for p in expected]
    assert all(p.exists() for p in expected) and not out.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["-o", "{tmp}/x.gif"], "unknown image format ('.gif'); use .png, .svg or .pdf"),
        (["-o", "{tmp}/missing/x.png"], "folder {tmp}/missing does not exist"),
        (["-o", "{tmp}"], "unknown image format"),
        ([], "plot needs -o PATH"),
        (["-o", "{tmp}/x.png", "--size", "8"], "--size '8': expected WIDTHxHEIGHT"),
        (["-o", "{tmp}/x.png", "--size", "0x3"], "between 1 and"),
    ],
)
def test_bad_output_is_one_line_and_exit_2(args, message, tmp_path):
    args = [a.format(tmp=tmp_path) for a in args]
    src = tmp_path / "h.csv"
    src.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.8\n")
    r = cli("plot", src, *args)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ")
    assert message.format(tmp=tmp_path) in r.stderr
    assert r.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv"]  # nothing written, no temp file


def test_an_unwritable_target_leaves_nothing_behind(tmp_path, overfit):
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        plot_diagnoses([overfit], tmp_path / "dir.png")
    assert [p.name for p in tmp_path.iterdir()] == ["dir.png"]


def test_show_without_display(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    src = tmp_path / "h.csv"
    src.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.8\n")
    r = cli("plot", src, "--show")
    assert r.exit_code == 2 and "--show needs a display" in r.stderr and r.stderr.count("\n") == 1
    r = cli("plot", src, "--show", "-o", tmp_path / "h.png")
    assert r.exit_code == 0 and (tmp_path / "h.png").exists() and "no display" in r.stderr


def test_show_opens_pyplot_windows_when_there_is_a_display(tmp_path, monkeypatch):
    import matplotlib
    import matplotlib.pyplot as plt

    import overfitdoc.render.plot as plot_module

    backend = matplotlib.get_backend()
    matplotlib.use("Agg")  # a stand-in for a window: nothing is really opened
    shown = []
    monkeypatch.setattr(plot_module, "has_display", lambda: True)
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(len(plt.get_fignums())))
    srcs = [tmp_path / "h.csv", tmp_path / "i.csv"]
    for src in srcs:
        src.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.8\n")
    try:
        r = cli("plot", *srcs, "--show")
        assert r.exit_code == 0, r.stderr
        assert shown == [2] and r.stdout == ""  # two figures, nothing written
    finally:
        plt.close("all")
        matplotlib.use(backend)


def test_unreadable_input_is_reported_and_the_rest_drawn(tmp_path):
    good = tmp_path / "h.csv"
    good.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.8\n")
    r = cli("plot", good, tmp_path / "missing.csv", "-o", tmp_path / "o.png")
    assert r.exit_code == 2
    assert (tmp_path / "o-h.png").exists() and "missing.csv" in r.stderr


# ---------------------------------------------------------------- diagnose and matplotlib


@needs_samples
def test_diagnose_does_not_import_matplotlib():
    code = (
        "import sys; from overfitdoc.cli import main; "
        "sys.argv = ['overfitdoc', 'diagnose', 'sample_runs/overfit.csv']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "from overfitdoc.render import chart\nassert 'matplotlib' not in sys.modules\n"
        "print('ok')"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().endswith("ok")
    assert "┤" in r.stdout  # the terminal chart was drawn without matplotlib


@needs_samples
def test_diagnose_plot_writes_the_image_and_markdown_embeds_it(tmp_path):
    out = tmp_path / "curves.png"
    r = cli("diagnose", "sample_runs/overfit.csv", "--plot", out, "--format", "markdown")
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    # printed to stdout: the link is relative to the working folder
    assert f"]({os.path.relpath(out)})" in r.stdout
    # written with -o: relative to the report's folder, so the report and image move together
    report = tmp_path / "reports" / "r.md"
    report.parent.mkdir()
    r = cli("diagnose", "sample_runs/overfit.csv", "--plot", out, "--format", "markdown", "-o", report)
    assert r.exit_code == 0, r.stderr
    assert "](../curves.png)" in report.read_text()


def test_diagnose_plot_bad_extension_is_one_line(tmp_path):
    src = tmp_path / "h.csv"
    src.write_text("epoch,loss,val_loss\n0,1,1.1\n1,0.8,0.9\n2,0.6,0.8\n3,0.5,0.8\n")
    r = cli("diagnose", src, "--plot", tmp_path / "c.jpg")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "unknown image format" in r.stderr


def test_several_runs_drawn_in_workers_match_one_by_one(tmp_path, monkeypatch):
    import overfitdoc.render.plot as plot_mod

    ds = [diagnose_file(f"sample_runs/{n}.csv") for n in ("overfit", "good_fit", "underfit")]
    parallel = plot_mod.plot_diagnoses(ds, tmp_path / "par.png")
    monkeypatch.setattr(plot_mod, "PARALLEL_FROM", 99)
    serial = plot_mod.plot_diagnoses(ds, tmp_path / "ser.png")
    assert len(parallel) == 3
    assert [open(p, "rb").read() for p in parallel] == [open(p, "rb").read() for p in serial]


def test_a_broken_matplotlib_is_one_line_and_the_report_still_printed(tmp_path, monkeypatch):
    # matplotlib is a requirement: only a broken installation lacks it
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    why = "matplotlib, one of overfitdoc's requirements, cannot be imported (import of matplotlib halted; None in sys.modules); reinstall overfitdoc"
    r = cli("plot", "sample_runs/overfit.csv", "-o", tmp_path / "a.png")
    assert r.exit_code == 2, r.stderr
    assert r.stderr == f"Error: the plot cannot be drawn: {why}\n"
    r = cli("diagnose", "sample_runs/overfit.csv", "--plot", tmp_path / "b.png")
    assert r.exit_code == 2, r.stderr
    assert r.stderr == f"Error: the plot was not drawn ({tmp_path / 'b.png'}): {why}\n"
    assert "Verdict:" in r.stdout  # the report is printed all the same; the plot alone is missing
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


# ---------------------------------------------------------------- names and values matplotlib chokes on


DOLLAR_NAMES = ("$\\notacommand{x}$ loss", "val $\\notacommand{x}$ loss")


def test_metric_names_with_dollars_are_drawn_as_written(tmp_path):
    # matplotlib read "$...$" as mathtext and raised ValueError on an unknown command
    train = [1.0, 0.8, 0.7, 0.6, 0.55, 0.5, 0.48, 0.47]
    val = [1.1, 0.9, 0.8, 0.78, 0.8, 0.85, 0.9, 0.95]
    d = diagnose(hist(train, val, names=DOLLAR_NAMES, extra={"$a$cc": [0.5] * 8, "val_$a$cc": [0.4] * 8}))
    assert d.monitor is not None and d.monitor.train == DOLLAR_NAMES[0]
    for options in (PlotOptions(), PlotOptions(log_y=True)):
        out = tmp_path / f"dollars-{options.log_y}.png"
        assert plot_diagnoses([d], out, options=options) == [str(out)]
        assert out.read_bytes().startswith(b"\x89PNG")
    fig = run_figure(d)
    labels = [t for t in fig.axes[0].get_legend().get_texts() if "notacommand" in t.get_text()]
    assert labels and not any(t.get_parse_math() for t in labels)
    out = tmp_path / "compare.svg"
    plot_diagnoses([d, d], out, compare=True)
    assert out.read_bytes().startswith(b"<?xml")


def test_a_file_name_with_dollars_plots_through_the_cli(tmp_path):
    path = tmp_path / "run_$\\notacommand$.csv"
    path.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 - e / 10},{1 - e / 20}\n" for e in range(6)))
    out = tmp_path / "out.png"
    r = cli("plot", path, "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"\x89PNG")


ALTERNATING = [(-1e308 if i % 2 == 0 else 1e308) for i in range(16)]


def test_values_near_1e308_are_left_out_with_a_note(tmp_path):
    # they made matplotlib's transforms singular (LinAlgError) or overflow
    train = [1.0, 0.8, 0.7, 1e308, 0.6, 0.55, 0.5, -1e308, 0.45, 0.4]
    val = [1.1, 0.9, 0.85, 0.8, 1e308, 0.75, 0.76, 0.8, 0.82, 0.85]
    runs = [
        diagnose(hist(train, val)),
        diagnose(hist(ALTERNATING, ALTERNATING, extra={"accuracy": ALTERNATING, "val_accuracy": ALTERNATING})),
    ]
    for k, d in enumerate(runs):
        for options in (PlotOptions(), PlotOptions(log_y=True), PlotOptions(smooth=False)):
            out = tmp_path / f"big-{k}-{options.log_y}-{options.smooth}.png"
            plot_diagnoses([d], out, options=options)
            assert out.read_bytes().startswith(b"\x89PNG")
    (note,) = by_gid(run_figure(runs[0]), "unplottable-note")
    assert note.get_text() == "3 values beyond ±1e100 not drawn"
    ys = np.concatenate([line.get_ydata() for line in by_gid(run_figure(runs[0]), "train-raw")])
    assert np.nanmax(np.abs(ys)) < 10
    out = tmp_path / "compare.png"
    plot_diagnoses(runs, out, compare=True)
    assert out.read_bytes().startswith(b"\x89PNG")


def test_an_alternating_1e308_log_plots_through_the_cli_without_warnings(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(
        '{"loss": [' + ", ".join(map(repr, ALTERNATING)) + '], "val_loss": [' + ", ".join(map(repr, ALTERNATING)) + "]}"
    )
    out = tmp_path / "out.png"
    p = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "plot", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONWARNINGS="default"),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert out.read_bytes().startswith(b"\x89PNG")
    p = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "diagnose", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONWARNINGS="default"),
        timeout=120,
    )
    assert p.returncode == 0 and p.stderr == "", p.stderr
