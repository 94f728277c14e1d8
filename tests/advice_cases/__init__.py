"""Per-rule advice cases, as data: ``<rule_id with underscores>.py`` holds ``CASES``, a list of
dicts that ``tests/test_advice_rules.py`` turns into tests (one collector, as sqlfluff does).

A case::

    dict(
        name="late overfit",                        # shown in the test id
        history=("sample", "overfit.csv"),          # or ("sample", name, {transforms}),
                                                    #    ("build", "<builder>", {kwargs}), or
                                                    #    ("benchmark" | "fresh" | "realworld" | "generated", file)
        context={"task": "image"},                  # optional, as the CLI passes it
        expect="fire",                              # fire | silent | skipped
        evidence=["patience=6", "epoch 19"],        # substrings of the evidence (fire)
        params={"patience": 6},                     # a subset of the advice params (fire)
        score_min=0.8, score_max=1.0,               # optional bounds (fire)
        reason="no accuracy series",                # substring of the skip reason (skipped)
        hint="--task",                              # substring of the context hint (fire)
    )

Histories come from the real sample runs (``sample_runs/``), optionally transformed (see
:func:`load_case_history`), or are built from simple formulas by the builders below:
constructed series are fine in unit tests of rules.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np

from overfitdoc.analysis import diagnose
from overfitdoc.history import History, from_table
from overfitdoc.readers import load_history

SAMPLES = Path(__file__).resolve().parents[2] / "sample_runs"
BENCHMARK_RUNS = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy" / "runs"
FRESH_RUNS = Path(__file__).resolve().parents[2] / "benchmarks" / "accuracy" / "fresh_runs"
REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"  # sources: SOURCES.md there
GENERATED = Path(__file__).resolve().parents[1] / "fixtures" / "generated"


# ---------------------------------------------------------------- sample runs, transformed


@cache
def _sample(name: str) -> History:
    return load_history(str(SAMPLES / name))


def transform_sample(name: str, **t) -> History:
    """A sample run, changed by simple transformations of its real numbers:

    ``rows=N`` keeps the first N rows; ``scale={"loss": 1.3}`` multiplies a column;
    ``cummax="val_accuracy"`` replaces a column by its running maximum (never falls);
    ``lr=0.001`` or ``lr=[(0, 0.1), (30, 0.01)]`` adds a learning-rate column (constant, or
    piecewise from the given epochs); ``drop=["accuracy"]`` removes columns."""
    h = _sample(name)
    table = {"epoch": np.asarray(h.index, dtype=float)}
    table.update({k: np.asarray(v, dtype=float).copy() for k, v in h.columns.items()})
    rows = t.get("rows")
    if rows:
        table = {k: v[:rows] for k, v in table.items()}
    for col, factor in (t.get("scale") or {}).items():
        table[col] = table[col] * factor
    if t.get("cummax"):
        col = t["cummax"]
        table[col] = np.maximum.accumulate(table[col])
    if "lr" in t:
        lr = t["lr"]
        ep = table["epoch"]
        if isinstance(lr, (int, float)):
            table["lr"] = np.full(len(ep), float(lr))
        else:
            vals = np.empty(len(ep))
            for start, value in lr:
                vals[ep >= start] = value
            table["lr"] = vals
    for col in t.get("drop") or ():
        table.pop(col)
    for col, changes in (t.get("scale_rows") or {}).items():
        for row, factor in changes:
            table[col][row] *= factor
    # lists, so that NaN values stay explicit (a value that went bad, not a missing cell)
    return from_table(
        f"{name} (transformed)", h.format, {k: v.tolist() for k, v in table.items()}, index_column="epoch"
    )


# ---------------------------------------------------------------- constructed histories


def _table(loss, val_loss, acc=None, val_acc=None, lr=None, base=1):
    n = len(loss)
    t = {
        "epoch": np.arange(n, dtype=float) + base,
        "loss": np.asarray(loss, float),
        "val_loss": np.asarray(val_loss, float),
    }
    if acc is not None:
        t["accuracy"], t["val_accuracy"] = np.asarray(acc, float), np.asarray(val_acc, float)
    if lr is not None:
        t["lr"] = np.asarray(lr, float)
    return {k: v.tolist() for k, v in t.items()}  # lists keep NaN explicit


def _noise(n, scale, seed):
    return np.random.default_rng(seed).normal(0, scale, n)


def early_gap(n=50, seed=0):
    """Training falls to almost zero from the first epochs; validation improves for two
    epochs, then rises steadily: a model far too big for its data."""
    e = np.arange(n)
    loss = 0.7 * np.exp(-e / 4) + 0.01
    val = 0.62 - 0.05 * np.minimum(e, 2) + 0.012 * np.maximum(e - 2, 0) + _noise(n, 0.004, seed)
    return _table(loss, val)


def offset_gap(n=40, seed=1, floor=0.3, drop=0.5, offset=0.3):
    """Both curves fall together, validation a constant ``offset`` above training from epoch 1:
    an offset between the data sets, not memorization."""
    e = np.arange(n)
    loss = floor + drop * np.exp(-e / 6)
    val = loss + offset + _noise(n, 0.003, seed)
    return _table(loss, val)


def flat(n=30, level=math.log(2), seed=2):
    """A model that does not learn: the loss sits at ln(2) from start to end."""
    loss = level + _noise(n, 0.001, seed)
    val = level + _noise(n, 0.002, seed + 1)
    return _table(loss, val)


def val_better(n=40, factor=1.35, seed=3):
    """Converging curves where validation ends clearly below training."""
    e = np.arange(n)
    val = 0.2 + 0.4 * np.exp(-e / 5) + _noise(n, 0.002, seed)
    loss = factor * (0.2 + 0.4 * np.exp(-e / 5))
    return _table(loss, val)


def perfect_val(n=30, seed=4):
    """Validation accuracy at 1.0 while training accuracy stays near 0.9."""
    e = np.arange(n)
    loss = 0.3 + 0.3 * np.exp(-e / 5)
    val = 0.05 + 0.3 * np.exp(-e / 3) + _noise(n, 0.002, seed)
    acc = 0.9 - 0.2 * np.exp(-e / 5)
    val_acc = np.minimum(1.0, 0.97 + 0.03 * (e >= 5))
    return _table(loss, val, acc, val_acc)


def noisy_val(n=40, seed=5):
    """Smooth training, validation that jumps by up to 80% of its level around a level a
    little above training: a validation set too small for its noise."""
    e = np.arange(n)
    loss = 0.3 + 0.05 * np.exp(-e / 6)
    level = loss + 0.03
    val = level * (1 + np.random.default_rng(seed).uniform(-0.8, 0.8, n))
    return _table(loss, val)


def drifting_up(n=40, seed=9):
    """Both curves fall for 10 epochs, then climb smoothly together to well above where they
    started: training itself got worse (unstable), with no spike and no noisy validation."""
    e = np.arange(n)
    loss = 0.5 - 0.02 * np.minimum(e, 10) + 0.025 * np.maximum(e - 10, 0) + _noise(n, 0.002, seed)
    val = loss + 0.05 + _noise(n, 0.002, seed + 1)
    return _table(loss, val)


def spiky(n=30, nan_at=None, early=True, lr=0.5, seed=6):
    """Training with spikes (at epochs 2 and 9 when ``early``, else 20 and 24), optionally
    non-finite from ``nan_at`` on; a constant ``lr`` column."""
    e = np.arange(n)
    loss = 0.6 * np.exp(-e / 8) + 0.2 + _noise(n, 0.01, seed)
    val = loss + 0.02 + _noise(n, 0.01, seed + 1)
    for s in (2, 9) if early else (20, 24):
        loss[s] *= 2.5
        val[s] *= 2.0
    if nan_at is not None:
        loss[nan_at:] = np.nan
        val[nan_at:] = np.nan
    return _table(loss, val, lr=np.full(n, lr))


def slow_learner(n=40, seed=7):
    """High loss still falling steadily at the end, validation right on it; a small
    constant lr column."""
    e = np.arange(n)
    loss = 2.2 - 0.012 * e + _noise(n, 0.002, seed)
    val = loss + 0.005 + _noise(n, 0.002, seed + 1)
    return _table(loss, val, lr=np.full(n, 1e-5))


def u_with_flat_accuracy(n=60, seed=8):
    """Validation loss bottoms out at epoch 20 and rises while validation accuracy keeps
    rising slowly: the Keras L2-penalty picture."""
    e = np.arange(n)
    loss = 0.2 + 0.5 * np.exp(-e / 8)
    val = 0.45 + 0.3 * np.exp(-e / 6) + 0.004 * np.maximum(e - 20, 0) ** 1.2 + _noise(n, 0.002, seed)
    acc = 0.95 - 0.3 * np.exp(-e / 8)
    val_acc = 0.88 - 0.3 * np.exp(-e / 6) + 0.0005 * e + _noise(n, 0.001, seed + 1)
    return _table(loss, val, acc, val_acc)


def no_validation(n=20):
    """A log with training series only."""
    e = np.arange(n, dtype=float)
    return {"epoch": e, "loss": 0.7 * np.exp(-e / 5), "accuracy": 1 - 0.5 * np.exp(-e / 5)}


BUILDERS = {
    f.__name__: f
    for f in (
        early_gap,
        offset_gap,
        flat,
        val_better,
        perfect_val,
        noisy_val,
        spiky,
        drifting_up,
        slow_learner,
        u_with_flat_accuracy,
        no_validation,
    )
}


def load_case_history(spec) -> History:
    kind, name, *rest = spec
    kwargs = rest[0] if rest else {}
    if kind == "sample":
        return transform_sample(name, **kwargs) if kwargs else _sample(name)
    if kind == "benchmark":  # a real run of the accuracy benchmark (benchmarks/accuracy/generate.py)
        return load_history(str(BENCHMARK_RUNS / name))
    if kind == "fresh":  # a real run of the second held-out set (benchmarks/accuracy/fresh.py)
        return load_history(str(FRESH_RUNS / name))
    if kind == "realworld":  # a log from a public repository
        return load_history(str(REALWORLD / name))
    if kind == "generated":  # a run trained by tests/fixtures/generated/make_generated.py
        return load_history(str(GENERATED / name))
    if kind == "build":
        table = BUILDERS[name](**kwargs)
        return from_table(f"{name}", "keras-csv", table, index_column="epoch")
    raise ValueError(f"unknown history kind {kind!r}")


@cache
def _diagnosis_cached(key: str):
    import json

    return diagnose(load_case_history(json.loads(key)))


def case_diagnosis(spec):
    import json

    return _diagnosis_cached(json.dumps(spec, sort_keys=True))
