"""`rerun --val-fraction F` and `--folds K` (the spec's samples pooled and re-split), the
corrected resampled t-test the folds are judged by, and the snapshots of each run's best and
last weights (``rerun(snapshots=True)``, what benchmarks/rerun/fresh_check.py scores)."""

from __future__ import annotations

import math
import statistics

import pytest

torch = pytest.importorskip("torch")

from overfitdoc.rerun import rerun  # noqa: E402
from overfitdoc.rerun.data import fold_indices  # noqa: E402
from overfitdoc.rerun.spec import SpecError  # noqa: E402
from overfitdoc.rerun.stats import paired_t, seeds_needed, t_quantile, t_two_sided_p  # noqa: E402

from .test_rerun import OVERFITS, TINY, cli, spec  # noqa: E402


def _run(tmp_path, fixes: str, body: str = TINY, **kw):
    kw.setdefault("device", "cpu")
    kw.setdefault("seeds", 1)
    kw.setdefault("plot", False)
    return rerun(spec(tmp_path, body), fixes=fixes, **kw)


def _samples(split) -> set[tuple[float, ...]]:
    """The split's samples as hashable rows (the first input)."""
    return {tuple(row.tolist()) for row in split.held_inputs[0]}


# ---------------------------------------------------------------- the corrected t-test


def test_corrected_t_inflates_the_variance_of_the_mean_by_the_overlap():
    d = [-0.03, -0.01, -0.05, -0.02, -0.04, -0.015]
    k, m, sd = len(d), statistics.fmean(d), statistics.stdev(d)
    plain, corrected = paired_t(d), paired_t(d, ratio=0.25)
    assert plain["t"] == pytest.approx(m / (sd / math.sqrt(k)))
    assert corrected["t"] == pytest.approx(m / (sd * math.sqrt(1 / k + 0.25)))
    assert corrected["dof"] == plain["dof"] == k - 1
    assert corrected["p_value"] == pytest.approx(t_two_sided_p(corrected["t"], k - 1))
    assert corrected["ci95"] == pytest.approx(t_quantile(0.975, k - 1) * sd * math.sqrt(1 / k + 0.25))
    assert plain["p_value"] < 0.001 < 0.05 < corrected["p_value"] or corrected["p_value"] > plain["p_value"]
    assert paired_t(d, ratio=0.0) == plain


def test_seeds_needed_with_folds_is_where_the_corrected_test_turns_significant():
    mean, sd, folds, ratio = 0.04, 0.03, 5, 0.25

    def p(n: int) -> float:
        k = n * folds
        return t_two_sided_p(mean / (sd * math.sqrt(1 / k + ratio)), k - 1)

    n = seeds_needed(mean, sd, per_seed=folds, ratio=ratio)
    assert n is not None and p(n) < 0.05 and (n == 1 or p(n - 1) >= 0.05)
    # the overlap bounds the variance from below: an effect under ~2 sqrt(ratio) sd is never resolved
    assert seeds_needed(0.5 * sd * math.sqrt(ratio), sd, per_seed=folds, ratio=ratio) is None
    assert seeds_needed(mean, 0.0, per_seed=folds, ratio=ratio) == 1


def test_fold_indices_partition_the_samples():
    parts = fold_indices(23, 4, torch.Generator().manual_seed(0))
    assert sorted(len(p) for p in parts) == [5, 6, 6, 6]
    joined = torch.cat(parts)
    assert sorted(joined.tolist()) == list(range(23))


# ---------------------------------------------------------------- --val-fraction


def test_val_fraction_re_splits_the_pooled_samples_once(tmp_path):
    res = _run(tmp_path, "weight-decay", val_fraction=0.25, seeds=2, epochs=1)
    s = res.to_dict()["setup"]
    assert (s["train_size"], s["val_size"], s["pooled_size"], s["val_fraction"]) == (84, 28, 112, 0.25)
    prep = res.prep
    assert prep is not None
    train, val = _samples(prep.train), _samples(prep.val)
    assert not train & val and len(train | val) == 112
    # every run trains and validates on that one split (the same for every seed and variant)
    assert all(u.prep is None for u in res.units)
    again = _run(tmp_path, "weight-decay", val_fraction=0.25, seeds=2, epochs=1).to_dict()
    assert [r["kept_val_loss"] for v in again["variants"] for r in v["runs"]] == [
        r["kept_val_loss"] for v in res.to_dict()["variants"] for r in v["runs"]
    ]


