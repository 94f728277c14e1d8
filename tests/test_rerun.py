"""`overfitdoc rerun` on the CPU with tiny specs and few epochs: each fix changes what it
should, histories are valid, paired seeds reproduce the baseline, an interruption keeps what
was done, bad specs give one line and exit 2, and torch stays out of `import overfitdoc.cli`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

from typer.testing import CliRunner  # noqa: E402

from overfitdoc import load_history  # noqa: E402
from overfitdoc.cli import app  # noqa: E402
from overfitdoc.rerun import TORCH_MISSING, rerun  # noqa: E402

from .conftest import ROOT  # noqa: E402

runner = CliRunner()

# 3 classes from 8 features; a `width` keyword; small enough for 64 samples to overfit
TINY = """
import torch
from torch import nn

epochs = 4
batch_size = 16

def model(width=1.0):
    h = max(2, round(32 * width))
    return nn.Sequential(nn.Linear(8, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 3))

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(112, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return (x[:64], y[:64]), (x[64:], y[64:])
"""

# random labels, a large learning rate: the validation loss climbs after a few epochs
OVERFITS = """
import torch
from torch import nn

epochs = 30
batch_size = 8

def model():
    return nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 2))

def data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(48, 4, generator=g)
    y = torch.randint(0, 2, (48,), generator=g)
    return (x[:16], y[:16]), (x[16:], y[16:])

def optimizer(params):
    return torch.optim.Adam(params, lr=0.02)
