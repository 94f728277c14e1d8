"""The learning-rate schedule, classified in the analysis from generated schedules and real logs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import overfitdoc
from overfitdoc.advice import advise
from overfitdoc.advice.facts import fmt
from overfitdoc.analysis.schedule import classify

REAL = Path(__file__).resolve().parent / "fixtures" / "realworld"
E = np.arange(1, 101, dtype=float)


def cosine(n=100, peak=1e-3):
    return peak * 0.5 * (1 + np.cos(np.pi * np.arange(n) / (n - 1))) + 1e-7


@pytest.mark.parametrize(
    "values, kind, warmup",
    [
        (np.full(100, 1e-3), "constant", False),
        (np.repeat([1e-3, 1e-4, 1e-5], [40, 30, 30]), "step", False),
        (np.linspace(2e-5, 1e-7, 100), "linear", False),
        (cosine(), "cosine", False),
        (np.concatenate([np.linspace(1e-5, 1e-3, 10), np.linspace(1e-3, 1e-6, 90)]), "linear", True),
        (np.concatenate([np.linspace(1e-5, 1e-3, 10), cosine(90)]), "cosine", True),
        (1e-3 * 0.9 ** np.arange(100), "decay", False),
    ],
    ids=["constant", "step", "linear", "cosine", "warmup-linear", "warmup-cosine", "exponential"],
)
def test_generated_schedules(values, kind, warmup):
    s = classify(E[: len(values)], values)
    assert (s.kind, s.warmup) == (kind, warmup)
    assert math.isclose(s.peak, float(values.max()))
    assert s.annealed == (kind not in ("constant",))


def test_real_hf_linear_decay_reads_its_peak_not_its_last_value():
    d = overfitdoc.diagnose(str(REAL / "r028_hf_trainer_state.json"))
    assert d.schedule is not None and d.schedule.kind == "linear"
    described = d.learning_rate.describe()
    assert "was cut" not in described and "decayed linearly" in described  # a smooth decay, not a list of cuts
    assert "lr-schedule" not in [a.id for a in advise(d)]  # it already has a schedule


SMOOTH_ANNEALED = (
    "r046_yolo_det_v11.csv",  # warm-up then linear decay (Ultralytics)
    "r028_hf_trainer_state.json",  # linear decay (HF)
    "r030_hf_trainer_state.json",  # warm-up then linear decay, by steps (HF)
    "r031_hf_trainer_state.json",  # linear decay, by steps (HF)
    "r032_hf_trainer_state_crlf.json",  # warm-up then linear decay (HF)
    "r019_dict_lists_json_mixed.json",  # warm-up then cosine decay
    "r023_custom_csv.csv",  # cosine decay
)


def test_annealed_runs_are_not_told_to_raise_the_rate():
    for name in SMOOTH_ANNEALED:
        d = overfitdoc.diagnose(str(REAL / name))
        assert d.schedule is not None and d.schedule.annealed and d.schedule.kind != "step", name
        ids = [a.id for a in advise(d)]
        assert "higher-lr" not in ids, name
        assert "lr-schedule" not in ids, name  # nor advised the schedule it has
        for a in advise(d):  # the rate quoted is the peak, never the annealed last value
            if "lr" in a.params:
                assert a.params["lr"] >= d.schedule.peak / 10 - 1e-12, (name, a.id, a.params)


# ------------------------------------------------------------------ generated runs with schedules
#
# The accuracy benchmark's runs (benchmarks/accuracy/generate.py: real trainings of seeded
# checked-in configs) log the rate each epoch trained with; truth.jsonl names the schedule the
# generator drew (step, cosine, or warm-up then cosine).

RUNS = Path(__file__).resolve().parent.parent / "benchmarks" / "accuracy" / "runs"
DRAWN = {"step": ("step", False), "cosine": ("cosine", False), "warmup": ("cosine", True)}


def _scheduled_runs():
    import json

    with open(RUNS / "truth.jsonl", encoding="utf-8") as fh:
        truth = [json.loads(line) for line in fh]
    return [(t["run_id"], t["config"]["schedule"]) for t in truth if t["config"].get("schedule") in DRAWN]


SCHEDULED = _scheduled_runs()


@pytest.fixture(scope="module")
def scheduled():
    return [(rid, drawn, overfitdoc.diagnose(str(RUNS / f"{rid}.csv"))) for rid, drawn in SCHEDULED]


def test_generated_schedules_are_read_as_drawn(scheduled):
    wrong = [(rid, d) for rid, drawn, d in scheduled if (d.schedule.kind, d.schedule.warmup) != DRAWN[drawn]]
    assert len(scheduled) >= 300 and len(wrong) <= 0.02 * len(scheduled)
    for _rid, d in wrong:  # each a run that blew up before its schedule acted: the rate it logged is what it read
        assert d.verdict == "unstable" and d.schedule.kind in ("constant", "increasing")


def test_generated_annealed_runs_get_advice_from_the_peak_and_no_schedule_they_have(scheduled):
    for rid, _drawn, d in scheduled:
        sch = d.schedule
        for a in advise(d):
            assert not (a.id == "lr-schedule" and sch.annealed and sch.kind != "step"), rid
            if a.id == "higher-lr":  # only where nothing was learnt, and from the peak
                assert d.verdict == "not_learning" or not sch.annealed or sch.kind == "step", rid
                assert a.params["lr"] == pytest.approx(3 * sch.peak, rel=0.05), rid
            for key in ("lr", "max_lr"):
                if key in a.params and a.id != "sgd-instead-of-adam":  # SGD's own range, 0.01 to 0.1
                    assert a.params[key] >= 0.95 * sch.peak / 10, (rid, a.id, a.params)
            if sch.annealed and fmt(sch.last) in a.evidence:  # the last value only as where the decay ended
                assert f"to {fmt(sch.last)}" in a.evidence, (rid, a.id, a.evidence)


def test_a_step_schedule_is_described_by_its_cuts_and_may_still_get_one_cycle():
    d = overfitdoc.diagnose(str(REAL / "r005_keras_csvlogger.csv"))
    assert d.schedule.kind == "step"
    described = d.learning_rate.describe()
    assert described.startswith("started at 0.001 and was cut to 0.0005 at epoch 14, to 0.00025 at epoch 22")
    (a,) = [a for a in advise(d) if a.id == "lr-schedule"]  # a different shape from cuts, read from the peak
    assert described in a.evidence and a.params["max_lr"] == pytest.approx(d.schedule.peak)
