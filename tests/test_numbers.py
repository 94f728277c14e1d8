"""How numbers are written (overfitdoc.numbers): the sentence format, the cell format and the
relative gap's phrase, at the edges where they differ."""

from __future__ import annotations

import math

import pytest

from overfitdoc.numbers import epoch_range, fmt, num, pct, relative_gap


@pytest.mark.parametrize(
    "x, sentence, cell",
    [
        (0.6948123, "0.6948", "0.6948"),
        (0.001, "0.001", "0.001"),
        (0.000012345, "1.23e-05", "1.234e-05"),  # tiny: %.3g in sentences, %.3e in cells
        (123456.0, "1.23e+05", "1.235e+05"),  # from 1e5 sentences go %.3g; cells stay %.4g
        (1234567.0, "1.23e+06", "1.235e+06"),  # from 1e6 cells go %.3e
        (0.0, "0", "0"),
        (-0.25, "-0.25", "-0.25"),
    ],
)
def test_sentence_and_cell_formats(x, sentence, cell):
    assert fmt(x) == sentence
    assert num(x) == cell


def test_what_only_cells_have():
    assert num(None) == "-" and fmt(None) == "None"
    assert num(12) == "12" and num(True) == "True"
    assert num(float("nan")) == "nan" and fmt(float("inf")) == "inf"
    assert num(2 / 3, digits=2) == "0.67"


@pytest.mark.parametrize(
    "x, report, advice, summary",
    [
        (0.05, "5% of the training value", "5% of the training value", "5% of the training value"),
        (2.92, "292% of the training value", "3x the training value", "292% of the training value"),
        (40.24, "40.2x the training value", "40x the training value", "4024% of the training value"),
        (-0.5, "-50% of the training value", "-50% of the training value", "-50% of the training value"),
    ],
)
def test_relative_gap_as_each_output_phrases_it(x, report, advice, summary):
    assert relative_gap(x) == report
    assert relative_gap(x, times_from=2, whole_times=True) == advice
    assert relative_gap(x, times_from=math.inf) == summary


def test_relative_gap_without_a_training_value():
    assert relative_gap(None) == "training value 0"


def test_pct_and_epoch_range():
    assert (pct(0.712), pct(-0.1), pct(40.24)) == ("71%", "-10%", "40.2x")
    assert (epoch_range(None), epoch_range((12, 12)), epoch_range([12, 18])) == ("-", "12", "12-18")