# ---------------------------------------------------------------- --folds


def test_folds_pair_every_variant_with_its_fold_and_judge_with_the_corrected_test(tmp_path):
    out = tmp_path / "out"
    res = _run(tmp_path, "weight-decay", folds=3, seeds=2, epochs=2, out_dir=str(out))
    rep = res.to_dict()
    s = rep["setup"]
    assert s["folds"] == 3 and s["pooled_size"] == 112 and s["train_size"] + s["val_size"] == 112
    assert len(res.units) == 2 * 2 * 3  # variants x seeds x folds
    for seed in range(2):
        units = [u for u in res.units if u.seed == seed and u.variant.name == "baseline"]
        vals = [_samples(u.prep.val) for u in units]  # type: ignore[union-attr]
        assert sum(len(v) for v in vals) == 112 and len(set.union(*vals)) == 112  # a partition
        for u in units:
            twin = next(
                w for w in res.units if w.variant.name == "weight-decay" and (w.seed, w.fold) == (u.seed, u.fold)
            )
            assert twin.prep is u.prep  # paired: the same split
            assert not _samples(u.prep.train) & _samples(u.prep.val)  # type: ignore[union-attr]
    partitions = [
        frozenset(frozenset(_samples(u.prep.val)) for u in res.units if u.seed == seed and u.variant.name == "baseline")  # type: ignore[union-attr]
        for seed in range(2)
    ]
    assert partitions[0] != partitions[1]  # a new partition per seed
    wd = next(v for v in rep["variants"] if v["name"] == "weight-decay")
    base = next(v for v in rep["variants"] if v["name"] == "baseline")
    assert sorted((r["seed"], r["fold"]) for r in wd["runs"]) == [(s, k) for s in range(2) for k in range(3)]
    by = {(r["seed"], r["fold"]): r["kept_val_loss"] for r in base["runs"]}
    diffs = [r["kept_val_loss"] - by[r["seed"], r["fold"]] for r in wd["runs"]]
    expected = paired_t(diffs, ratio=s["fold_ratio"])
    assert s["fold_ratio"] == pytest.approx(s["val_size"] / s["train_size"])
    assert wd["change"]["pairs"] == 6 and wd["change"]["dof"] == 5
    assert wd["change"]["p_value"] == pytest.approx(expected["p_value"])
    assert (out / "weight-decay-seed1-fold2.json").is_file() and (out / "baseline-seed0-fold0.csv").is_file()


def test_resplits_are_refused_when_they_cannot_apply(tmp_path):
    path = spec(tmp_path)
    for args, text in (
        (["--folds", "1"], "--folds must be at least 2"),
        (["--val-fraction", "1.5"], "--val-fraction must be between 0 and 1"),
        (["--folds", "3", "--val-fraction", "0.3"], "give one of them"),
        (["--val-fraction", "0.001"], "leaves 0 for validation"),
    ):
        r = cli(path, "--epochs", "1", "--seeds", "1", "--device", "cpu", "--out", str(tmp_path / "o"), *args)
        assert r.exit_code == 2, (args, r.output)
        assert text in r.output and "Traceback" not in r.output
    with pytest.raises(SpecError, match="cannot be pooled"):
        _run(tmp_path, "none", UNEVEN, folds=2, epochs=1)


# training samples of 8 features, validation samples of 4: the model reads the first 4
UNEVEN = """
import torch
from torch import nn

class First4(nn.Module):
    def forward(self, x):
        return x[:, :4]

def model():
    return nn.Sequential(First4(), nn.Linear(4, 3))

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 8, generator=g)
    y = (x[:, 0] > 0).long()
    return (x[:24], y[:24]), (x[24:, :4], y[24:])
"""


# ---------------------------------------------------------------- snapshots