"""


def spec(tmp_path, body: str = TINY, name: str = "spec.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def run(tmp_path, fixes: str, body: str = TINY, **kw):
    kw.setdefault("out_dir", str(tmp_path / "out"))
    kw.setdefault("device", "cpu")
    kw.setdefault("seeds", 1)
    kw.setdefault("plot", False)  # the comparison figure is tested in test_rerun_outputs.py
    return rerun(spec(tmp_path, body), fixes=fixes, keep_trainers=True, **kw)


def cli(*args):
    return runner.invoke(app, ["rerun", *args], catch_exceptions=False)


# ---------------------------------------------------------------- torch stays optional


def test_cli_and_diagnose_do_not_import_torch():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import overfitdoc.cli\n"
        "assert 'torch' not in sys.modules, 'import overfitdoc.cli imported torch'\n"
        "r = CliRunner().invoke(overfitdoc.cli.app, ['diagnose', 'sample_runs/overfit.csv', '--no-chart'])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert 'torch' not in sys.modules, 'overfitdoc diagnose imported torch'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_without_torch_rerun_says_how_to_install(tmp_path):
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        f"sys.argv = ['overfitdoc', 'rerun', {spec(tmp_path)!r}]\n"
        "from overfitdoc.cli import main\n"
        "main()\n"
    )
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 2
    assert p.stderr == f"Error: {TORCH_MISSING}\n"


# ---------------------------------------------------------------- each fix does what it says


def test_weight_decay_switches_adam_to_adamw(tmp_path):
    res = run(tmp_path, "weight-decay", epochs=1)
    base = res.unit("baseline").trainer.optimizer
    opt = res.unit("weight-decay").trainer.optimizer
    assert type(base) is torch.optim.Adam and all(g["weight_decay"] == 0 for g in base.param_groups)
    assert type(opt) is torch.optim.AdamW
    decays = {p.dim() >= 2: g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert decays == {True: 0.1, False: 0.0}  # weights decayed, biases not
    assert all(g["lr"] == 1e-3 for g in opt.param_groups)


def test_weight_decay_on_other_optimizers_sets_param_groups(tmp_path):
    body = TINY + "\ndef optimizer(params):\n    return torch.optim.SGD(params, lr=0.05, momentum=0.9)\n"
    res = run(tmp_path, "weight-decay", body, epochs=1)
    opt = res.unit("weight-decay").trainer.optimizer
    assert type(opt) is torch.optim.SGD and all(g["weight_decay"] == 5e-4 for g in opt.param_groups)


def test_dropout_hooks_act_in_train_mode_only(tmp_path):
    res = run(tmp_path, "dropout", epochs=1)
    trainer = res.unit("dropout").trainer
    model = trainer.model
    assert len(trainer.dropout_handles) == 2  # after both hidden ReLUs, not on the output
    x = torch.randn(32, 8)
    model.eval()
    with torch.no_grad():
        hooked = model(x)
        for h in trainer.dropout_handles:
            h.remove()
        plain = model(x)
    assert torch.equal(hooked, plain)  # inactive in eval mode
    trainer2 = run(tmp_path, "dropout", epochs=1).unit("dropout").trainer
    m2 = trainer2.model.train()
    with torch.no_grad():
        a, b = m2(x), m2(x)
        m2.eval()
        c = m2(x)
    assert not torch.equal(a, b) and not torch.equal(a, c)  # active (and random) in train mode
    # the user's class is untouched: a fresh model has no hooks
    assert all(not m._forward_hooks for m in trainer.prep.build_model(0).modules())


def test_dropout_without_activation_modules_hooks_before_linear_layers(tmp_path):
    body = TINY.replace(
        "def model(width=1.0):",
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.a, self.b = nn.Linear(8, 16), nn.Linear(16, 3)\n"
        "    def forward(self, x):\n"
        "        return self.b(torch.relu(self.a(x)))\n\n"
        "def unused(width=1.0):",
    )
    body += "\ndef model():\n    return Net()\n"
    trainer = run(tmp_path, "dropout", body, epochs=1).unit("dropout").trainer
    assert len(trainer.dropout_handles) == 1
    assert trainer.model.b._forward_pre_hooks and not trainer.model.a._forward_pre_hooks


def test_label_smoothing_in_the_training_loss_only(tmp_path):
    trainer = run(tmp_path, "label-smoothing", epochs=1).unit("label-smoothing").trainer
    assert isinstance(trainer.train_criterion, torch.nn.CrossEntropyLoss)
    assert trainer.train_criterion.label_smoothing == 0.1
    assert trainer.criterion.label_smoothing == 0.0  # logged and validated without smoothing


def test_label_smoothing_for_binary_targets(tmp_path):
    body = TINY.replace("nn.Linear(h, 3)", "nn.Linear(h, 1)").replace(
        "(x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()", "(x[:, 0] > 0).float()"
    )
    res = run(tmp_path, "label-smoothing", body, epochs=1)
    assert res.to_dict()["setup"]["loss"] == "BCE-with-logits"
    crit = res.unit("label-smoothing").trainer.train_criterion
    assert crit.label_smoothing == 0.1
    out, y = torch.zeros(4, 1), torch.tensor([0.0, 1.0, 1.0, 0.0])
    assert float(crit(out, y)) == pytest.approx(float(res.prep.criterion(out, y)))  # logit 0: smoothing is neutral
    assert float(crit(torch.full((4, 1), 5.0), torch.ones(4))) > float(
        res.prep.criterion(torch.full((4, 1), 5.0), torch.ones(4))
    )


def test_early_stopping_restores_the_best_weights(tmp_path):
    res = run(tmp_path, "early-stopping", OVERFITS)
    unit = res.unit("early-stopping")
    rows = unit.rows
    best = min(rows, key=lambda r: r["val_loss"])
    assert len(rows) < 30, "the validation loss should have turned and stopped training"
    assert unit.kept_epoch == best["epoch"]
    assert unit.trainer.evaluate(unit.model)["val_loss"] == pytest.approx(best["val_loss"], rel=1e-6)
    v = res.to_dict()["variants"][1]
    assert v["kept_val_loss"]["mean"] == pytest.approx(best["val_loss"])
    assert v["change"]["mean"] < 0  # better than the overtrained baseline's last epoch


def test_mixup_and_noise_change_the_batch(tmp_path):
    trainer = run(tmp_path, "data-augmentation", epochs=1).unit("data-augmentation").trainer
    from overfitdoc.rerun.trainer import TrainBatch

    x, y = torch.randn(16, 8), torch.randint(0, 3, (16,))
    (transform,) = trainer.batch_transforms
    out = transform(TrainBatch((x,), y))
    assert out.inputs[0].shape == x.shape and not torch.allclose(out.inputs[0], x)
    other, lam = out.mix
    assert 0.0 <= lam <= 1.0 and other.shape == y.shape and sorted(other.tolist()) == sorted(y.tolist())
    assert torch.equal(out.y, y)


def test_image_batches_are_flipped_and_cropped(tmp_path):
    body = """
    import torch
    from torch import nn
    epochs = 1
    def model():
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 2))
    def data():
        g = torch.Generator().manual_seed(0)
        x = torch.rand(40, 1, 8, 8, generator=g)
        y = torch.randint(0, 2, (40,), generator=g)
        return (x[:24], y[:24]), (x[24:], y[24:])
    """
    res = run(tmp_path, "data-augmentation,dropout", body)
    what = next(v for v in res.to_dict()["variants"] if v["name"] == "data-augmentation")["what"][0]
    assert "flip" in what and "crop" in what
    trainer = res.unit("data-augmentation").trainer
    from overfitdoc.rerun.trainer import TrainBatch

    x = torch.arange(2 * 64, dtype=torch.float32).reshape(2, 1, 8, 8)
    out = trainer.batch_transforms[0](TrainBatch((x,), torch.zeros(2))).inputs[0]
    assert out.shape == x.shape and not torch.equal(out, x)
    assert set(out.flatten().tolist()) <= set(x.flatten().tolist())  # moved pixels, not new values
    # channel-wise dropout on the feature maps, hooked after the ReLU before the Linear layer
    assert len(res.unit("dropout").trainer.dropout_handles) == 1


def test_one_cycle_scheduler_steps_every_batch(tmp_path):
    res = run(tmp_path, "lr-schedule")
    trainer = res.unit("lr-schedule").trainer
    (sched,) = trainer.step_schedulers
    assert isinstance(sched, torch.optim.lr_scheduler.OneCycleLR)
    assert sched.last_epoch == trainer.steps == 4 * 4  # 4 epochs of 64 samples in batches of 16
    lrs = [r["learning_rate"] for r in res.unit("lr-schedule").rows]
    assert max(lrs) > 1e-3 and lrs[-1] < 1e-4  # up to 4 x the spec's rate, then down
    assert {r["learning_rate"] for r in res.unit("baseline").rows} == {1e-3}


def test_lower_and_higher_lr_scale_the_rate(tmp_path):
    res = run(tmp_path, "lower-lr,higher-lr", epochs=1)
    assert [r["learning_rate"] for r in res.unit("lower-lr").rows] == [pytest.approx(1e-4)]
    assert [r["learning_rate"] for r in res.unit("higher-lr").rows] == [pytest.approx(3e-3)]
    what = {v["name"]: v["what"][0] for v in res.to_dict()["variants"][1:]}
    assert what == {
        "lower-lr": "Adam: lr 0.001 -> 0.0001 on every parameter group",
        "higher-lr": "Adam: lr 0.001 -> 0.003 on every parameter group",
    }


# targets of 1000s: the MSE gradient is far above a norm of 1 at every step
STEEP = TINY.replace("nn.Linear(h, 3)", "nn.Linear(h, 1)").replace(
    "(x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()", "1000.0 * x[:, 0]"
)


def test_gradient_clipping_caps_the_norm_and_counts_the_clipped_steps(tmp_path):
    res = run(tmp_path, "gradient-clipping", STEEP, epochs=2)
    unit = res.unit("gradient-clipping")
    t = unit.trainer
    norm = torch.nn.utils.get_total_norm([p.grad for p in t.model.parameters() if p.grad is not None])
    assert float(norm) <= 1.0 + 1e-4  # the last step's gradient, clipped in place
    assert t.clipped_steps == t.steps == 8  # 2 epochs of 64 samples in batches of 16
    assert "above 1 (clipped) on 8 of 8 steps" in " ".join(unit.notes)
    assert res.to_dict()["variants"][1]["what"] == ["clip_grad_norm_(max_norm=1) before every step"]


def test_warmup_ramps_the_rate_over_a_tenth_of_the_steps(tmp_path):
    res = run(tmp_path, "warmup", epochs=20)
    unit = res.unit("warmup")
    (sched,) = unit.trainer.step_schedulers
    assert sched.last_epoch == unit.trainer.steps == 80  # 20 epochs of 4 steps: 8 warm-up steps
    lrs = [r["learning_rate"] for r in unit.rows]  # the rate the next step will use
    assert lrs[0] == pytest.approx(1e-3 * 5 / 8) and all(x == pytest.approx(1e-3) for x in lrs[1:])
    assert [sched.lr_lambdas[0](s) for s in (0, 3, 7, 30)] == [1 / 8, 4 / 8, 1.0, 1.0]
    assert "over the first 8 steps" in res.to_dict()["variants"][1]["what"][0]


def test_swa_validates_and_keeps_the_averaged_model(tmp_path):
    res = run(tmp_path, "swa", epochs=8)
    unit = res.unit("swa")
    swa = unit.trainer.swa_model
    assert isinstance(swa, torch.optim.swa_utils.AveragedModel)
    assert unit.model is swa.module
    assert int(swa.n_averaged) == 8 - 6  # epochs 7 and 8 (from 1)
    assert "epochs 7-8" in res.to_dict()["variants"][1]["what"][0]
    assert "weights averaged from epoch 7" in " ".join(unit.notes)
    assert unit.trainer.evaluate(swa)["val_loss"] == pytest.approx(unit.rows[-1]["val_loss"], rel=1e-6)
    live = unit.trainer.evaluate(unit.trainer.model)["val_loss"]
    assert live != pytest.approx(unit.rows[-1]["val_loss"], rel=1e-9)


def test_smaller_batch_and_smaller_model(tmp_path):
    res = run(tmp_path, "smaller-batch,smaller-model", epochs=1)
    assert res.unit("smaller-batch").trainer.steps == 8  # 64 samples in batches of 8
    small = res.unit("smaller-model").model
    assert small[0].out_features == 16
    d = res.to_dict()["variants"]
    assert "batch size 16 -> 8" in d[1]["what"][0] and "model(width=0.5)" in d[2]["what"][0]


def test_combined_fixes_install_together(tmp_path):
    res = run(tmp_path, "weight-decay+dropout+lr-schedule", epochs=3)
    t = res.unit("weight-decay+dropout+lr-schedule").trainer
    assert type(t.optimizer) is torch.optim.AdamW and t.dropout_handles
    assert t.step_schedulers[0].optimizer is t.optimizer  # the schedule drives the new optimizer


def test_fixes_that_cannot_apply_are_skipped_with_a_reason(tmp_path):
    # no width keyword, and a forward() that hard-codes the hidden width: no smaller model
    body = TINY.replace("def model(width=1.0):", "def model():").replace("round(32 * width)", "32")
    body = body.replace(
        "    return nn.Sequential(nn.Linear(8, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 3))",
        "    return Net()",
    ) + textwrap.dedent("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Linear(8, 32), nn.Linear(32, 3)
            def forward(self, x):
                return self.b(torch.relu(self.a(x)).view(x.shape[0], 32))
        """)
    res = run(tmp_path, "smaller-model,swa,dropout", body, epochs=2)
    d = res.to_dict()
    assert [v["name"] for v in d["variants"]] == ["baseline", "dropout"]
    reasons = {s["fix"]: s["reason"] for s in d["fixes"]["skipped"]}
    assert reasons["smaller-model"].startswith(
        "model() takes no `width` or `scale` keyword and cannot be rebuilt smaller: its forward() fails on the "
        "rebuilt layers (RuntimeError: "
    )
    assert "too few" in reasons["swa"]
    reg = TINY.replace("nn.Linear(h, 3)", "nn.Linear(h, 1)").replace(
        "(x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()", "x[:, 0] * 2.0"
    )
    d = run(tmp_path, "label-smoothing", reg, epochs=1).to_dict()
    assert d["setup"]["loss"] == "MSE" and d["setup"]["metric"] is None
    assert "regression" in d["fixes"]["skipped"][0]["reason"]


