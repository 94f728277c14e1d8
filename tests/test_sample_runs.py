"""Checks on the committed training histories in ``sample_runs/``.

These tests read the files only (no torch needed): they check that each file
has the layout it claims (Keras CSVLogger CSV, PyTorch-style JSON) and that
each run shows its regime in simple numerical terms.  The files themselves
are produced by ``python sample_runs/make_samples.py``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "sample_runs"
REGIMES = ["overfit", "good_fit", "underfit", "still_improving", "unstable"]
KERAS_COLUMNS = ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
# JSON key for each Keras key
JSON_KEY = {
    "loss": "train_loss",
    "accuracy": "train_acc",
    "val_loss": "val_loss",
    "val_accuracy": "val_acc",
    "lr": "lr",
}


def load_csv(regime: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / f"{regime}.csv")


def load_json(regime: str):
    with open(SAMPLES / f"{regime}.json") as fh:
        return json.load(fh)


def json_records(regime: str) -> list[dict]:
    """The per-epoch records of a JSON history, whatever its layout."""
    obj = load_json(regime)
    if isinstance(obj, list):
        return obj
    if "history" in obj:
        return obj["history"]
    n = len(obj["train_loss"])
    return [{"epoch": i + 1, **{k: v[i] for k, v in obj.items()}} for i in range(n)]


def same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b


# --------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------


@pytest.mark.parametrize("regime", REGIMES)
def test_files_exist(regime):
    assert (SAMPLES / f"{regime}.csv").is_file()
    assert (SAMPLES / f"{regime}.json").is_file()


def test_generator_and_readme_exist():
    assert (SAMPLES / "make_samples.py").is_file()
    readme = (SAMPLES / "README.md").read_text()
    assert "python sample_runs/make_samples.py" in readme
    for regime in REGIMES:
        assert f"{regime}.csv" in readme and f"{regime}.json" in readme


@pytest.mark.parametrize("regime", REGIMES)
def test_csv_is_keras_csvlogger_layout(regime):
    raw = (SAMPLES / f"{regime}.csv").read_bytes()
    # csv module default line terminator, as CSVLogger writes it
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r\n") == raw.count(b"\n")

    df = load_csv(regime)
    expected = KERAS_COLUMNS + (["lr"] if regime == "unstable" else [])
    expected = ["epoch"] + sorted(expected[1:])
    assert list(df.columns) == expected
    assert df.columns[0] == "epoch"
    assert list(df.columns[1:]) == sorted(df.columns[1:])
    assert df["epoch"].tolist() == list(range(len(df)))
    assert len(df) >= 20


@pytest.mark.parametrize("regime", REGIMES)
def test_csv_values_have_at_most_6_significant_digits(regime):
    text = (SAMPLES / f"{regime}.csv").read_text()
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        for cell in row[1:]:
            if cell in ("nan", "inf", "-inf"):
                continue
            mantissa = re.sub(r"e[-+]?\d+$", "", cell.lstrip("-"))
            digits = mantissa.replace(".", "").lstrip("0")
            if digits.endswith("0") and "." in mantissa:
                digits = digits.rstrip("0")
            assert len(digits) <= 6, cell


@pytest.mark.parametrize("regime", REGIMES)
def test_json_layout(regime):
    obj = load_json(regime)
    if regime == "good_fit":
        assert isinstance(obj, dict)
        assert {"train_loss", "train_acc", "val_loss", "val_acc"} <= set(obj)
        lengths = {len(v) for v in obj.values()}
        assert len(lengths) == 1
    elif regime == "overfit":
        assert isinstance(obj, dict)
        assert set(obj) == {"config", "history"}
        assert isinstance(obj["config"], dict) and obj["config"]
        assert isinstance(obj["history"], list)
    else:
        assert isinstance(obj, list)

    recs = json_records(regime)
    assert [r["epoch"] for r in recs] == list(range(1, len(recs) + 1))
    keys = {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"}
    if regime == "unstable":
        keys.add("lr")
    for r in recs:
        assert set(r) == keys


@pytest.mark.parametrize("regime", REGIMES)
def test_json_matches_csv(regime):
    df = load_csv(regime)
    recs = json_records(regime)
    assert len(recs) == len(df)
    for keras_key in df.columns[1:]:
        json_vals = [float(r[JSON_KEY[keras_key]]) for r in recs]
        csv_vals = df[keras_key].astype(float).tolist()
        assert all(same(a, b) for a, b in zip(json_vals, csv_vals)), keras_key


def test_json_pretty_printed_with_indent_2():
    for regime in REGIMES:
        text = (SAMPLES / f"{regime}.json").read_text()
        assert text.startswith(("[\n  {", '{\n  "'))


# --------------------------------------------------------------------------
# regimes
# --------------------------------------------------------------------------


def test_overfit_regime():
    df = load_csv("overfit")
    vl, tl = df["val_loss"], df["loss"]
    i_min = int(vl.idxmin())
    assert 5 <= i_min <= 30  # bottoms out early ...
    assert vl.iloc[-1] > 1.2 * vl.min()  # ... then rises substantially
    assert tl.iloc[-1] < tl.iloc[i_min]  # while training loss keeps falling
    assert tl.iloc[-1] < 0.2 * tl.iloc[i_min]
    assert df["accuracy"].iloc[-1] > df["val_accuracy"].iloc[-1] + 0.1
    assert len(df) >= 60
    cfg = load_json("overfit")["config"]
    assert cfg["epochs"] == len(df)


def test_good_fit_regime():
    df = load_csv("good_fit")
    vl, tl = df["val_loss"], df["loss"]
    assert vl.iloc[-1] < 0.6 * vl.iloc[0]  # it learned
    assert vl.iloc[-1] <= 1.05 * vl.min()  # no rise at the end
    assert abs(vl.iloc[-1] - tl.iloc[-1]) < 0.05  # small gap
    # both curves have plateaued over the last 10 epochs
    assert tl.iloc[-10:].std() < 0.01 and vl.iloc[-10:].std() < 0.01
    assert df["val_accuracy"].iloc[-1] > 0.9


def test_underfit_regime():
    df = load_csv("underfit")
    vl, tl = df["val_loss"], df["loss"]
    assert tl.iloc[-1] > 0.4 and vl.iloc[-1] > 0.4  # plateau high
    assert abs(vl.iloc[-1] - tl.iloc[-1]) < 0.05  # close together
    assert abs(tl.iloc[-11] - tl.iloc[-1]) / tl.iloc[-11] < 0.02  # flat
    assert vl.iloc[-1] <= 1.05 * vl.min()
    assert df["accuracy"].iloc[-10:].max() < 0.8


def test_still_improving_regime():
    df = load_csv("still_improving")
    vl = df["val_loss"]
    assert vl.iloc[-1] < vl.iloc[-6:-1].mean()
    assert vl.iloc[-1] == vl.min()
    assert (vl.diff().iloc[-5:] < 0).all()  # down in each of the last 5 epochs
    # still dropping by more than 2% per epoch at the end
    assert (vl.iloc[-2] - vl.iloc[-1]) / vl.iloc[-2] > 0.02


def test_unstable_regime():
    df = load_csv("unstable")
    vl = df["val_loss"].astype(float)
    tl = df["loss"].astype(float)
    has_nonfinite = not np.isfinite(vl).all() or not np.isfinite(tl).all()
    finite = vl[np.isfinite(vl)]
    rel_jumps = (finite.diff().abs() / finite.shift()).dropna()
    assert has_nonfinite or rel_jumps.max() > 1.0
    # the finite part jumps around a lot before it blows up
    assert (rel_jumps > 0.5).sum() >= 3
    assert (df["lr"] >= 1.0).all()
    text = (SAMPLES / "unstable.json").read_text()
    if has_nonfinite:
        assert "NaN" in text or "Infinity" in text


def test_readme_quotes_values_that_are_in_the_files():
    """Every value quoted in the README with 5+ significant digits is a real
    value from one of the files (guards against hand-typed numbers)."""
    values: set[str] = set()
    for regime in REGIMES:
        rows = list(csv.reader(io.StringIO((SAMPLES / f"{regime}.csv").read_text())))
        for row in rows[1:]:
            values.update(row[1:])
    readme = (SAMPLES / "README.md").read_text()
    quoted = re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", readme)
    checked = 0
    for num in quoted:
        if len(num.replace(".", "").lstrip("0")) >= 5:
            assert num in values, num
            checked += 1
    assert checked >= 10
