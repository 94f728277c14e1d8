"""The terminal chart: width, markers at the columns of their epochs, ASCII fallback, awkward
runs, and golden files (fixed width, no colour: the chart has none)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from overfitdoc.analysis import diagnose
from overfitdoc.api import diagnose as diagnose_file
from overfitdoc.history import from_table
from overfitdoc.render.chart import ASCII, UNICODE, terminal_chart

from .conftest import SAMPLES, check_golden

SAMPLE_CSV = sorted(SAMPLES.glob("*.csv"))


def hist(train, val, *, start=0, names=("loss", "val_loss")):
    table = {"epoch": list(range(start, start + len(train))), names[0]: list(train), names[1]: list(val)}
    return from_table("made.csv", "keras-csv", table)


def u_shaped(n=60, bottom=20):
    e = np.arange(n, dtype=float)
    train = 1.0 / (1 + e / 5)
    val = 1.0 / (1 + np.minimum(e, bottom) / 5) + 0.1 + 0.01 * np.maximum(e - bottom, 0)
    return hist(train, val)


@pytest.fixture(scope="module")
def overfit():
    d = diagnose(u_shaped())
    assert d.divergence_epoch is not None
    return d


def axis_row(lines, g=UNICODE):
    """(index of the axis row, column of the first plot cell)."""
    for i, line in enumerate(lines):
        if g.corner in line and line.lstrip().startswith(g.corner):
            return i, line.index(g.corner) + 1
    raise AssertionError("no axis row")


def column_of(epoch, lines, g=UNICODE):
    i, first = axis_row(lines, g)
    cols = len(lines[i]) - first
    x0, x1 = 0, 59
    return first + round((epoch - x0) / (x1 - x0) * (cols - 1))


@pytest.mark.parametrize("width", [24, 40, 60, 72, 100, 140])
@pytest.mark.parametrize("unicode", [True, False])
def test_never_wider_than_width(overfit, width, unicode):
    lines = terminal_chart(overfit, width=width, unicode=unicode)
    assert lines and all(len(s) <= width for s in lines)
    i, _ = axis_row(lines, UNICODE if unicode else ASCII)
    assert len(lines[i]) == width  # the axis spans the whole width


@pytest.mark.parametrize("height", [2, 5, 8, 15])
def test_height_is_the_number_of_plot_rows(overfit, height):
    lines = terminal_chart(overfit, height=height)
    assert axis_row(lines)[0] == height


def test_markers_sit_at_the_columns_of_their_epochs(overfit):
    lines = terminal_chart(overfit, width=72)
    i, first = axis_row(lines)
    rec = column_of(overfit.recommended_epoch, lines)
    assert lines[i][rec] == UNICODE.recommended
    lo, hi = overfit.divergence_range
    assert set(lines[i][column_of(lo, lines) : column_of(hi, lines) + 1]) <= {UNICODE.span, UNICODE.recommended}
    # the epoch under the marker, first and last epoch at the ends
    assert lines[i + 1].split() == ["0", str(overfit.recommended_epoch), "59"]
    assert (
        lines[i + 1].index(str(overfit.recommended_epoch))
        <= rec
        < lines[i + 1].index(str(overfit.recommended_epoch)) + 2
    )


def test_a_divergence_apart_from_the_recommended_epoch_has_its_own_marker(overfit):
    d = replace(overfit, recommended_epoch=10, divergence_epoch=30, divergence_range=(28, 33))
    for unicode, g in ((True, UNICODE), (False, ASCII)):
        lines = terminal_chart(d, width=72, unicode=unicode)
        i, _ = axis_row(lines, g)
        assert lines[i][column_of(10, lines, g)] == g.recommended
        c = column_of(30, lines, g)
        assert lines[i][c] == g.divergence
        assert lines[i][column_of(28, lines, g)] == g.span
        # the divergence runs through the empty cells of the plot above its marker
        plot_column = {lines[r][c] for r in range(i)}
        assert g.divergence_line in plot_column and plot_column <= {g.divergence_line, g.train, g.val, g.both}
        legend = "\n".join(lines[i + 2 :])
        assert "recommended epoch 10" in legend and "divergence epoch 30 (range 28-33)" in legend


def test_train_and_validation_differ_by_glyph_not_colour(overfit):
    lines = terminal_chart(overfit)
    plot = "".join(lines[: axis_row(lines)[0]])
    assert UNICODE.train in plot and UNICODE.val in plot
    assert "\x1b" not in "".join(lines)
    legend = "\n".join(lines[axis_row(lines)[0] + 2 :])
    assert f"{UNICODE.train} loss" in legend and f"{UNICODE.val} val_loss" in legend


def test_y_axis_labels_are_the_extremes(overfit):
    lines = terminal_chart(overfit, trend=True)
    top, bottom = lines[0].split()[0], lines[axis_row(lines)[0] - 1].split()[0]
    values = np.concatenate([overfit.train_trend, overfit.val_trend])
    assert float(top) == pytest.approx(values.max(), rel=1e-3)
    assert float(bottom) == pytest.approx(values.min(), rel=1e-3)


def test_ascii_fallback_is_pure_ascii(overfit):
    lines = terminal_chart(overfit, unicode=False)
    text = "\n".join(lines)
    assert text.isascii()
    for glyph in (".", "o", "^", "|", "+", "-"):
        assert glyph in text


def test_deterministic(overfit):
    assert terminal_chart(overfit) == terminal_chart(overfit)


def test_raw_values_on_request(overfit):
    lines = terminal_chart(overfit, trend=False)
    assert "(raw values)" in lines[-1]
    assert float(lines[0].split()[0]) == pytest.approx(max(overfit.val.max(), overfit.train.max()), rel=1e-3)


@pytest.mark.parametrize(
    "train,val,expect",
    [
        ([0.9, 0.5], [1.0, 0.7], "raw values"),  # two points: no trend, raw values
        ([0.9, 0.5, 0.4], [1.0, 0.7, 0.8], "trends"),
        ([0.5] * 10, [0.5] * 10, "trends"),  # constant, and both on one row
        ([1.0, 0.8, float("nan"), 0.6, 0.5, 0.45, 0.4], [1.1, 0.9, 0.85, float("inf"), 0.7, 0.7, 0.72], ""),
        ([1e6, 1e3, 10, 1, 0.1, 1e-2, 1e-3], [2e6, 2e3, 20, 2, 0.3, 0.1, 0.1], "log scale"),  # huge range
        ([1e300, -1e300, 1e300, -1e300, 0.0], [1e300, 1e300, -1e300, 0.0, 1.0], ""),  # would overflow
    ],
)
@pytest.mark.parametrize("unicode", [True, False])
def test_awkward_runs(train, val, expect, unicode):
    d = diagnose(hist(train, val))
    # a local linear trend can undershoot below zero; the raw values show the log scale
    lines = terminal_chart(d, width=50, unicode=unicode, trend=expect != "log scale")
    assert lines and all(len(s) <= 50 for s in lines)
    assert expect in "\n".join(lines)
    if not unicode:
        assert "\n".join(lines).isascii()


def test_constant_series_have_one_label_in_the_middle():
    d = diagnose(hist([0.5] * 10, [0.5] * 10))
    lines = terminal_chart(d, height=7, trend=False)
    labelled = [s for s in lines[:7] if s.split()[0] != UNICODE.axis]
    assert labelled == [lines[3]] and lines[3].split()[0] == "0.5"
    assert UNICODE.both in lines[3]


def test_nonfinite_epochs_are_named():
    nan = float("nan")
    d = diagnose(
        from_table(
            "t.csv",
            "keras-csv",
            {
                "epoch": list(range(8)),
                "loss": [1, 0.8, 0.7, 0.6, 0.5, nan, nan, nan],
                "val_loss": [1.1, 0.9, 0.8, 0.8, 0.8, nan, nan, nan],
                "accuracy": [0.5] * 8,
                "val_accuracy": [0.5] * 8,
            },
        )
    )
    assert d.nonfinite == (5, 6, 7)
    assert "loss not finite at epochs 5-7" in "\n".join(terminal_chart(d))


def test_nothing_to_draw():
    one = diagnose(hist([0.5], [0.6]))
    assert terminal_chart(one) == []
    no_val = diagnose(from_table("t.csv", "keras-csv", {"epoch": [0, 1, 2], "loss": [1.0, 0.5, 0.3]}))
    assert terminal_chart(no_val) == []
    assert terminal_chart(diagnose(u_shaped()), width=12) == []  # no room


def test_steps_and_non_integer_epochs():
    d = diagnose(
        from_table(
            "s.csv",
            "step-csv",
            {
                "step": [100, 200, 300, 400, 500],
                "loss": [1, 0.8, 0.6, 0.5, 0.45],
                "val_loss": [1.1, 0.9, 0.8, 0.8, 0.85],
            },
        )
    )
    lines = terminal_chart(d)
    assert lines[axis_row(lines)[0] + 1].split()[0] == "100"
    assert "recommended step" in "\n".join(lines)


# ---------------------------------------------------------------- golden files


def test_golden_made_up_run(overfit):
    check_golden("chart/u_shaped.txt", "\n".join(terminal_chart(overfit, width=72)) + "\n")
    check_golden("chart/u_shaped.ascii.txt", "\n".join(terminal_chart(overfit, width=72, unicode=False)) + "\n")
    check_golden("chart/u_shaped.w40h5.txt", "\n".join(terminal_chart(overfit, width=40, height=5)) + "\n")


@pytest.mark.skipif(not SAMPLE_CSV, reason="sample_runs/ not generated")
@pytest.mark.parametrize("path", SAMPLE_CSV, ids=lambda p: p.name)
def test_golden_sample_runs(path):
    d = diagnose_file(str(path))
    check_golden(f"chart/{path.name}.txt", "\n".join(terminal_chart(d, width=72)) + "\n")
    check_golden(f"chart/{path.name}.ascii.txt", "\n".join(terminal_chart(d, width=72, unicode=False)) + "\n")