# ---------------------------------------------------------------- histories, seeds, interruption


def test_histories_are_keras_csv_that_overfitdoc_reads(tmp_path):
    res = run(tmp_path, "weight-decay", seeds=2)
    for v in ("baseline", "weight-decay"):
        for s in (0, 1):
            h = load_history(str(tmp_path / "out" / f"{v}-seed{s}.csv"))
            assert h.format == "keras-csv" and h.epoch_base == 1 and len(h) == 4
            assert {p.metric for p in h.pairs} == {"loss", "accuracy"}
    d = res.to_dict()
    assert d["variants"][0]["runs"][0]["verdict"] is not None
    assert d["variants"][1]["change"]["noise_basis"] == "seeds"


def test_paired_seeds_reproduce_the_baseline_and_share_the_start(tmp_path):
    a = run(tmp_path, "swa", epochs=8, seeds=2, jobs=2)
    b = run(tmp_path, "swa", epochs=8, seeds=2, jobs=1)
    for seed in (0, 1):
        assert a.unit("baseline", seed).rows == b.unit("baseline", seed).rows  # threads or not, same numbers
        # swa changes nothing before epoch 7: same weights, same batches, same numbers
        assert a.unit("swa", seed).rows[:6] == a.unit("baseline", seed).rows[:6]
    assert a.unit("baseline", 0).rows != a.unit("baseline", 1).rows


