"""Evidence sentences checked against their own numbers.

Edge cases for the "did validation improve" phrase (never / within noise / improved), and a
property test over many runs (sample runs, the real-world fixtures and a slice of the accuracy
benchmark's runs): the numbers are parsed back out of every sentence, and no sentence states a
comparison those numbers contradict."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

import overfitdoc
from overfitdoc.advice import Facts, advise
from overfitdoc.advice.phrases import improvement, level_share
from overfitdoc.analysis import diagnose
from overfitdoc.errors import OverfitdocError
from overfitdoc.history import from_table

ROOT = Path(__file__).resolve().parent.parent
NUM = r"(-?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?)"


def _diag(val, train=None):
    n = len(val)
    train = np.linspace(1.0, 0.1, n) if train is None else np.asarray(train, float)
    table = {"epoch": list(range(1, n + 1)), "loss": list(map(float, train)), "val_loss": list(map(float, val))}
    return diagnose(from_table("t", "keras-csv", table, index_column="epoch"))


def _f(x: str) -> float:
    return float(x.replace(",", ""))


def test_never_improved():
    rng = np.random.default_rng(0)
    val = 0.5 + np.linspace(0, 0.3, 30) + rng.normal(0, 0.002, 30)
    val[0] = 0.49  # the first reading is the best
    how, text = improvement(Facts(_diag(val)))
    assert how == "never" and "never improved on its first reading (0.49 at epoch 1)" in text


def test_improved_within_noise():
    rng = np.random.default_rng(1)
    val = 0.5 + np.abs(rng.normal(0, 0.01, 30))
    val[0] = 0.502  # the best reading is a hair below it: within the noise
    f = Facts(_diag(val))
    how, text = improvement(f)
    assert how == "within_noise", text
    if how == "within_noise":
        change, tol = (_f(x) for x in re.search(rf"a change of {NUM} against {NUM}", text).groups())
        assert change <= tol


def test_improved():
    rng = np.random.default_rng(2)
    val = np.linspace(0.9, 0.3, 30) + rng.normal(0, 0.002, 30)
    how, text = improvement(Facts(_diag(val)))
    assert how == "improved" and "never" not in text


def _runs():
    paths = sorted((ROOT / "sample_runs").glob("*.csv")) + sorted((ROOT / "sample_runs").glob("*.json"))
    paths += sorted(p for p in (ROOT / "tests" / "fixtures" / "realworld").iterdir() if p.suffix != ".md")
    bench = sorted((ROOT / "benchmarks" / "accuracy" / "runs").glob("*.csv"))
    paths += bench[::6]  # every 6th run of the benchmark: all its kinds, a fraction of the time
    return paths


CONTRADICTIONS = [
    "spike(s)",
    "(0 spike",
    "learns nothing that transfers",
    "never improved beyond its noise",
    "best so far",
]


def _half_unit(shown: str) -> float:
    """Half a unit in the last place of a number as printed: how far the printed value may sit
    from the one it rounds (4 significant digits: 0.2508 stands for 0.25075 to 0.25085)."""
    mantissa, _, exponent = shown.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 0.5 * 10 ** (-decimals + (int(exponent) if exponent else 0))


def _check_sentence(text: str, d, f: Facts | None) -> None:
    for bad in CONTRADICTIONS:
        assert bad not in text, text
    m = re.search(rf"never improved on its first reading \({NUM} at", text)
    if m and d.best_val is not None:
        first = _f(m.group(1))
        better = (first - d.best_val) if d.monitor.mode == "min" else (d.best_val - first)
        assert better <= 1e-9 * max(1.0, abs(first)) + _half_unit(m.group(1)), text
    m = re.search(rf"a change of {NUM} against {NUM} that noise explains", text)
    if m:
        assert _f(m.group(1)) <= _f(m.group(2)), text
    for m in re.finditer(r"(\d+)% of its level", text):
        assert f is not None
        assert abs(int(m.group(1)) - 100 * level_share(f)) <= 0.6, text
    for m in re.finditer(rf"first at (?:epoch|step) {NUM}, in a log that runs to (?:epoch|step) {NUM}", text):
        assert _f(m.group(1)) <= _f(m.group(2)), text
    m = re.search(rf"its trend reached {NUM} at (?:epoch|step) \d+; best reading {NUM}", text)
    if m:  # still improving: the trend's end, not a reading, is what is quoted as improving
        assert "still improving" in text


@pytest.mark.parametrize("path", _runs(), ids=lambda p: p.name)
def test_no_sentence_contradicts_its_numbers(path):
    try:
        d = overfitdoc.diagnose(str(path))
    except OverfitdocError:
        pytest.skip("not a diagnosable log")
    f = Facts(d)
    f = f if f.usable else None
    _check_sentence(d.summary, d, f)
    for framework in (None, "hf", "ultralytics"):
        for a in advise(d, context={"framework": framework}):
            _check_sentence(a.evidence, d, f)
    assert math.isfinite(d.confidence)
