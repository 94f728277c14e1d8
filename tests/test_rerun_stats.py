import math

import pytest

from overfitdoc.rerun.stats import betainc, paired_t, t_cdf, t_quantile, t_two_sided_p


@pytest.mark.parametrize(
    "dof,q975",
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (29, 2.045), (100, 1.984)],
)
def test_t_quantile_matches_table(dof, q975):
    assert t_quantile(0.975, dof) == pytest.approx(q975, abs=1e-3)
    assert t_two_sided_p(q975, dof) == pytest.approx(0.05, abs=2e-4)


def test_t_cdf_known_values():
    assert t_cdf(0.0, 5) == pytest.approx(0.5)
    assert t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy
    assert t_cdf(-1.0, 1) == pytest.approx(0.25)
    assert t_quantile(0.995, 2) == pytest.approx(9.925, abs=1e-3)
    assert t_quantile(0.95, 10) == pytest.approx(1.812, abs=1e-3)
    assert betainc(1.0, 1.0, 0.3) == pytest.approx(0.3)
    assert betainc(2.0, 3.0, 0.4) == pytest.approx(0.5248, abs=1e-4)


def test_paired_t():
    r = paired_t([-0.02, -0.01, -0.03])
    assert r["dof"] == 2
    assert r["effect_size"] == pytest.approx(-0.02 / 0.01)
    assert r["t"] == pytest.approx(-2 * math.sqrt(3))
    assert 0.05 < r["p_value"] < 0.1
    assert paired_t([0.1])["p_value"] is None


def _sample(mean: float, sd: float, n: int) -> list[float]:
    """n numbers with exactly this mean and sample sd."""
    import statistics

    z = [i - (n - 1) / 2 for i in range(n)]
    s = statistics.stdev(z)
    return [mean + sd * v / s for v in z]


@pytest.mark.parametrize("mean,sd", [(-0.0233, 0.0306), (0.01, 0.05), (-0.2, 0.01), (0.01, 0.1)])
def test_seeds_needed_is_where_the_paired_t_test_turns_significant(mean, sd):
    from overfitdoc.rerun.stats import seeds_needed

    n = seeds_needed(mean, sd)
    assert n is not None and n >= 2
    assert paired_t(_sample(mean, sd, n))["p_value"] < 0.05
    if n > 2:
        assert paired_t(_sample(mean, sd, n - 1))["p_value"] >= 0.05


def test_seeds_needed_edges():
    from overfitdoc.rerun.stats import seeds_needed

    assert seeds_needed(-0.0233, 0.0306) == 10  # the diffs -0.03, 0.01, -0.05: p=0.32 at 3 seeds
    assert seeds_needed(0.0, 0.1) is None
    assert seeds_needed(0.1, 0.0) == 2
    assert seeds_needed(1e-6, 1.0) is None  # more than MAX_SEEDS
    assert seeds_needed(0.004, 0.1) is None  # about 2,400 seeds
    assert seeds_needed(0.004, 0.1, limit=10**4) == pytest.approx(2404, abs=5)


def _report(base: list[float], variants: dict[str, list[float]], val_size: int = 100) -> dict:
    from overfitdoc.rerun.compare import RunRecord, build_report

    def rec(name: str, seed: int, v: float) -> RunRecord:
        rows = [{"epoch": 1, "loss": 0.5, "val_loss": v + 0.1}, {"epoch": 2, "loss": 0.4, "val_loss": v}]
        return RunRecord(variant=name, fixes=() if name == "baseline" else (name,), seed=seed, status="done", rows=rows)

    records = [rec("baseline", i, v) for i, v in enumerate(base)]
    records += [rec(name, i, v) for name, vs in variants.items() for i, v in enumerate(vs)]
    return build_report(
        {
            "metric": None,
            "val_size": val_size,
            "train_size": 400,
            "parameters": 10,
            "optimizer": "Adam(lr=0.001)",
            "loss": "MSE",
            "loss_reason": "set in the spec",
            "batch_size": 32,
            "epochs": 2,
            "seeds": list(range(len(base))),
            "device": "cpu",
            "amp": False,
            "jobs": 1,
        },
        {},
        [{"name": "baseline", "fixes": ()}] + [{"name": n, "fixes": (n,)} for n in variants],
        records,
        spec="spec.py",
        interrupted=False,
        out_dir=None,
        wall_seconds=0.0,
    )


def test_unresolved_effects_are_said_with_the_seeds_that_would_resolve_them():
    import statistics

    from overfitdoc.rerun.render import resolution_line
    from overfitdoc.rerun.stats import seeds_needed

    base = [0.50, 0.52, 0.48]
    diffs = {"dropout": [-0.03, 0.01, -0.05], "weight-decay": [-0.001, 0.001, -0.0015]}
    rep = _report(base, {k: [b + d for b, d in zip(base, ds)] for k, ds in diffs.items()})
    res = rep["resolution"]
    assert res["resolved"] is False and res["seeds"] == 3 and res["val_size"] == 100
    # weight-decay's change is under 1% of the baseline's val loss: not one that matters
    assert [u["name"] for u in res["unresolved"]] == ["dropout"]
    d = diffs["dropout"]
    expected = seeds_needed(statistics.fmean(d), statistics.stdev(d))
    assert res["seeds_needed"] == expected == 10 and res["seeds_needed_for"] == "dropout"
    change = next(v for v in rep["variants"] if v["name"] == "dropout")["change"]
    assert res["unresolved"][0]["noise"] == pytest.approx(change["noise"])  # the minimum detectable effect
    assert change["noise"] == pytest.approx(t_quantile(0.975, 2) * statistics.stdev(d) / math.sqrt(3))
    assert abs(change["mean"]) < change["noise"]
    line = resolution_line(res)
    assert line is not None and "\n" not in line
    assert line.startswith("Not resolved: dropout -5% is within noise")
    assert "3 seeds on 100 validation samples can detect no change smaller than ±0.076 (dropout's)" in line
    assert "--seeds 10 would resolve dropout's change" in line and "k-fold" in line
    assert "--val-fraction F" in line and "--folds K" in line
    from rich.console import Console

    from overfitdoc.rerun.render import render

    con = Console(width=600, record=True, color_system=None)
    con.print(render(rep))
    lines = con.export_text().splitlines()
    at = lines.index(line)
    assert lines[at - 1].startswith("weight-decay") or lines[at - 1].startswith("dropout")  # under the table


def test_resolved_or_negligible_effects_say_nothing():
    from overfitdoc.rerun.render import resolution_line

    base = [0.50, 0.52, 0.48]
    clear = _report(base, {"dropout": [b - 0.05 + e for b, e in zip(base, (0.001, -0.001, 0.0))]})
    assert clear["resolution"]["resolved"] is True and resolution_line(clear["resolution"]) is None
    tiny = _report(base, {"dropout": [b + e for b, e in zip(base, (0.002, -0.003, 0.0))]})
    assert tiny["resolution"]["resolved"] is True
    one_seed = _report([0.5], {"dropout": [0.45]})
    assert one_seed["resolution"] is None and resolution_line(None) is None