# its own nn.Dropout: draws from torch's global generator in training mode
DROPOUT = """
import torch
from torch import nn

epochs = 12
batch_size = 8

def model():
    return nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 2))

def data():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(48, 4, generator=g)
    y = torch.randint(0, 2, (48,), generator=g)
    return (x[:16], y[:16]), (x[16:], y[16:])

def optimizer(params):
    return torch.optim.Adam(params, lr=0.02)
"""


def test_a_spec_with_its_own_dropout_is_paired_and_reproducible_with_jobs(tmp_path):
    a = run(tmp_path, "early-stopping", body=DROPOUT, seeds=2, jobs=2)
    b = run(tmp_path, "early-stopping", body=DROPOUT, seeds=2, jobs=2)
    for seed in (0, 1):
        base, es = a.unit("baseline", seed).rows, a.unit("early-stopping", seed).rows
        assert base == b.unit("baseline", seed).rows and es == b.unit("early-stopping", seed).rows
        assert es == base[: len(es)]  # identical to the baseline until it stops
    assert a.unit("baseline", 0).rows != a.unit("baseline", 1).rows


def test_dataset_too_big_to_hold_goes_through_a_dataloader(tmp_path, monkeypatch):
    from overfitdoc.rerun import data as data_mod

    monkeypatch.setattr(data_mod, "MATERIALIZE_MAX_ITEMS", 10)
    body = TINY + textwrap.dedent("""
        class Pairs(torch.utils.data.Dataset):
            def __init__(self, x, y):
                self.x, self.y = x, y
            def __len__(self):
                return len(self.y)
            def __getitem__(self, i):
                return self.x[i], self.y[i]

        _plain = data
        def data():
            (x, y), (vx, vy) = _plain()
            return Pairs(x, y), Pairs(vx, vy)
        """)
    res = run(tmp_path, "early-stopping", body, epochs=5)
    assert type(res.prep.train).__name__ == "LoaderSplit"
    assert res.unit("early-stopping").rows == res.unit("baseline").rows  # same batches, same order


