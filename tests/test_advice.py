"""Advice as a whole: ranking on the sample runs, context, JSON entries, determinism, the
Keras EarlyStopping replay, the generated docs and the `explain` command."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

import overfitdoc
from overfitdoc.advice import Context, Facts, advise, evaluate, get_rule, rules
from overfitdoc.advice.docs import diff_docs, generate, render_page
from overfitdoc.analysis.early_stopping import simulate_early_stopping
from overfitdoc.cli import app
from overfitdoc.errors import UsageError
from tests.advice_cases import SAMPLES, case_diagnosis

runner = CliRunner()


def ids(name, context=None, top=None):
    return [a.id for a in advise(case_diagnosis(("sample", name)), context, top, strict=True)]


# ---------------------------------------------------------------- ranking on the sample runs


@pytest.mark.parametrize("name", ["overfit.csv", "overfit.json"])
def test_clear_late_overfit_ranks_early_stopping_first(name):
    top = ids(name, top=3)
    assert top[0] == "early-stopping"
    assert "weight-decay" in top


def test_gap_from_the_first_epochs_stops_first_then_capacity_and_regularization():
    # 47 of 49 epochs after the best: stopping removes the overtraining, a smaller or
    # regularized model only slows it (issue 17), so early stopping leads and they follow
    ranked = [a.id for a in advise(case_diagnosis(("build", "early_gap")), strict=True)]
    assert ranked[0] == "early-stopping"
    assert set(ranked[1:3]) == {"weight-decay", "smaller-model"}


@pytest.mark.parametrize("name", ["still_improving.csv", "still_improving.json"])
def test_still_improving_trains_longer_and_never_regularizes(name):
    ranked = ids(name)
    assert ranked[0] == "train-longer"
    for never in ("dropout", "weight-decay", "data-augmentation", "smaller-model", "label-smoothing"):
        assert never not in ranked


def test_unstable_gets_lower_lr_clipping_and_warmup():
    assert ids("unstable.csv", top=3) == ["lower-lr", "gradient-clipping", "warmup"]


def test_underfit_gets_capacity_first_and_no_regularization():
    ranked = ids("underfit.csv")
    assert ranked[0] == "more-capacity"
    assert "dropout" not in ranked and "train-longer" not in ranked


def test_good_fit_gets_only_gentle_advice():
    for a in advise(case_diagnosis(("sample", "good_fit.csv")), strict=True):
        assert a.score <= 0.4, a


def test_insufficient_data_advises_what_to_log():
    d = case_diagnosis(("build", "no_validation"))
    assert [a.id for a in advise(d)] == ["log-validation"]
    skipped = [r for r in evaluate(d) if r.status == "skipped"]
    assert len(skipped) == len(rules()) - 1
    assert all("no validation series" in r.reason for r in skipped)


def test_image_context_lifts_augmentation_and_transfer_learning():
    plain = ids("overfit.csv")
    image = ids("overfit.csv", {"task": "image", "train_size": 200})
    assert image.index("data-augmentation") < plain.index("data-augmentation")
    assert image.index("transfer-learning") < plain.index("transfer-learning")
    assert "feature-engineering" not in image


def test_without_context_the_advice_says_what_would_change_it():
    hints = [a.context_hint for a in advise(case_diagnosis(("sample", "overfit.csv")))]
    assert any(h and "--task image" in h for h in hints)
    assert any(h and "--params" in h for h in hints)
    with_ctx = advise(
        case_diagnosis(("sample", "overfit.csv")),
        {"task": "image", "params": 270000, "train_size": 200, "framework": "keras"},
    )
    assert not any(a.context_hint for a in with_ctx)


def test_lr_column_grounds_the_learning_rate_advice():
    d = case_diagnosis(("sample", "unstable.csv"))
    lower = next(a for a in advise(d) if a.id == "lower-lr")
    assert "lr column was constant at 3" in lower.evidence
    assert "learning_rate = 0.3" in lower.fix["keras"] and '"lr"] = 0.3' in lower.fix["pytorch"]


# ---------------------------------------------------------------- entries, framework, determinism


def test_advice_entries_follow_the_contract_plus_documented_fields():
    d = case_diagnosis(("sample", "overfit.csv"))
    entries = [a.to_dict() for a in advise(d, top=5)]
    assert [e["rank"] for e in entries] == [1, 2, 3, 4, 5]
    for e in entries:
        assert set(e) == {
            "id",
            "rank",
            "title",
            "evidence",
            "score",
            "why",
            "fix",
            "params",
            "context_hint",
            "measured",
        }
        assert e["measured"] is None  # only with a re-run (diagnose --rerun)
        assert isinstance(e["score"], float) and 0 <= e["score"] <= 1
        assert set(e["fix"]) >= {"keras", "pytorch"}
    json.dumps(entries)  # serializable as is
    scores = [e["score"] for e in entries]
    assert scores == sorted(scores, reverse=True)


def test_framework_context_shows_only_that_fix():
    d = case_diagnosis(("sample", "overfit.csv"))
    for fw in ("keras", "pytorch", "lightning"):
        for a in advise(d, {"framework": fw}):
            assert list(a.fix) == [fw]
    es = next(a for a in advise(d, {"framework": "lightning"}) if a.id == "early-stopping")
    assert "patience=6" in es.fix["lightning"] and "EarlyStopping" in es.fix["lightning"]


def test_the_fix_carries_this_runs_numbers():
    es = advise(case_diagnosis(("sample", "overfit.csv")), top=1)[0]
    assert es.id == "early-stopping"
    assert 'monitor="val_loss"' in es.fix["keras"] and "patience=6" in es.fix["keras"]
    assert "patience = 6" in es.fix["pytorch"]


def test_scores_and_order_are_deterministic():
    d = case_diagnosis(("sample", "overfit.csv"))
    first = [a.to_dict() for a in advise(d, {"task": "image"})]
    for _ in range(3):
        assert [a.to_dict() for a in advise(d, {"task": "image"})] == first


def test_top_limits_the_list():
    d = case_diagnosis(("sample", "overfit.csv"))
    assert len(advise(d, top=2)) == 2 and advise(d, top=0) == []


def test_context_parsing():
    ctx = Context.parse({"task": "Vision", "framework": "torch", "params": "1000", "train_size": 10})
    assert (ctx.task, ctx.framework, ctx.ratio) == ("image", "pytorch", 100.0)
    lenient = Context.parse({"task": "poetry"})
    assert lenient.task is None and lenient.ignored == ("task=poetry",)
    with pytest.raises(UsageError, match="unknown --task 'poetry'"):
        Context.parse({"task": "poetry"}, strict=True)


def test_a_broken_rule_is_reported_skipped_not_raised(monkeypatch):
    rule = get_rule("swa")

    def boom(f, ctx):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(rule, "check", boom)
    d = case_diagnosis(("sample", "overfit.csv"))
    res = next(r for r in evaluate(d) if r.rule.id == "swa")
    assert res.status == "skipped" and "ZeroDivisionError" in res.reason
    assert "swa" not in [a.id for a in advise(d)]
    with pytest.raises(ZeroDivisionError):
        evaluate(d, strict=True)


# ---------------------------------------------------------------- the replay (against Keras itself: test_advice_snippets.py)


def test_simulation_on_the_overfit_run_by_hand():
    h = case_diagnosis(("sample", "overfit.csv")).history
    v = [float(x) for x in h.columns["val_loss"]]
    best = min(range(len(v)), key=v.__getitem__)
    assert best == 13 and math.isclose(v[best], 0.401884)
    assert all(x > v[best] for x in v[best + 1 :])  # so patience 6 stops 6 epochs later
    sim = simulate_early_stopping(v, list(range(80)), "min", 6)
    assert (sim.stop_epoch, sim.restored_epoch, sim.points_run) == (19, 13, 20)


# ---------------------------------------------------------------- docs and explain


def test_committed_docs_match_the_registry():
    assert diff_docs("docs/rules") == [], "run: python -m overfitdoc.advice.docs"


def test_every_rule_is_documented_with_every_section():
    for r in rules():
        page = render_page(r)
        for heading in (
            "## What it does",
            "## When it helps",
            "## When it hurts",
            "## When overfitdoc suggests it",
            "## How it is ranked",
            "## Fix",
            "## References",
            "Keras",
            "PyTorch",
            "Lightning",
        ):
            assert heading in page, (r.id, heading)
        assert r.id == r.id.lower() and " " not in r.id and r.references
    assert set(generate()) == {f"{r.id}.md" for r in rules()} | {"README.md"}


def test_required_ids_exist():
    required = """early-stopping weight-decay dropout batch-norm data-augmentation smaller-model more-data clean-labels
    feature-engineering transfer-learning smaller-batch sgd-instead-of-adam lr-schedule label-smoothing swa ensembling
    check-leakage randomization-test distribution-mismatch small-validation-set preprocessing-mismatch
    regularization-in-val-loss more-capacity train-longer higher-lr less-regularization lower-lr gradient-clipping
    warmup""".split()
    assert set(required) <= {r.id for r in rules()}


def test_explain_prints_the_page():
    result = runner.invoke(app, ["explain", "early-stopping"])
    assert result.exit_code == 0
    assert result.output == render_page(get_rule("early-stopping"))


def test_explain_list():
    result = runner.invoke(app, ["explain", "--list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == len(rules())
    assert any(line.startswith("early-stopping") and "restore the best" in line for line in lines)


def test_explain_unknown_rule():
    result = runner.invoke(app, ["explain", "nope"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: unknown rule 'nope' (see overfitdoc explain --list)"


def test_explain_without_id():
    result = runner.invoke(app, ["explain"])
    assert result.exit_code == 2


def test_explain_write_docs(tmp_path):
    result = runner.invoke(app, ["explain", "--write-docs", str(tmp_path / "rules")])
    assert result.exit_code == 0
    assert diff_docs(tmp_path / "rules") == []


def test_diagnose_json_carries_the_advice():
    result = runner.invoke(app, ["diagnose", "sample_runs/overfit.csv", "--format", "json", "--top", "3"])
    assert result.exit_code == 0, result.output
    advice = json.loads(result.stdout)["runs"][0]["advice"]
    assert [a["id"] for a in advice][0] == "early-stopping"
    assert advice[0]["params"]["patience"] == 6


def test_one_early_stopping_rule_for_advice_rerun_and_the_benchmark_peer():
    """Keras' rule exists once: the advice's simulation, rerun's early-stopping callback and the
    accuracy benchmark's Keras peer agree, on a series that starts non-finite too (a NaN
    never counts as the best: nothing stops, the last epoch is restored)."""
    import importlib.util
    import math
    import sys
    from pathlib import Path

    import numpy as np

    from overfitdoc.analysis.early_stopping import EarlyStoppingRule

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("peers", root / "benchmarks" / "accuracy" / "peers.py")
    peers = importlib.util.module_from_spec(spec)
    sys.modules["peers"] = peers
    spec.loader.exec_module(peers)
    for values, patience in (
        ([math.nan, 1.0, 0.9, 0.8, 0.7, 0.6], 2),
        ([3, 2, 1, 2, 3, 4, 5], 2),
        ([1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8], 3),
        ([math.nan] * 4, 2),
    ):
        sim = simulate_early_stopping(values, list(range(len(values))), "min", patience)
        peer = peers.keras_early_stopping(np.array(values, dtype=float), patience)
        rule = EarlyStoppingRule("min", patience)
        stop = next((i for i, v in enumerate(values) if rule.update(v)), None)
        assert peer.fired == sim.fired == (stop is not None)
        assert peer.chosen_epoch == sim.restored_epoch
        assert rule.best_index in (sim.restored_index, None)
    sim = simulate_early_stopping([math.nan, 1.0, 0.9, 0.8, 0.7, 0.6], range(6), "min", 2)
    assert (sim.fired, sim.restored_epoch) == (False, 5)


@pytest.mark.parametrize(
    "name", ["friedman1-s1-00-overfit.csv", "moons-s1-00-overfit.csv", "digits-s2-00-overfit.csv", "overfit.csv"]
)
def test_early_stopping_score_is_its_documented_share_after_the_best(name):
    # the formula on its explain page: 0.5 + 0.45 x the share of the run's epochs after the best
    # (from the epoch stopping on the accuracy would restore, when the accuracy held)
    path = SAMPLES / name if name == "overfit.csv" else SAMPLES.parent / "benchmarks" / "accuracy" / "runs" / name
    d = overfitdoc.diagnose(str(path))
    f = Facts(d)
    es = next(a for a in advise(d) if a.id == "early-stopping")
    after = f.after(es.params["restored_epoch"]) if f.accuracy_holds else f.after_best
    assert es.score == round(0.5 + 0.45 * after, 3)
    assert "0.5 + 0.45 x after" in get_rule("early-stopping").ranking
