"""`rerun --batched`: runs that differ only in their recipe train as one stacked model
(torch.func + vmap) and their histories match the threaded path's for the same seeds, member by
member, to rtol 1e-4 over every epoch (measured: about 1e-6 on CPU, the rounding of a batched
matrix product); runs that cannot be stacked run threaded with a one-line reason."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from overfitdoc.rerun import rerun  # noqa: E402
from overfitdoc.rerun.batched import enabled  # noqa: E402

from .conftest import ROOT  # noqa: E402

RTOL = 1e-4

# SGD with momentum: the stacked step's other optimizer; weight decay is coupled there
SGD = """
import torch
from torch import nn

epochs = 12
batch_size = 16

def model():
    return nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 3))

def data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(120, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return (x[:50], y[:50]), (x[50:], y[50:])

def optimizer(params):
    return torch.optim.SGD(params, lr=0.2, momentum=0.9, nesterov=True)
"""

BATCHNORM = """
import torch
from torch import nn

epochs = 3

def model():
    return nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))

def data():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(64, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return (x[:40], y[:40]), (x[40:], y[40:])
"""


def both(spec: str, fixes: str, **kw):
    kw = dict(fixes=fixes, device="cpu", jobs=1, plot=False, **kw)
    return rerun(spec, batched=False, **kw), rerun(spec, batched=True, **kw)


def assert_same_histories(threaded, batched) -> int:
    compared = 0
    for a in threaded.units:
        b = batched.unit(a.variant.name, a.seed)
        assert (a.status, len(a.rows), a.kept_epoch) == (b.status, len(b.rows), b.kept_epoch), a.label
        for key in a.rows[0]:
            x = np.array([r[key] for r in a.rows])
            y = np.array([r[key] for r in b.rows])
            np.testing.assert_allclose(y, x, rtol=RTOL, atol=1e-7, err_msg=f"{a.label} {key}")
        compared += 1
    return compared


def stacked_variants(result) -> set[str]:
    return {v for st in result.report["setup"]["batched"]["stacks"] for v in st["variants"]}


def test_batched_members_match_the_threaded_runs_adam(tmp_path):
    spec = str(ROOT / "examples" / "binary_mlp.py")
    fixes = "early-stopping,weight-decay,higher-lr,label-smoothing,lr-schedule,gradient-clipping"
    threaded, batched = both(spec, fixes, seeds=2, epochs=25)
    assert threaded.report["setup"]["batched"] is None
    assert stacked_variants(batched) == {"baseline", *fixes.split(",")}
    assert assert_same_histories(threaded, batched) == 14
    # early stopping stopped inside the stack while the others went on
    es = batched.unit("early-stopping", 0)
    assert len(es.rows) < len(batched.unit("baseline", 0).rows) == 25
    # each member ends with a model of its own, the weights of its kept epoch
    base, wd = batched.unit("baseline", 0).model, batched.unit("weight-decay", 0).model
    assert all(
        p.untyped_storage().data_ptr() != q.untyped_storage().data_ptr()
        for p, q in zip(base.parameters(), wd.parameters())
    )


def test_batched_members_match_the_threaded_runs_sgd_momentum(tmp_path):
    spec = tmp_path / "sgd.py"
    spec.write_text(textwrap.dedent(SGD))
    threaded, batched = both(str(spec), "weight-decay,lower-lr,warmup", seeds=2)
    assert stacked_variants(batched) == {"baseline", "weight-decay", "lower-lr", "warmup"}
    assert assert_same_histories(threaded, batched) == 8


def test_what_cannot_be_stacked_runs_threaded_with_its_reason(tmp_path):
    spec = str(ROOT / "examples" / "dropout_mlp.py")  # its own nn.Dropout: vmap cannot keep each run's stream
    res = rerun(spec, fixes="weight-decay,data-augmentation", seeds=1, epochs=2, device="cpu", plot=False, batched=True)
    b = res.report["setup"]["batched"]
    assert b["stacks"] == []
    reasons = {t["variant"]: t["reason"] for t in b["threaded"]}
    assert "random numbers in its forward pass" in reasons["baseline"]
    assert "data-augmentation changes each run's batches" in reasons["data-augmentation"]
    assert all(u.status == "done" for u in res.units)
    bn = tmp_path / "bn.py"
    bn.write_text(textwrap.dedent(BATCHNORM))
    res = rerun(str(bn), fixes="weight-decay", seeds=2, device="cpu", plot=False, batched=True)
    assert res.report["setup"]["batched"]["stacks"] == []
    assert "BatchNorm1d" in res.report["setup"]["batched"]["threaded"][0]["reason"]
    assert all(u.status == "done" for u in res.units)


def test_batched_is_on_by_default_on_cuda_only():
    assert enabled(None, torch.device("cuda")) and not enabled(None, torch.device("cpu"))
    assert enabled(True, torch.device("cpu")) and not enabled(False, torch.device("cuda"))