def test_interrupt_keeps_finished_and_partial_histories(tmp_path):
    def interrupt(unit, epoch, logs):
        if unit.variant.name == "dropout" and epoch == 2:
            raise KeyboardInterrupt

    res = run(tmp_path, "weight-decay,dropout,swa", epochs=4, jobs=1, on_epoch=interrupt)
    d = res.to_dict()
    assert d["interrupted"] is True
    status = {v["name"]: v["runs"][0]["status"] for v in d["variants"]}
    assert status == {"baseline": "done", "weight-decay": "done", "dropout": "partial", "swa": "pending"}
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "baseline-seed0.csv",
        "baseline-seed0.json",
        "dropout-seed0.csv",
        "dropout-seed0.json",
        "summary.json",
        "weight-decay-seed0.csv",
        "weight-decay-seed0.json",
    ]
    assert len(load_history(str(out / "dropout-seed0.csv"))) == 2  # the epochs it finished
    assert len(load_history(str(out / "dropout-seed0.json"))) == 2
    from rich.console import Console

    from overfitdoc.rerun.render import render

    con = Console(width=120, record=True, color_system=None)
    con.print(render(d))
    assert "Interrupted: kept 2 finished and 1 partial history" in con.export_text()


def test_interrupt_with_concurrent_runs(tmp_path):
    def interrupt(unit, epoch, logs):
        if unit.variant.name == "weight-decay" and epoch == 1:
            raise KeyboardInterrupt

    res = run(tmp_path, "weight-decay,dropout", epochs=50, jobs=2, on_epoch=interrupt)
    assert res.interrupted
    statuses = {u.variant.name: u.status for u in res.units}
    assert statuses["weight-decay"] == "partial"
    assert all(s in ("done", "partial", "pending") for s in statuses.values())
    for u in res.units:
        if u.rows:
            assert (tmp_path / "out" / f"{u.file_stem}.csv").exists()


# ---------------------------------------------------------------- choosing fixes


def test_auto_without_advice_uses_the_default_order_for_the_verdict(tmp_path, monkeypatch):
    import overfitdoc.advice as advice

    monkeypatch.setattr(advice, "advise", lambda *a, **k: [])
    d = run(tmp_path, "auto", OVERFITS, top=2, epochs=12).to_dict()
    assert d["fixes"]["diagnosis"]["source"] == "baseline (seed 0)"
    verdict = d["fixes"]["diagnosis"]["verdict"]
    from overfitdoc.rerun.fixes import DEFAULT_ORDER

    assert d["fixes"]["chosen_by"] == f"the default order for {verdict.replace('_', ' ')}"
    assert [v["name"] for v in d["variants"][1:]] == list(DEFAULT_ORDER[verdict][:2])


def test_auto_follows_the_advice_of_a_given_history(tmp_path, monkeypatch):
    import overfitdoc.advice as advice

    class Entry:
        def __init__(self, i, params=None):
            self.id, self.params = i, params or {}

    monkeypatch.setattr(
        advice,
        "advise",
        lambda *a, **k: [Entry("more-data"), Entry("swa"), Entry("dropout", {"rate": 0.5, "other": 1})],
    )
    d = run(tmp_path, "auto", history="sample_runs/overfit.csv", epochs=5).to_dict()
    assert d["fixes"]["diagnosis"]["source"] == "sample_runs/overfit.csv"
    assert [v["name"] for v in d["variants"]] == ["baseline", "swa", "dropout"]
    assert d["fixes"]["skipped"][0]["fix"] == "more-data" and "not automatic" in d["fixes"]["skipped"][0]["reason"]
    assert d["variants"][2]["what"][0].startswith("p=0.5 ")  # the advice's rate, not the default 0.25