def test_snapshots_are_the_best_and_last_epochs_weights(tmp_path):
    res = _run(tmp_path, "early-stopping", OVERFITS, snapshots=True, keep_trainers=True)
    for u in res.units:
        assert u.trainer is not None and u.best_model is not None and u.last_model is not None
        best = min(range(len(u.rows)), key=lambda i: u.rows[i]["val_loss"])
        assert u.best_snapshot_epoch == best + 1
        assert u.trainer.evaluate(u.best_model)["val_loss"] == pytest.approx(u.rows[best]["val_loss"])
        assert u.trainer.evaluate(u.last_model)["val_loss"] == pytest.approx(u.rows[-1]["val_loss"])
    es = res.unit("early-stopping")
    assert es.kept_epoch == es.best_snapshot_epoch < len(es.rows)  # restored: kept is the best, not the last
    rep = {v["name"]: v["runs"][0] for v in res.to_dict()["variants"]}
    assert rep["baseline"]["best_epoch"] == res.unit("baseline").best_snapshot_epoch


# ---------------------------------------------------------------- the validation set's own noise


def test_paired_t_samples_adds_the_validation_sets_sampling_variance():
    from overfitdoc.rerun.stats import paired_t_samples, satterthwaite

    g = torch.Generator().manual_seed(0)
    sample_effect = torch.randn(50, generator=g).double() * 0.2  # what this validation set's samples do
    d = [(sample_effect + 0.01 * s - 0.05 + 0.05 * torch.randn(50, generator=g).double()).tolist() for s in range(4)]
    res = paired_t_samples(d)
    seed_means = [statistics.fmean(r) for r in d]
    sample_means = [statistics.fmean(c) for c in zip(*d)]
    a, b = statistics.variance(seed_means) / 4, statistics.variance(sample_means) / 50
    assert res["t"] == pytest.approx(statistics.fmean(seed_means) / math.sqrt(a + b))
    assert res["dof"] == pytest.approx(satterthwaite((a, 3), (b, 49)))
    assert res["sample_se"] == pytest.approx(math.sqrt(b))
    assert res["p_value"] == pytest.approx(t_two_sided_p(res["t"], res["dof"]))
    plain = paired_t(seed_means)
    assert plain["p_value"] < 0.01 < 0.05 < res["p_value"]  # seeds agree; 50 samples cannot tell
    # no sample-to-sample spread: the seeds' test
    flat = [[m] * 50 for m in seed_means]
    assert paired_t_samples(flat)["p_value"] == pytest.approx(plain["p_value"])
    assert paired_t_samples([d[0]])["p_value"] is None  # one seed: no judgement


def test_per_sample_losses_are_those_of_a_mean_loss_only(tmp_path):
    from overfitdoc.rerun.prepare import TargetsLikeOutputs, per_sample_loss

    out, y = torch.randn(6, 3), torch.tensor([0, 1, 2, 0, 1, 2])
    ce = torch.nn.CrossEntropyLoss()
    losses = per_sample_loss(ce)
    assert losses is not None and float(losses(out, y).mean()) == pytest.approx(float(ce(out, y)))
    assert ce.reduction == "mean"  # the criterion itself is left alone
    bce = TargetsLikeOutputs(torch.nn.BCEWithLogitsLoss())
    losses = per_sample_loss(bce)
    yb = (y > 0).float()
    assert losses is not None and losses(out[:, :1], yb).shape == (6,)
    assert float(losses(out[:, :1], yb).mean()) == pytest.approx(float(bce(out[:, :1], yb)))
    assert per_sample_loss(torch.nn.MSELoss(reduction="sum")) is None
    assert per_sample_loss(lambda o, t: (o - t).abs().mean()) is None
    # a class-weighted cross-entropy's mean is weighted: the run keeps no per-sample losses
    weighted = TINY + "\nloss = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 5.0]))\n"
    res = _run(tmp_path, "weight-decay", weighted, seeds=2, epochs=2)
    assert all(u.kept_val_losses is None for u in res.units)
    change = next(v for v in res.to_dict()["variants"] if v["name"] == "weight-decay")["change"]
    assert change["test"] == "paired" and change["sample_se"] is None


def test_each_run_keeps_its_kept_and_best_epochs_per_sample_losses_and_is_judged_with_them(tmp_path):
    res = _run(tmp_path, "early-stopping", OVERFITS, seeds=2)
    rep = res.to_dict()
    for u in res.units:
        run = next(r for v in rep["variants"] if v["name"] == u.variant.name for r in v["runs"] if r["seed"] == u.seed)
        assert u.kept_val_losses is not None and u.best_val_losses is not None and len(u.kept_val_losses) == 32
        assert float(u.kept_val_losses.mean()) == pytest.approx(run["kept_val_loss"], rel=1e-5)
        assert float(u.best_val_losses.mean()) == pytest.approx(run["best_val_loss"], rel=1e-5)
    es = next(v for v in rep["variants"] if v["name"] == "early-stopping")
    assert es["change"]["test"] == "paired+samples" and es["change"]["sample_se"] > 0
    assert es["change_best"]["mean"] == 0 and es["change_best"]["judgement"] == "within_noise"


