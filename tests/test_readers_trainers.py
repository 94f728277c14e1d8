"""Readers for the logs training frameworks write (issue 8): Hugging Face trainer_state.json,
Lightning metrics.csv, Ultralytics results.csv, TensorBoard, MLflow, W&B CSV, step logs and
directories. Fixtures are in tests/fixtures/trainers (SOURCES.md says how each was made);
the corpus test at the end runs only where the real-world corpus is checked out beside."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from overfitdoc import load_history
from overfitdoc.errors import InputError
from overfitdoc.history import History
from overfitdoc.naming import MetricPair, normalise
from overfitdoc.readers import expand_inputs, formats, open_input

from .conftest import FIXTURES, ROOT

TR = FIXTURES / "trainers"


def val_points(h: History) -> int:
    m = h.monitor()
    return 0 if m is None else len(h.aligned(m)[0])


def pairs(h: History) -> list[tuple[str, str]]:
    return [(p.train, p.val) for p in h.pairs]


# fixture, format, unit, epoch_base, validation points, pairs (monitored first)
FIXTURE_TABLE = [
    ("hf_epoch/trainer_state.json", "hf-trainer-state", "epoch", 1, 4, [("loss", "eval_loss")]),
    ("hf_steps/trainer_state.json", "hf-trainer-state", "step", 1, 5, [("loss", "eval_loss")]),
    (
        "hf_multieval/trainer_state.json",
        "hf-trainer-state",
        "epoch",
        1,
        3,
        [("loss", "eval_a_loss"), ("loss", "eval_b_loss")],
    ),
    ("hf_trainonly/trainer_state.json", "hf-trainer-state", "step", 1, 0, []),
    ("lightning_metrics.csv", "lightning-csv", "epoch", 0, 4, [("train_loss_epoch", "val_loss_epoch")]),
    ("lightning_different_losses.csv", "lightning-csv", "epoch", 0, 3, [("train/nll_loss", "val/rmse_loss")]),
    ("lightning_resumed.csv", "lightning-csv", "epoch", 0, 2, [("train_loss_epoch", "val_loss_epoch")]),
    (
        "ultralytics_det_v5.csv",
        "ultralytics-csv",
        "epoch",
        0,
        20,
        [("train/box_loss", "val/box_loss"), ("train/obj_loss", "val/obj_loss"), ("train/cls_loss", "val/cls_loss")],
    ),
    (
        "ultralytics_det_v11.csv",
        "ultralytics-csv",
        "epoch",
        1,
        100,
        [("train/box_loss", "val/box_loss"), ("train/cls_loss", "val/cls_loss"), ("train/dfl_loss", "val/dfl_loss")],
    ),
    ("ultralytics_cls.csv", "ultralytics-csv", "epoch", 1, 20, [("train/loss", "val/loss")]),
    ("wandb_history.csv", "wandb-csv", "step", 0, 5, [("train/loss", "val/loss")]),
    ("wandb_keras.csv", "wandb-csv", "epoch", 0, 5, [("loss", "val_loss")]),
    ("wandb_panel.csv", "wandb-panel-csv", "step", 0, 5, [("train/loss", "val/loss")]),
    ("steplog.csv", "step-csv", "step", 1, 12, [("train_loss", "val_loss")]),
    ("mlruns", "mlflow", "epoch", 0, 10, [("train_loss", "val_loss")]),
]


@pytest.mark.parametrize(
    "name,fmt,unit,base,points,expected", FIXTURE_TABLE, ids=[r[0].split("/")[0] for r in FIXTURE_TABLE]
)
def test_fixture_reads(name, fmt, unit, base, points, expected):
    h = load_history(TR / name)
    assert (h.format, h.unit, h.epoch_base) == (fmt, unit, base)
    assert val_points(h) == points
    assert pairs(h) == expected
    if expected:
        assert (h.monitor().train, h.monitor().val) == expected[0]


# --------------------------------------------------------------------------- Hugging Face
def _hf_entries(name):
    return json.loads((TR / name / "trainer_state.json").read_text())["log_history"]


def test_hf_epoch_values_are_the_logged_values():
    log = _hf_entries("hf_epoch")
    h = load_history(TR / "hf_epoch" / "trainer_state.json")
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == [1.0, 2.0, 3.0, 4.0]
    evals = [e for e in log if "eval_loss" in e]
    assert list(v) == [e["eval_loss"] for e in evals]
    first_epoch = [e["loss"] for e in log if "loss" in e and e["step"] <= evals[0]["step"]]
    assert t[0] == pytest.approx(np.mean(first_epoch), rel=1e-12)
    assert v[0] == 3.2659950256347656
    # rows are the union of logging points sorted by step; the summary entry is not one of them
    assert len(h) == len({e["step"] for e in log if "train_loss" not in e})
    assert "train_loss" not in h.columns and np.isnan(h.columns["eval_loss"][0])


def test_hf_steps_indexed_by_global_step():
    h = load_history(TR / "hf_steps" / "trainer_state.json")
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == [6, 12, 18, 24, 30]
    log = _hf_entries("hf_steps")
    assert t[1] == pytest.approx(np.mean([e["loss"] for e in log if "loss" in e and 6 < e["step"] <= 12]))


def test_hf_several_eval_sets_monitor_the_first_and_skip_the_step0_evaluation():
    h = load_history(TR / "hf_multieval" / "trainer_state.json")
    assert [p.metric for p in h.pairs] == ["a_loss", "b_loss"]
    assert h.monitor("b_loss").val == "eval_b_loss" and h.monitor("eval_b_loss").val == "eval_b_loss"
    assert h.index[0] > 0  # the evaluation at step 0 (eval_on_start) is left out
    assert any("evaluation before training" in n for n in h.notes)
    assert any("2 evaluation sets (a, b)" in n and "eval_a_loss" in n for n in h.notes)
    idx, t, v = h.aligned(h.monitor())
    assert np.isfinite(t).all() and list(idx) == [1.0, 2.0, 3.0]


def test_hf_logged_nan_is_marked_as_a_bad_value(tmp_path):
    state = json.loads((TR / "hf_epoch" / "trainer_state.json").read_text())
    state["log_history"][-3]["loss"] = float("nan")  # json writes NaN, as the Trainer does
    p = tmp_path / "trainer_state.json"
    p.write_text(json.dumps(state))
    h = load_history(p)
    assert list(np.flatnonzero(h.nan_cells["loss"])) == [len(h) - 1]  # step 40: train and eval merged
    assert "eval_loss" not in h.nan_cells


def test_hf_dumped_log_history_list(tmp_path):
    p = tmp_path / "log_history.json"
    p.write_text(json.dumps(_hf_entries("hf_steps")))
    h = load_history(p)
    assert h.format == "hf-trainer-state" and val_points(h) == 5


# --------------------------------------------------------------------------- Lightning
def _rows(name):
    with open(TR / name, newline="") as f:
        return list(csv.DictReader(f))


def test_lightning_merges_rows_by_epoch():
    h = load_history(TR / "lightning_metrics.csv")
    rows = _rows("lightning_metrics.csv")
    assert list(h.index) == [0, 1, 2, 3]  # the post-fit test row (epoch 4) is not an epoch
    assert any("test_loss" in n for n in h.notes)
    assert "test_loss" not in h.columns and "lr-SGD" not in h.columns
    # epoch-level values as logged; per-step training values averaged over the epoch
    val3 = [float(r["val_loss_epoch"]) for r in rows if r["val_loss_epoch"] and r["epoch"] == "3"]
    assert h.columns["val_loss_epoch"][3] == val3[-1]
    steps0 = [float(r["train_loss_step"]) for r in rows if r["train_loss_step"] and r["epoch"] == "0"]
    assert h.columns["train_loss_step"][0] == pytest.approx(np.mean(steps0))
    # per-validation-batch val_loss_step rows have no epoch: ignored
    assert "val_loss_step" not in h.columns


def test_lightning_different_losses_are_paired_with_a_note():
    h = load_history(TR / "lightning_different_losses.csv")
    (p,) = h.pairs
    assert p.metric == "nll_loss_vs_rmse_loss" and p.mode == "min"
    assert any("different quantities" in n for n in h.notes)


def test_lightning_resumed_run_keeps_its_epoch_numbers():
    h = load_history(TR / "lightning_resumed.csv")
    assert list(h.index) == [3, 4] and h.epoch_base == 0
    assert any("resumed" in n for n in h.notes)
    assert h.columns["val_loss_epoch"][1] == 0.13138626515865326


def test_lightning_validation_several_times_per_epoch_is_read_by_step(tmp_path):
    p = tmp_path / "metrics.csv"
    lines = ["epoch,step,train_loss,val_loss"]
    for s in range(40):
        lines.append(f"{s // 20},{s},{1 / (s + 1):.6f},")
        if s % 10 == 9:
            lines.append(f"{s // 20},{s},,{1.5 / (s + 1):.6f}")
    p.write_text("\n".join(lines) + "\n")
    h = load_history(p)
    assert (h.format, h.unit) == ("lightning-csv", "step")
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == [9, 19, 29, 39]
    assert t[0] == pytest.approx(np.mean([float(f"{1 / (s + 1):.6f}") for s in range(10)]))


def test_lightning_one_validate_before_fit_keeps_epochs(tmp_path):
    p = tmp_path / "metrics.csv"
    lines = ["epoch,step,train_loss,val_loss", "0,0,,2.0"]  # trainer.validate() before fit
    for e in range(4):
        lines += [f"{e},{e * 10 + 9},{1 / (e + 1)},", f"{e},{e * 10 + 9},,{1.2 / (e + 1)}"]
    p.write_text("\n".join(lines) + "\n")
    h = load_history(p)
    assert h.unit == "epoch" and list(h.index) == [0, 1, 2, 3]
    assert h.columns["val_loss"][0] == 1.2  # the epoch's own validation, logged last


# --------------------------------------------------------------------------- Ultralytics
def test_ultralytics_monitors_box_loss_or_loss_and_keeps_every_pair():
    det = load_history(TR / "ultralytics_det_v5.csv")
    assert det.monitor().metric == "box_loss"
    assert det.columns["val/box_loss"][0] == 0.040856 and det.index[0] == 0
    assert "metrics/mAP_0.5:0.95" in det.columns  # a validation score with no training twin
    cls = load_history(TR / "ultralytics_cls.csv")
    assert cls.monitor().metric == "loss" and cls.columns["train/loss"][1] == 1.3534
    v11 = load_history(TR / "ultralytics_det_v11.csv")
    assert v11.index[0] == 1 and v11.columns["train/box_loss"][0] == 3.28379


# --------------------------------------------------------------------------- W&B
def test_wandb_sparse_rows_average_training_between_validations():
    h = load_history(TR / "wandb_history.csv")
    rows = _rows("wandb_history.csv")
    idx, t, v = h.aligned(h.monitor())
    first_val = next(r for r in rows if r["val/loss"])
    assert idx[0] == float(first_val["_step"]) and v[0] == float(first_val["val/loss"])
    before = [float(r["train/loss"]) for r in rows if r["train/loss"] and int(r["_step"]) < int(first_val["_step"])]
    assert t[0] == pytest.approx(np.mean(before))
    keras = load_history(TR / "wandb_keras.csv")
    assert keras.aligned(keras.monitor())[1][0] == pytest.approx(t[0])  # the same loop, logged per epoch


def test_wandb_panel_export_is_the_same_run_as_its_history_export():
    # both fixtures record the same seeded loop: the panel's Step is the history's _step
    panel, history = load_history(TR / "wandb_panel.csv"), load_history(TR / "wandb_history.csv")
    pi, pt, pv = panel.aligned(panel.monitor())
    hi, ht, hv = history.aligned(history.monitor())
    assert list(pi) == list(hi) and np.allclose(pt, ht) and np.allclose(pv, hv)
    assert not any(k.endswith(("__MIN", "__MAX")) for k in panel.columns)
    assert any("run fluent-sun-3" in n for n in panel.notes)


def test_wandb_panel_export_of_several_runs_names_them_and_exits_2():
    with pytest.raises(InputError) as e:
        load_history(TR / "wandb_panel_runs.csv")
    assert "2 runs (fluent-sun-3, misty-river-4)" in e.value.reason and "one run per file" in e.value.reason
    r = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "diagnose", str(TR / "wandb_panel_runs.csv")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


# --------------------------------------------------------------------------- step logs
def test_step_log_validation_points_are_the_analysis_points():
    h = load_history(TR / "steplog.csv")
    idx, t, v = h.aligned(h.monitor())
    assert list(idx[:3]) == [250, 500, 750] and len(h) == 3000
    rows = _rows("steplog.csv")
    assert t[1] == pytest.approx(np.mean([float(r["train_loss"]) for r in rows[250:500]]))
    assert v[0] == float(rows[249]["val_loss"])


def test_aligned_matches_the_per_segment_mean():
    rng = np.random.default_rng(3)
    n = 5000
    train = rng.normal(size=n)
    train[rng.random(n) < 0.2] = np.nan
    val = np.full(n, np.nan)
    val[rng.choice(n, 60, replace=False)] = 1.0
    h = History(
        source="-",
        format="csv",
        index=np.arange(n, dtype=float),
        unit="step",
        epoch_base=0,
        columns={"t": train, "v": val},
        pairs=(),
    )
    idx, got, _ = h.aligned(MetricPair("t", "t", "v", "min"))
    logged = np.flatnonzero(~np.isnan(train))
    start = 0
    for k, r in enumerate(np.flatnonzero(~np.isnan(val))):
        seg = train[start : r + 1]
        seg = seg[~np.isnan(seg)]
        # no training entry since the last validation point: interpolated between its neighbours
        want = seg.mean() if len(seg) else np.interp(r, logged, train[logged])
        assert got[k] == pytest.approx(want, rel=1e-12)
        start = r + 1


def test_missing_training_is_not_non_finite():
    """A validation point with no training entry since the last one takes the training value
    interpolated around it; outside the training entries it is missing (left out, not NaN'd
    into an instability); an explicit NaN is still non-finite."""
    nan = np.nan
    train = np.array([nan, 4.0, nan, nan, 2.0, nan, nan, nan])
    val = np.array([5.0, nan, 3.0, 2.5, nan, 2.0, 1.5, 1.2])
    h = History(
        source="-",
        format="csv",
        index=np.arange(8, dtype=float),
        unit="step",
        epoch_base=0,
        columns={"t": train, "v": val},
        pairs=(),
        nan_cells={"t": np.array([0, 0, 0, 0, 0, 0, 1, 0], bool)},
    )
    idx, t, v, missing = h.alignment(MetricPair("t", "t", "v", "min"))
    assert idx.tolist() == [0, 2, 3, 5, 6, 7]
    assert missing.tolist() == [True, False, False, False, False, True]
    assert t[1] == pytest.approx(4.0) and t[2] == pytest.approx(2.0 + 2.0 / 3)  # step 2 holds step 1's entry
    assert np.isnan(t[4]) and not missing[4]  # the explicit nan at step 6: the loss went bad


@pytest.mark.parametrize("path", ["hf_sparse_train", "lightning_sparse_train.csv"])
def test_sparse_training_entries_are_not_an_instability(path):
    """Real logs (Hugging Face Trainer: loss every 10 steps, evaluation every 2; Lightning:
    train_loss every 20 steps, validation every 5, and a validate() row after fit) where most
    validation points have no training entry since the last one: nothing was NaN, so nothing
    is non-finite and the run is not unstable."""
    from overfitdoc.api import diagnose

    d = diagnose(TR / path)
    assert d.nonfinite == ()
    assert d.verdict != "unstable"
    assert int(d.monitored.missing.sum()) >= 1  # the points before/after every training entry
    assert len(d.points) + int(d.monitored.missing.sum()) == d.epochs


# --------------------------------------------------------------------------- TensorBoard
def test_tensorboard_keras_layout():
    pytest.importorskip("tensorboard")
    h = load_history(TR / "tensorboard" / "keras")
    assert (h.format, h.unit, h.epoch_base) == ("tensorboard", "epoch", 0)
    assert pairs(h) == [
        ("train/epoch_loss", "validation/epoch_loss"),
        ("train/epoch_accuracy", "validation/epoch_accuracy"),
    ]
    assert [p.metric for p in h.pairs] == ["loss", "accuracy"]
    assert val_points(h) == 12 and list(h.index[:2]) == [0, 1]
    assert h.pairs[1].mode == "max"
    assert "validation/evaluation_loss_vs_iterations" not in h.columns


def test_tensorboard_summary_writer_run():
    pytest.importorskip("tensorboard")
    h = load_history(TR / "tensorboard" / "torch_run")
    assert (h.format, h.unit) == ("tensorboard", "step")
    assert pairs(h) == [("Loss/train", "Loss/val")]
    idx, t, v = h.aligned(h.monitor())
    assert list(idx[:2]) == [20, 40] and len(idx) == 10
    assert np.isfinite(t).all()


def test_tensorboard_add_scalars_sub_runs():
    pytest.importorskip("tensorboard")
    h = load_history(TR / "tensorboard" / "torch_add_scalars")
    assert pairs(h) == [("Loss/train", "Loss/val")] and h.unit == "step"
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == list(range(8)) and t[1] == 0.5 and v[1] == pytest.approx(0.62)


def test_tensorboard_event_file():
    pytest.importorskip("tensorboard")
    from overfitdoc.readers.tbevents import read_tensorboard_file

    (f,) = (TR / "tensorboard" / "torch_run").iterdir()
    h = read_tensorboard_file(open_input(str(f)))
    assert h.format == "tensorboard" and val_points(h) == 10
    try:
        via_registry = load_history(f)
    except InputError as e:  # the registry's text check runs before binary readers
        pytest.skip(f"read_input rejects binary files before the event-file reader: {e.reason}")
    assert val_points(via_registry) == 10


def test_tensorboard_without_the_extra_says_how_to_install_it(monkeypatch):
    from overfitdoc.readers import tbevents

    monkeypatch.setattr(tbevents, "_load_api", lambda: None)
    with pytest.raises(InputError) as e:
        load_history(TR / "tensorboard" / "keras")
    assert e.value.reason == (
        "reading TensorBoard event files needs the 'tensorboard' extra: pip install 'overfitdoc[tensorboard]'"
    )


# --------------------------------------------------------------------------- MLflow
def _mlflow_runs():
    (exp,) = [p for p in (TR / "mlruns").iterdir() if p.is_dir() and (p / "meta.yaml").exists() and p.name != "0"]
    return exp, {(r / "tags" / "mlflow.runName").read_text(): r for r in exp.iterdir() if r.is_dir()}


def test_mlflow_run_experiment_and_root():
    exp, runs = _mlflow_runs()
    first = load_history(runs["first"])
    assert first.format == "mlflow" and first.notes == ()
    line = (runs["first"] / "metrics" / "val_loss").read_text().splitlines()[3].split()
    assert first.columns["val_loss"][int(line[2])] == float(line[1])
    assert "val/accuracy" in first.columns
    for d in (exp, TR / "mlruns"):
        h = load_history(d)
        assert any("reading the latest, second" in n for n in h.notes)
        assert h.columns["val_loss"][5] == load_history(runs["second"]).columns["val_loss"][5]


# --------------------------------------------------------------------------- directories
def test_expand_inputs_lists_the_logs_in_a_stable_order():
    _, runs = _mlflow_runs()
    got = expand_inputs([str(TR)])
    rel = [os.path.relpath(p, TR) for p in got]
    assert rel[:5] == [
        "keras_fit_evaluate.log",
        "keras_verbose1.log",
        "keras_verbose2.log",
        "lightning_different_losses.csv",
        "lightning_metrics.csv",
    ]
    assert "make_fixtures.py" not in rel and "SOURCES.md" not in rel
    assert set(rel) >= {
        "steplog.csv",
        "ultralytics_cls.csv",
        "wandb_history.csv",
        "hf_epoch/trainer_state.json",
        "tensorboard/keras",
        "tensorboard/torch_run",
    }
    assert {os.path.relpath(r, TR) for r in runs.values()} <= set(rel)
    assert expand_inputs([str(TR)]) == got
    # a run directory is one input; files and '-' pass through; duplicates go
    one = str(TR / "tensorboard" / "keras")
    assert expand_inputs([one, "-", one, "x.csv"]) == [one, "-", "x.csv"]


def test_expand_inputs_skips_configs_data_and_older_checkpoints(tmp_path):
    state = TR / "hf_steps" / "trainer_state.json"
    for d in ("out/checkpoint-5", "out/checkpoint-10", "done/checkpoint-10", "done", ".hidden"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
        shutil.copy(state, tmp_path / d / "trainer_state.json")
    (tmp_path / "out" / "config.json").write_text('{"hidden_size": 8, "vocab_size": 100}')
    (tmp_path / "data.csv").write_text("x1,x2,label\n0.1,0.2,1\n0.3,0.4,0\n")
    (tmp_path / "README.txt").write_text("Trained for 3 epochs.\n")
    shutil.copy(TR / "steplog.csv", tmp_path / "train_log.csv")
    rel = [os.path.relpath(p, tmp_path) for p in expand_inputs([str(tmp_path)])]
    assert rel == ["train_log.csv", "done/trainer_state.json", "out/checkpoint-10/trainer_state.json"]


def test_directory_with_one_log_reads_it_and_several_is_an_error(tmp_path):
    shutil.copy(TR / "ultralytics_cls.csv", tmp_path / "results.csv")
    h = load_history(tmp_path)
    assert h.format == "ultralytics-csv" and h.source == str(tmp_path)
    assert h.notes[0] == "read results.csv, the only training log in this directory"
    shutil.copy(TR / "steplog.csv", tmp_path / "steps.csv")
    with pytest.raises(InputError, match="holds 2 training logs"):
        load_history(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no training log"):
        load_history(empty)


def test_unknown_content_lists_the_formats(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("nothing to see here\njust words\n")
    with pytest.raises(InputError) as e:
        load_history(p)
    for name in ("hf-trainer-state", "lightning-csv", "ultralytics-csv", "wandb-csv", "wandb-panel-csv", "step-csv"):
        assert name in e.value.reason
    assert {"tensorboard", "mlflow"} <= {r.name for r in formats()}


# --------------------------------------------------------------------------- real-world corpus
def _corpus() -> Path | None:
    for base in (
        os.environ.get("OVERFITDOC_REALWORLD"),
        ROOT / "shared" / "realworld",
        ROOT.parent / "shared" / "realworld",
        "/work/shared/realworld",
    ):
        if base and (Path(base) / "MANIFEST.tsv").is_file():
            return Path(base)
    return None


CORPUS = _corpus()
MANIFEST = []
if CORPUS is not None:
    with open(CORPUS / "MANIFEST.tsv", newline="", encoding="utf-8") as f:
        MANIFEST = list(csv.DictReader(f, delimiter="\t"))

OUR_FORMATS = {
    "hf_trainer_state": "hf-trainer-state",
    "lightning_metrics_csv": "lightning-csv",
    "ultralytics_results_csv": "ultralytics-csv",
}
# validation points of the trainer formats, counted from the files by hand
CORPUS_POINTS = {
    "r028": 3,
    "r029": 70,
    "r030": 5,
    "r031": 11,
    "r032": 10,
    "r033": 30,
    "r035": 8,
    "r036": 25,
    "r037": 5,
    "r038": 35,
    "r039": 30,
    "r040": 5,
    "r041": 13,
    "r044": 20,
    "r045": 25,
    "r046": 100,
    "r047": 300,
    "r048": 20,
}


def _first_series(text: str) -> str | None:
    """'log_history[].eval_g0_loss ... eval_g5_loss (6 eval sets)' -> 'eval_g0_loss'."""
    text = text.strip()
    if not text or text.startswith("("):
        return None
    first = text.split(";")[0]
    first = first.split("(")[0].split(" ... ")[0].strip()
    return first.replace("log_history[].", "")


def _same(a: str, b: str) -> bool:
    def key(s):
        n = normalise(s)
        for suffix in ("_epoch", "_step"):
            n = n[: -len(suffix)] if n.endswith(suffix) else n
        return n

    return key(a) == key(b)


@pytest.mark.skipif(CORPUS is None, reason="the real-world corpus (shared/realworld) is not checked out here")
@pytest.mark.parametrize("row", MANIFEST, ids=[r["id"] for r in MANIFEST])
def test_realworld_corpus_file(row):
    h = load_history(CORPUS / row["filename"])
    train, val = _first_series(row["train_series"]), _first_series(row["val_series"])
    if val is None:  # train-only: reads, with no pairs (the analysis says insufficient_data)
        assert pairs(h) == [] and val_points(h) == 0
        return
    assert any(_same(p.train, train) and _same(p.val, val) for p in h.pairs), (train, val, pairs(h))
    mon = h.monitor()
    assert _same(mon.train, train) and _same(mon.val, val), (mon, train, val)
    if row["format"] in OUR_FORMATS:
        assert h.format == OUR_FORMATS[row["format"]]
    if row["id"] in CORPUS_POINTS:
        assert val_points(h) == CORPUS_POINTS[row["id"]]