def test_auto_fixes_take_the_strengths_the_advice_computed(tmp_path):
    """The real advice of sample_runs/overfit.csv: patience 6 (from its validation noise),
    dropout 0.3, AdamW weight decay 0.1; the fixes named by hand keep their defaults."""
    from overfitdoc import diagnose
    from overfitdoc.advice import advise

    params = {a.id: a.params for a in advise(diagnose("sample_runs/overfit.csv"))}
    assert (
        params["early-stopping"]["patience"],
        params["dropout"]["rate"],
        params["weight-decay"]["weight_decay"],
    ) == (6, 0.3, 0.1)
    d = run(tmp_path, "auto", history="sample_runs/overfit.csv", epochs=10, top=4).to_dict()
    what = {v["name"]: v["what"][0] for v in d["variants"][1:]}
    assert what["early-stopping"].startswith("stop after 6 epochs")
    assert what["weight-decay"].endswith("weight_decay=0.1) on weights")
    assert what["dropout"].startswith("p=0.3 ")
    (tmp_path / "named").mkdir()
    d = run(tmp_path / "named", "early-stopping,dropout,weight-decay", epochs=10).to_dict()
    what = {v["name"]: v["what"][0] for v in d["variants"][1:]}
    assert what["early-stopping"].startswith("stop after 3 epochs")  # 10% of 10 epochs, at least 3
    assert what["dropout"].startswith("p=0.25 ") and what["weight-decay"].endswith("weight_decay=0.1) on weights")


def test_auto_on_an_unstable_history_tries_the_cures_for_instability(tmp_path):
    """The real advice of sample_runs/unstable.csv ranks lower-lr, gradient-clipping and
    warm-up first: rerun applies all three (it skipped them before they were fixes)."""
    d = run(tmp_path, "auto", history="sample_runs/unstable.csv", epochs=3, top=3).to_dict()
    assert d["variants"][0]["name"] == "baseline"  # the others are ranked by their result
    assert {v["name"] for v in d["variants"][1:]} == {"lower-lr", "gradient-clipping", "warmup"}
    assert d["fixes"]["skipped"] == []


def run_example(tmp_path, example: str, **kw) -> dict:
    """A spec of examples/ re-run on one seed, on the CPU, without the figure."""
    kw = {"seeds": 1, "device": "cpu", "out_dir": str(tmp_path / "out"), "plot": False, **kw}
    return rerun(str(ROOT / "examples" / example), **kw).to_dict()


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.py")))
def test_the_example_specs_run(tmp_path, example):
    """Each spec in examples/ loads, fits its model and data, and trains (one epoch here)."""
    d = run_example(tmp_path, example, fixes="lower-lr", epochs=1)
    assert [v["name"] for v in d["variants"]] == ["baseline", "lower-lr"]


# ---------------------------------------------------------------- the command line