def test_a_change_the_validation_set_cannot_resolve_says_no_number_of_seeds_would():
    """Seeds that agree closely, on 40 validation samples whose own differences scatter widely
    (as on two moons' 70 points): the seeds alone would call it better; with the samples'
    noise it is within noise, and the line under the table says why and what would help."""
    from overfitdoc.rerun.compare import RunRecord, build_report
    from overfitdoc.rerun.render import resolution_line

    g = torch.Generator().manual_seed(1)
    base_losses = (0.3 + 0.2 * torch.rand(40, generator=g)).double()
    scatter = (0.6 * torch.randn(40, generator=g)).double()  # the same samples in every seed

    def rec(name: str, seed: int, losses) -> RunRecord:
        v = float(losses.mean())
        rows = [{"epoch": 1, "loss": 0.5, "val_loss": v + 0.1}, {"epoch": 2, "loss": 0.4, "val_loss": v}]
        arr = losses.numpy()
        return RunRecord(name, () if name == "baseline" else (name,), seed, "done", rows, kept_val_losses=arr)

    records = []
    for seed in range(4):
        b = base_losses + 0.01 * seed
        records += [rec("baseline", seed, b), rec("dropout", seed, b - 0.08 + scatter + 0.002 * seed)]
    setup = {"metric": None, "val_size": 40, "seeds": list(range(4))}
    rep = build_report(
        setup,
        {},
        [{"name": "baseline", "fixes": ()}, {"name": "dropout", "fixes": ("dropout",)}],
        records,
        spec="spec.py",
        interrupted=False,
        out_dir=None,
        wall_seconds=0.0,
    )
    change = rep["variants"][1]["change"]
    diffs = [float((-0.08 + scatter + 0.002 * s).mean()) for s in range(4)]
    assert change["mean"] == pytest.approx(statistics.fmean(diffs))
    assert paired_t(diffs)["p_value"] < 1e-4  # the seeds alone: better
    assert change["test"] == "paired+samples" and change["judgement"] == "within_noise"
    assert change["seeds_needed"] is None
    line = resolution_line(rep["resolution"])
    assert line is not None and "No number of seeds would: the 40 validation samples' own noise" in line
    assert "--val-fraction F" in line and "--folds K" in line


def test_datasets_too_big_to_hold_are_pooled_as_datasets():
    from torch.utils.data import TensorDataset

    from overfitdoc.rerun.data import LoaderSplit, TensorSplit, pooled, subset

    cpu = torch.device("cpu")
    x, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    train = LoaderSplit(TensorDataset(x[:6], y[:6]), cpu)
    val = TensorSplit((x[6:],), y[6:], cpu, True)
    pool = pooled(train, val)
    assert isinstance(pool, LoaderSplit) and len(pool) == 10
    part = subset(pool, torch.tensor([1, 7, 8]))
    (xs,), ys = next(iter(part.batches(8)))
    assert ys.tolist() == [1, 7, 8] and torch.equal(xs[0], x[1])


def test_the_unresolved_line_under_folds_counts_seeds_x_folds():
    from overfitdoc.rerun.render import resolution_line

    u = {"name": "weight-decay", "mean": -0.006, "relative": -0.011, "noise": 0.0066, "sample_se": None}
    res = {
        "resolved": False,
        "unresolved": [{**u, "seeds_needed": 3}],
        "seeds": 2,
        "folds": 5,
        "val_size": 100,
        "visible_change": 0.01,
        "seeds_needed": 3,
        "seeds_needed_for": "weight-decay",
        "max_seeds": 1000,
    }
    line = resolution_line(res)
    assert line is not None and "2 seeds x 5 folds on 100 validation samples per fold" in line
    assert "--seeds 3 would resolve weight-decay's change" in line and "every pooled sample" in line
    assert "--val-fraction" not in line
