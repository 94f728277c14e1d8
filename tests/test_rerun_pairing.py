"""Pairing that holds when the spec has randomness of its own: every run sets torch's global
generators, numpy's and Python's `random` from its own seed, and concurrent runs that draw
from them take turns with their own saved states. With examples/dropout_mlp.py (its own
nn.Dropout(0.5)), early stopping's history is the baseline's until it stops, and two
invocations with --jobs 2 print the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

from overfitdoc.rerun import rerun  # noqa: E402

from .conftest import ROOT  # noqa: E402

#: what differs between two identical invocations: timings and where the files went
NOT_NUMBERS = {"seconds", "wall_seconds", "out_dir", "history", "history_csv", "outputs"}


def numbers(d):
    if isinstance(d, dict):
        return {k: numbers(v) for k, v in d.items() if k not in NOT_NUMBERS}
    if isinstance(d, list):
        return [numbers(v) for v in d]
    return d


def test_dropout_mlp_is_paired_and_reproducible_with_two_jobs(tmp_path):
    # two processes, as two invocations are (and no thread another test left behind can draw in them)
    results = []
    for i in (1, 2):
        out = tmp_path / f"out{i}"
        r = subprocess.run(
            [sys.executable, "-m", "overfitdoc", "rerun", str(ROOT / "examples" / "dropout_mlp.py")]
            + ["--fixes", "early-stopping", "--seeds", "2", "--jobs", "2", "--epochs", "20", "--device", "cpu"]
            + ["--format", "json", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        results.append(json.loads(r.stdout))
    first, second = results
    assert first["setup"]["jobs"] == 2
    assert numbers(first) == numbers(second)  # every number, to the last digit
    out = tmp_path / "out1"
    stopped = 0
    for seed in (0, 1):
        base = json.loads((out / f"baseline-seed{seed}.json").read_text())
        es = json.loads((out / f"early-stopping-seed{seed}.json").read_text())
        assert len(base) == 20
        stopped += len(es) < len(base)
        assert es == base[: len(es)]  # early stopping changes nothing before it stops
    assert stopped  # it did stop, in at least one seed
    seed0, seed1 = (json.loads((out / f"baseline-seed{s}.json").read_text()) for s in (0, 1))
    assert seed0 != seed1


# randomness in forward() from torch's global generator, with no dropout module
NOISY_FORWARD = """
import torch
from torch import nn

epochs = 8
batch_size = 8

class Noisy(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        if self.training:
            x = x + 0.5 * torch.randn_like(x)
        return self.net(x)

def model():
    return Noisy()

def data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(48, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return (x[:24], y[:24]), (x[24:], y[24:])
"""


def test_any_draw_from_the_global_generator_is_seen_and_paired(tmp_path):
    path = tmp_path / "spec.py"
    path.write_text(textwrap.dedent(NOISY_FORWARD))

    def go(jobs):
        return rerun(
            str(path), fixes="swa", seeds=2, jobs=jobs, device="cpu", out_dir=None, plot=False, keep_trainers=True
        )

    a, b = go(2), go(1)
    for seed in (0, 1):
        assert a.unit("baseline", seed).trainer.draws_globals is True  # seen in its first epoch
        assert a.unit("baseline", seed).rows == b.unit("baseline", seed).rows  # threads or not
        assert a.unit("swa", seed).rows[:6] == a.unit("baseline", seed).rows[:6]  # swa starts at epoch 7
    quiet = path.read_text().replace("x = x + 0.5 * torch.randn_like(x)", "x = x + 0.5")
    path.write_text(quiet)
    c = go(2)
    assert c.unit("baseline", 0).trainer.draws_globals is False  # a first epoch without a draw: no lock after it