def test_cli_json_and_text(tmp_path):
    path = spec(tmp_path)
    r = cli(
        path,
        "--fixes",
        "weight-decay",
        "--seeds",
        "2",
        "--epochs",
        "3",
        "--out",
        str(tmp_path / "o"),
        "--device",
        "cpu",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["command"] == "rerun" and d["setup"]["seeds"] == [0, 1] and d["setup"]["epochs"] == 3
    v = d["variants"][1]
    assert v["name"] == "weight-decay" and set(v["change"]) >= {"mean", "sd", "noise", "judgement"}
    assert v["runs"][1]["history"].endswith("weight-decay-seed1.json")
    assert v["runs"][1]["history_csv"].endswith("weight-decay-seed1.csv")
    assert json.loads((tmp_path / "o" / "summary.json").read_text()) == d  # what --format json printed
    r = cli(path, "--fixes", "weight-decay", "--epochs", "2", "--seeds", "1", "--out", str(tmp_path / "o"), "--amp")
    assert r.exit_code == 0, r.output
    assert (
        "bf16 autocast" in r.stdout
        and "weight-decay" in r.stdout
        and "loss cross-entropy (default: integer targets)" in r.stdout
    )


BAD_SPECS = [
    ("import torch\ndef data():\n    return None\n", "defines no model()"),
    (TINY.replace("return (x[:64], y[:64]), (x[64:], y[64:])", "return x, y"), "data() must return (train, val)"),
    (TINY.replace("nn.Linear(8, h)", "nn.Linear(7, h)"), "the model fails on the first training batch"),
    (
        TINY + "\nloss = nn.CrossEntropyLoss()\n".replace("CrossEntropy", "BCEWithLogits"),
        "the loss (BCEWithLogitsLoss) fails on the first batch",
    ),
    (
        TINY.replace("def model(width=1.0):", "def model(width=1.0):\n    return 3\ndef unused(width=1.0):"),
        "model() must return a torch.nn.Module",
    ),
    (TINY + "\nepochs = 0\n", "`epochs` must be a positive integer"),
    ("def model(:\n", "syntax error at line 1"),
    ("raise RuntimeError('no GPU here')\n", "raised RuntimeError while loading: no GPU here"),
]


@pytest.mark.parametrize("body,message", BAD_SPECS)
def test_bad_specs_give_one_line_and_exit_2(tmp_path, body, message):
    path = spec(tmp_path, body)
    r = cli(path, "--fixes", "none", "--out", str(tmp_path / "o"), "--device", "cpu")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {path}: ") and message in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr


def test_fixes_that_set_the_same_thing_cannot_share_a_variant(tmp_path):
    from overfitdoc.errors import UsageError
    from overfitdoc.rerun.fixes import parse_fixes

    assert parse_fixes("warmup,lr-schedule,lower-lr+warmup") == [["warmup"], ["lr-schedule"], ["lower-lr", "warmup"]]
    for text, words in (
        ("warmup+lr-schedule", "combines warmup and lr-schedule"),
        ("higher-lr+lower-lr", "combines lower-lr and higher-lr"),
    ):
        with pytest.raises(UsageError, match=words):
            parse_fixes(text)


def test_bad_options_exit_2(tmp_path):
    path = spec(tmp_path)
    r = cli(path, "--fixes", "weight-decay,more-data", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "'more-data' is not a fix rerun can apply (needs more training data" in r.stderr
    r = cli(path, "--fixes", "wd", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "the fixes are: " in r.stderr
    r = cli(str(tmp_path / "missing.py"), "--out", str(tmp_path / "o"))
    assert (
        r.exit_code == 2
        and r.stderr
        == f"Error: {tmp_path / 'missing.py'}: no such file (the spec is a Python file defining model() and data())\n"
    )
    if not torch.cuda.is_available():
        r = cli(path, "--device", "cuda", "--out", str(tmp_path / "o"))
        assert r.exit_code == 2 and "no CUDA device" in r.stderr


def test_a_model_that_fails_in_training_is_reported(tmp_path):
    body = TINY.replace(
        "def model(width=1.0):",
        "class Flaky(nn.Sequential):\n"
        "    calls = 0\n"
        "    def forward(self, x):\n"
        "        Flaky.calls += 1\n"
        "        if self.training and Flaky.calls > 12:\n"
        "            raise RuntimeError('boom')\n"
        "        return super().forward(x)\n\n"
        "def model(width=1.0):\n"
        "    return Flaky(*unused(width))\n\n"
        "def unused(width=1.0):",
    )
    path = spec(tmp_path, body)
    r = cli(path, "--out", str(tmp_path / "o"), "--seeds", "1", "--device", "cpu")
    assert r.exit_code == 2 and r.stderr == f"Error: {path}: the baseline failed in training: RuntimeError: boom\n"
    r = cli(path, "--fixes", "weight-decay", "--out", str(tmp_path / "o"), "--seeds", "1", "--device", "cpu")
    assert r.exit_code == 2
    assert "Error: baseline (seed 0): RuntimeError: boom" in r.stderr
    assert "baseline (seed 0) failed: RuntimeError: boom" in r.stdout


def test_variants_are_ranked_best_first_after_the_baseline(tmp_path):
    res = run(tmp_path, "weight-decay,early-stopping,dropout")
    variants = res.to_dict()["variants"]
    assert variants[0]["baseline"] and "rank" not in variants[0]
    means = [v["kept_val_loss"]["mean"] for v in variants[1:]]
    assert len(means) >= 2 and means == sorted(means)
    assert [v["rank"] for v in variants[1:]] == list(range(1, len(means) + 1))


def test_early_stopping_fix_applies_the_advice_rule_on_a_nan_start():
    """rerun's early-stopping callback stops where the advice's simulation stops and restores
    the same epoch, a first NaN included (``analysis.early_stopping``)."""
    import math
    from types import SimpleNamespace

    from overfitdoc.analysis.early_stopping import simulate_early_stopping
    from overfitdoc.rerun.fixes.early_stopping import BestWeights

    for values, patience in (([math.nan, 1.0, 0.9, 0.8, 0.7, 0.6], 2), ([3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0], 2)):
        trainer = SimpleNamespace(eval_model=torch.nn.Linear(1, 1), stop_training=False, notes=[])
        trainer.note = trainer.notes.append
        cb = BestWeights(patience)
        ran = 0
        for epoch, v in enumerate(values):
            with torch.no_grad():
                trainer.eval_model.weight.fill_(epoch)
            cb.on_epoch_end(trainer, epoch, {"val_loss": v})
            ran += 1
            if trainer.stop_training:
                break
        cb.on_train_end(trainer)
        sim = simulate_early_stopping(values, range(len(values)), "min", patience)
        assert ran == sim.points_run
        assert trainer.kept_epoch == sim.restored_epoch
        assert trainer.final_model.weight.detach().item() == sim.restored_epoch  # that epoch's weights came back


def test_dropout_raises_the_models_own_dropout_instead_of_stacking(tmp_path):
    res = run(tmp_path, "dropout", body=DROPOUT, epochs=1)
    model = res.unit("dropout", 0).trainer.model
    assert [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)] == [0.6]
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())
    what = next(v for v in res.to_dict()["variants"] if v["name"] == "dropout")["what"]
    assert "raised the model's own 1 dropout module from p=0.5 to p=0.6" in " ".join(what)


def test_dropout_on_dropout_mlp_raises_its_own_p_and_the_table_says_so(tmp_path):
    from rich.console import Console

    from overfitdoc.rerun.fixes import make_variant
    from overfitdoc.rerun.fixes.dropout import raised
    from overfitdoc.rerun.render import render

    res = rerun(
        str(ROOT / "examples" / "dropout_mlp.py"),
        fixes="dropout",
        epochs=1,
        seeds=1,
        device="cpu",
        out_dir=None,
        plot=False,
        keep_trainers=True,
    )
    model = res.unit("dropout").trainer.model
    assert [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)] == [0.6, 0.6]  # 0.5 + 0.1, not stacked
    assert len([m for m in model.modules() if isinstance(m, torch.nn.Dropout)]) == 2
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    said = "raised the model's own 2 dropout modules from p=0.5 to p=0.6 (no second dropout stacked on them)"
    assert res.to_dict()["variants"][1]["what"] == [said]  # in the JSON
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(render(res.to_dict()))
    assert f"dropout: {said}" in console.export_text()  # and under the table
    # the advice's rate when it is higher; else 0.1 more, at most 0.8
    assert (raised(0.5, 0.3), raised(0.5, 0.7), raised(0.75, 0.3)) == (0.6, 0.7, 0.8)
    fix = make_variant(["dropout"], {"dropout": {"rate": 0.7}}).fixes[0]
    assert "to p=0.7" in fix.describe(res.prep)


def test_class_weights_weight_the_training_loss_by_inverse_class_shares(tmp_path):
    """The training loss is weighted n / (k * count) from the spec's own training labels; the
    logged and validated loss stays the spec's unweighted one."""
    res = run(tmp_path, "class-weights", epochs=1)
    trainer = res.unit("class-weights").trainer
    (_, y), _ = _tiny_data()
    counts = torch.bincount(y)
    expected = len(y) / (len(counts) * counts.float())
    assert torch.allclose(trainer.train_criterion.weight.cpu(), expected)
    assert trainer.criterion.weight is None
    from overfitdoc.rerun.fixes import FIXES

    text = FIXES["class-weights"].describe(res.prep)
    assert text.startswith("CrossEntropyLoss weighted by inverse class shares (weights ")


def test_class_weights_are_skipped_where_there_are_no_classes(tmp_path):
    from overfitdoc.rerun.fixes import FIXES

    body = TINY.replace("nn.Linear(h, 3)", "nn.Linear(h, 1)").replace(
        "(x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()", "x[:, :1] * 2.0"
    )
    res = run(tmp_path, "label-smoothing", body, epochs=1)
    assert "not CrossEntropyLoss" in FIXES["class-weights"].skip_reason(res.prep)
    one = TINY.replace("(x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()", "torch.zeros(112, dtype=torch.long)")
    (tmp_path / "one").mkdir()
    res = run(tmp_path / "one", "label-smoothing", one, epochs=1)
    assert "one class" in FIXES["class-weights"].skip_reason(res.prep)


def test_class_weights_and_label_smoothing_cannot_share_a_variant():
    from overfitdoc.errors import UsageError
    from overfitdoc.rerun.fixes import parse_fixes

    with pytest.raises(UsageError, match="training loss"):
        parse_fixes("class-weights+label-smoothing")


def _tiny_data():
    ns: dict = {}
    exec(textwrap.dedent(TINY), ns)
    return ns["data"]()


def test_a_majority_class_predictor_gets_class_weights_and_they_help_the_rare_class(tmp_path):
    """examples/imbalanced_mlp.py: the baseline's accuracies freeze at the majority class's share,
    the advice puts class-weights first, and the weighted run's balanced accuracy is far above the
    baseline's, though its unweighted validation loss is higher (what the comparison judges)."""
    d = run_example(tmp_path, "imbalanced_mlp.py", fixes="auto", top=1)
    assert d["fixes"]["diagnosis"]["verdict"] == "underfitting"
    base, weighted = d["variants"]
    assert (base["name"], weighted["name"]) == ("baseline", "class-weights")
    assert base["kept_val_metric"]["name"] == "balanced_accuracy" and base["kept_val_metric"]["mean"] == 0.5
    assert weighted["kept_val_metric"]["mean"] > 0.75  # it finds the rare class
    assert weighted["kept_val_loss"]["mean"] > base["kept_val_loss"]["mean"]  # the unweighted loss reads worse
