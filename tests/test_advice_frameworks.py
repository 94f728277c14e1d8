"""Hugging Face Trainer and Ultralytics fixes: chosen from the log's format or --framework,
checked statically (they parse; every TrainingArguments field and every model.train argument
exists in the package versions named in tests/fixtures/frameworks/), read from the run (the HF
fixes' evaluation cadence and length), and executed: every HF fix trains a tiny model, every
Ultralytics fix builds its real trainer, through Ultralytics' configuration check (below)."""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import importlib.util
import re
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import overfitdoc
from overfitdoc.advice import advise, rules
from overfitdoc.advice.frameworks import TABLES
from overfitdoc.analysis.types import CannotTell
from overfitdoc.cli import app

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "realworld"


def _names(name):
    lines = (HERE / "fixtures" / "frameworks" / name).read_text().splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


HF_FIELDS = _names("transformers-TrainingArguments.txt")
YOLO_KEYS = _names("ultralytics-default-cfg.txt")
EARLY_STOPPING_ARGS = {"early_stopping_patience", "early_stopping_threshold"}


def _calls(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            if called == name:
                yield node


@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
@pytest.mark.parametrize("framework", ["hf", "ultralytics"])
def test_framework_snippets_parse_and_name_real_arguments(rule, framework):
    code = rule.fix_for(overfitdoc.advice.Context(framework=framework))[framework]
    tree = ast.parse(code)
    if rule.id not in TABLES[framework]:
        assert code.startswith("# overfitdoc has no ") and "Keras" not in code
        return
    if framework == "hf":
        for call in _calls(tree, "TrainingArguments"):
            assert {k.arg for k in call.keywords} <= HF_FIELDS, rule.id
        for call in _calls(tree, "EarlyStoppingCallback"):
            assert {k.arg for k in call.keywords} <= EARLY_STOPPING_ARGS
    else:
        calls = list(_calls(tree, "train"))
        assert calls, rule.id
        for call in calls:
            assert {k.arg for k in call.keywords} <= YOLO_KEYS, rule.id


def test_the_log_format_picks_the_framework():
    d = overfitdoc.diagnose(str(REAL / "r032_hf_trainer_state_crlf.json"))
    advice = advise(d)
    assert all(list(a.fix) == ["hf"] for a in advice)
    stop = next(a for a in advice if a.id == "early-stopping")
    assert "EarlyStoppingCallback" in stop.fix["hf"]
    d = overfitdoc.diagnose(str(REAL / "r046_yolo_det_v11.csv"))
    for a in advise(d):
        assert list(a.fix) == ["ultralytics"]
        assert "keras" not in a.fix["ultralytics"] and "sparse_categorical" not in a.fix["ultralytics"]
    assert {"dropout", "batch-norm", "feature-engineering"}.isdisjoint(a.id for a in advise(d))


def test_cli_accepts_framework_hf_and_ultralytics():
    runner = CliRunner()
    for fw, name in (("hf", "Hugging Face Trainer"), ("ultralytics", "Ultralytics")):
        r = runner.invoke(app, ["diagnose", "sample_runs/overfit.csv", "--framework", fw], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        assert f"Fix for #1 in {name}:" in r.stdout


def test_cli_picks_the_framework_from_the_detected_format():
    runner = CliRunner()
    for log, name in (("r031_hf_trainer_state.json", "Hugging Face Trainer"), ("r045_yolo_det_v8.csv", "Ultralytics")):
        r = runner.invoke(app, ["diagnose", str(REAL / log)], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        assert f"Fix for #1 in {name}:" in r.stdout and "keras" not in r.stdout.lower()
    r = runner.invoke(app, ["diagnose", str(REAL / "r031_hf_trainer_state.json"), "--framework", "keras"])
    assert "Fix for #1 in Keras:" in r.stdout  # --framework wins over the format


def _hf_fix(log, rule_id, framework=None):
    d = overfitdoc.diagnose(str(log))
    return next(a for a in advise(d, {"framework": framework}) if a.id == rule_id).fix["hf"]


def test_hf_fixes_train_and_evaluate_as_the_run_did():
    # a step log (evaluated every 200 steps, 4.75 epochs in its epoch column): as often, 5 epochs
    code = _hf_fix(REAL / "r031_hf_trainer_state.json", "early-stopping")
    assert 'eval_strategy="steps"' in code and "eval_steps=200," in code and "save_steps=200," in code
    assert "num_train_epochs=5," in code
    # an epoch log of 10 epochs
    code = _hf_fix(REAL / "r032_hf_trainer_state_crlf.json", "early-stopping")
    assert 'eval_strategy="epoch"' in code and "num_train_epochs=10," in code
    # six eval sets: the monitored one is eval_g0, as the Trainer names its metrics
    code = _hf_fix(REAL / "r033_hf_trainer_state_multieval.json", "early-stopping")
    assert 'metric_for_best_model="eval_g0_loss",' in code and "num_train_epochs=30," in code
    # train-longer: 4x this run's 25 epochs (the rule's own extension), not a constant
    code = _hf_fix(HERE.parent / "sample_runs" / "still_improving.csv", "train-longer", "hf")
    assert "num_train_epochs=100,  # 4x this run's 25 epochs" in code


def test_hf_length_of_a_step_log_without_epochs_is_its_steps():
    from overfitdoc.advice.frameworks import Run, _hf_length

    assert _hf_length(Run("step", 3000.0, None, 100), {}).strip() == "max_steps=3000,  # this run's steps"
    assert "max_steps=12000," in _hf_length(Run("step", 3000.0, None, 100), {"epochs": 40, "initial_epoch": 10})
    assert _hf_length(Run("step", 3000.0, 2.5, 100), {}).startswith("    num_train_epochs=3,")


# ---------------------------------------------------------------- Hugging Face: run every fix
#
# Each Hugging Face fix, filled as the report fills it (the advice on real trainer_state.json
# logs, epoch- and step-based, and on the sample runs with --framework hf), is executed against
# a tiny randomly initialised BERT built from a config (no download) on a seeded random token
# dataset. The harness caps the run at 2 optimizer steps, evaluating and saving at each when the
# fix evaluates by steps (the calls are real, only shorter), then checks that every field the fix
# sets took effect in the Trainer.

# runs the analysis cannot be sure of, for the fixes that name the deciding experiment: a
# 3-epoch fine-tune (evaluate-more-often) and a narrow call (repeat-with-seeds)
CANNOT_TELL_LOGS = [
    HERE / "fixtures" / "generated" / "short_finetune.json",
    # a narrow call (overfitting_and_underfitting, confidence 0.488): repeat-with-seeds
    HERE.parent / "benchmarks" / "accuracy" / "runs" / "moons_labelnoise-s12-02-regularized.csv",
]

HF_LOGS = [
    REAL / "r028_hf_trainer_state.json",
    REAL / "r030_hf_trainer_state.json",
    REAL / "r031_hf_trainer_state.json",
    REAL / "r032_hf_trainer_state_crlf.json",
    REAL / "r033_hf_trainer_state_multieval.json",
    *sorted((HERE.parent / "sample_runs").glob("*.csv")),
    *CANNOT_TELL_LOGS,
]


def _filled(logs, framework, cadence=False):
    """(rule id, log, code): the first fix of each rule (per evaluation cadence when asked), as reported."""
    out, seen = [], set()
    for path in logs:
        d = overfitdoc.diagnose(str(path))
        for a in advise(d, {"framework": framework}):
            code = a.fix[framework]
            task = re.search(r"yolo11\w(-\w+)?\.pt", code) if framework == "ultralytics" else None
            key = (a.id, cadence and "eval_steps=" in code, cadence and "eval_g0_" in code, task and task.group(1))
            if a.id in TABLES[framework] and key not in seen:
                seen.add(key)
                out.append(pytest.param(a.id, path.name, code, id=f"{a.id}:{path.name}"))
    return out


HF_FILLED = _filled(HF_LOGS, "hf", cadence=True)


def test_every_hf_fix_is_reported_somewhere():
    assert {p.values[0] for p in HF_FILLED} == set(TABLES["hf"])
    assert any("eval_steps=" in p.values[2] for p in HF_FILLED)  # a step log's cadence is run too
    assert any('"eval_g0_loss"' in p.values[2] for p in HF_FILLED)  # and a log with several eval sets


def _literals(tree, name):
    """The keyword arguments of every call to ``name``, evaluated (the fixes pass literals)."""
    return [{k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg} for call in _calls(tree, name)]


@pytest.fixture(scope="module")
def hf_harness():
    if importlib.util.find_spec("transformers") is None:
        pytest.skip("the test extra installs transformers")
    offline = pytest.MonkeyPatch()
    offline.setenv("HF_HUB_OFFLINE", "1")  # read when huggingface_hub is imported: nothing is downloaded
    import transformers

    cfg = transformers.BertConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1)
    cfg.num_attention_heads, cfg.max_position_embeddings, cfg.num_labels = 2, 16, 3
    import torch

    gen = torch.Generator().manual_seed(0)

    def dataset(n):
        ids = torch.randint(1, cfg.vocab_size, (n, 8), generator=gen)
        labels = torch.randint(0, cfg.num_labels, (n,), generator=gen)
        return [
            {"input_ids": ids[i], "attention_mask": torch.ones(8, dtype=torch.long), "labels": labels[i]}
            for i in range(n)
        ]

    # resolved before a test replaces the module (its lazy attributes import through sys.modules)
    real = types.SimpleNamespace(
        Trainer=transformers.Trainer,
        TrainingArguments=transformers.TrainingArguments,
        EarlyStoppingCallback=transformers.EarlyStoppingCallback,
        model=lambda: transformers.BertForSequenceClassification(cfg),
    )
    yield real, dataset(32), dataset(16)
    offline.undo()


@pytest.mark.parametrize("rule_id, log, code", HF_FILLED)
def test_hf_fix_runs_on_a_tiny_model_and_its_fields_take_effect(rule_id, log, code, hf_harness, tmp_path, monkeypatch):
    import torch

    real, train_dataset, eval_dataset = hf_harness
    monkeypatch.chdir(tmp_path)  # output_dir="out" lands here
    tree = ast.parse(code)
    (written,) = _literals(tree, "TrainingArguments")
    stopping = _literals(tree, "EarlyStoppingCallback")
    made = []

    steps = written.get("eval_strategy") == "steps"

    def capped(**kw):  # two optimizer steps (max_steps overrides num_train_epochs), evaluated by steps at each
        kw.update(max_steps=2, report_to="none", use_cpu=True, disable_tqdm=True)
        if steps:
            kw.update(eval_steps=1, save_steps=1)
        return real.TrainingArguments(**kw)

    def recorded(*a, **k):
        made.append(real.Trainer(*a, **k))
        return made[-1]

    # the fix's ``from transformers import ...`` gets these (the real callback, the capped arguments)
    shim = types.ModuleType("transformers")
    shim.Trainer, shim.TrainingArguments = recorded, capped
    shim.EarlyStoppingCallback = real.EarlyStoppingCallback
    torch.manual_seed(0)
    model = real.model()
    monkeypatch.setitem(sys.modules, "transformers", shim)
    named = re.fullmatch(r"eval_(\w+)_loss", str(written.get("metric_for_best_model", "")))
    if named:  # the log had several eval sets: the Trainer names each set's metrics after its key
        eval_dataset = {named.group(1): eval_dataset}
    exec(
        compile(code, f"<{rule_id}:{log}>", "exec"),
        {"model": model, "train_dataset": train_dataset, "eval_dataset": eval_dataset},
    )
    (trainer,) = made
    args = trainer.args
    shortened = {"num_train_epochs", "max_steps", "output_dir"} | ({"eval_steps", "save_steps"} if steps else set())
    for field, value in written.items():
        if field in shortened:
            continue
        got = getattr(args, field)
        got = getattr(got, "value", got)  # enums: IntervalStrategy.EPOCH == "epoch"
        assert got == value, (field, got, value)
    assert trainer.state.global_step == 2  # it trained
    if written.get("load_best_model_at_end"):
        assert trainer.state.best_model_checkpoint is not None  # evaluated, saved, restored the best
        assert trainer.state.best_metric is not None and written["metric_for_best_model"] in str(
            trainer.state.log_history
        )
    if stopping:
        (es,) = [c for c in trainer.callback_handler.callbacks if type(c).__name__ == "EarlyStoppingCallback"]
        assert es.early_stopping_patience == stopping[0]["early_stopping_patience"]
    if "learning_rate" in written:
        assert trainer.lr_scheduler.base_lrs[0] == pytest.approx(written["learning_rate"])
    if written.get("weight_decay"):
        assert max(g["weight_decay"] for g in trainer.optimizer.param_groups) == pytest.approx(written["weight_decay"])
    if written.get("label_smoothing_factor"):
        assert trainer.label_smoother.epsilon == pytest.approx(written["label_smoothing_factor"])
    if written.get("warmup_steps"):
        assert args.get_warmup_steps(100) >= 1
    if "per_device_train_batch_size" in written:
        first = next(iter(trainer.get_train_dataloader()))
        assert len(first["labels"]) == min(written["per_device_train_batch_size"], len(train_dataset))


# ---------------------------------------------------------------- Ultralytics: run every fix
#
# Each Ultralytics fix, filled as the report fills it (the advice on real results.csv logs and on
# the sample runs with --framework ultralytics), is executed against Ultralytics 8.4.190: its
# ``YOLO("yolo11n.pt")`` builds the same model from its YAML (``yolo11n.yaml``, no weights are
# downloaded; the name must be one Ultralytics publishes), and its ``model.train(...)`` is the
# real one: it merges the arguments, builds the real trainer of the task (DetectionTrainer,
# SegmentationTrainer, ClassificationTrainer on a one-image folder for a classification log), whose first step is
# Ultralytics' configuration check (get_cfg: an unknown key, a wrong type or a value out of
# range raises), then reads data.yaml (a dataset of empty folders here). Only the training loop,
# BaseTrainer.train, is replaced: it records the trainer and stops, so the test checks that
# every argument the fix sets is the trainer's. Nothing goes online (YOLO_OFFLINE, settings in a
# temporary YOLO_CONFIG_DIR).
#
# Ultralytics is installed without its dependency torchvision (README, "Run the tests"): the
# only torchvision beside this project's CPU torch 2.13.0 is PyPI's 0.28.0, a CUDA build whose
# ops do not load ("operator torchvision::nms does not exist"), and torchmetrics imports it when
# it is installed, so `import lightning` would fail for the whole suite. Nothing here imports
# torchvision; Ultralytics only reads its version at import (importlib.metadata), which the
# harness answers with 0.28.0, the release torch 2.13.0 pairs with. Without Ultralytics the
# static check above stands (the keys of its default configuration, tests/fixtures/frameworks/).

YOLO_LOGS = [
    REAL / "r044_yolo_det_v5.csv",
    REAL / "r045_yolo_det_v8.csv",
    REAL / "r046_yolo_det_v11.csv",
    REAL / "r047_yolo_seg.csv",
    REAL / "r048_yolo_cls.csv",
    *sorted((HERE.parent / "sample_runs").glob("*.csv")),
    *CANNOT_TELL_LOGS,
]


YOLO_FILLED = _filled(YOLO_LOGS, "ultralytics")


def test_every_ultralytics_fix_is_reported_somewhere():
    assert {p.values[0] for p in YOLO_FILLED} == set(TABLES["ultralytics"])


class _Trained(Exception):
    """Raised by the harness in place of the training loop, once the trainer is built."""


@pytest.fixture(scope="module")
def yolo_harness(tmp_path_factory):
    if importlib.util.find_spec("ultralytics") is None:
        pytest.skip(
            "Ultralytics is installed by README's test command: pip install --no-deps -c constraints.txt ultralytics"
        )
    env = pytest.MonkeyPatch()
    env.setenv("YOLO_OFFLINE", "1")  # read when ultralytics is imported: no update check, no download, no events
    env.setenv("YOLO_CONFIG_DIR", str(tmp_path_factory.mktemp("ultralytics-settings")))
    env.setenv("YOLO_VERBOSE", "False")
    version = importlib.metadata.version

    def torchvision_paired(name):  # torchvision is not installed (above): the release torch 2.13.0 pairs with
        try:
            return version(name)
        except importlib.metadata.PackageNotFoundError:
            if name != "torchvision":
                raise
            return "0.28.0"

    env.setattr(importlib.metadata, "version", torchvision_paired)
    import ultralytics
    from ultralytics.engine.trainer import BaseTrainer
    from ultralytics.utils.downloads import GITHUB_ASSETS_NAMES

    env.setattr(importlib.metadata, "version", version)
    yield types.SimpleNamespace(
        module=ultralytics, YOLO=ultralytics.YOLO, trainer=BaseTrainer, published=GITHUB_ASSETS_NAMES
    )
    env.undo()


def _run_yolo_fix(code, harness, tmp_path, monkeypatch):
    """Execute the fix in tmp_path as the harness above describes; return its trainer."""
    monkeypatch.chdir(tmp_path)
    for split in ("train", "val"):
        (tmp_path / "images" / split).mkdir(parents=True)
    (tmp_path / "data.yaml").write_text(
        f"path: {tmp_path}\ntrain: images/train\nval: images/val\nnames:\n  0: object\n"
    )
    from PIL import Image

    for split in ("train", "val"):  # a classification fix's image folder: one image of one class
        (tmp_path / "dataset" / split / "object").mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "dataset" / split / "object" / "a.png")
    made = []

    def stop(self):
        made.append(self)
        raise _Trained

    def weights(name):
        assert name in harness.published, f"{name} is not a model Ultralytics publishes"
        model = harness.YOLO(str(Path(name).with_suffix(".yaml")))  # the same architecture and size, untrained
        model.overrides["project"] = str(tmp_path / "runs")  # the snippet names no project: its runs land here
        return model

    monkeypatch.setattr(harness.trainer, "train", stop)
    monkeypatch.setattr(harness.module, "YOLO", weights, raising=False)
    compiled = compile(code, "<fix>", "exec")
    with pytest.raises(_Trained):
        exec(compiled, {})
    (trainer,) = made
    return trainer


@pytest.mark.parametrize("rule_id, log, code", YOLO_FILLED)
def test_ultralytics_fix_builds_its_trainer_with_every_argument(
    rule_id, log, code, yolo_harness, tmp_path, monkeypatch
):
    trainer = _run_yolo_fix(code, yolo_harness, tmp_path, monkeypatch)
    (written,) = _literals(ast.parse(code), "train")
    for key, value in written.items():
        assert getattr(trainer.args, key) == value, (key, getattr(trainer.args, key), value)
    assert trainer.epochs == trainer.args.epochs and trainer.data["names"] == {0: "object"}  # it read its data
    task = {"-cls": "classify", "-seg": "segment", "-pose": "pose"}
    weights = re.search(r"yolo11\w(-\w+)?\.pt", code)
    assert trainer.args.task == task.get(weights.group(1), "detect")  # the log's task, from its weights


def test_ultralytics_fixes_follow_the_log_task():
    """A classification log's fixes name classification weights and an image folder; a
    segmentation log's, segmentation weights; a detection log's, detection weights."""
    from overfitdoc.advice.frameworks import yolo_task

    for name, task, weights in (
        ("r048_yolo_cls.csv", "classify", "-cls"),
        ("r047_yolo_seg.csv", "segment", "-seg"),
        ("r046_yolo_det_v11.csv", "detect", ""),
    ):
        d = overfitdoc.diagnose(str(REAL / name))
        assert yolo_task(d) == task
        # made a narrow call, so that repeat-with-seeds (whose fix builds the model) fires too
        narrow = CannotTell("narrow", "the deciding test passed narrowly", "repeat the run")
        d = dataclasses.replace(d, confidence=0.45, cannot_tell=narrow)
        fixes = [a.fix["ultralytics"] for a in advise(d) if "YOLO(" in a.fix["ultralytics"]]
        assert fixes and all(re.search(r'YOLO\("yolo11[nsmlx]' + re.escape(weights) + r'\.pt"', f) for f in fixes), (
            name,
            fixes,
        )
        assert all(('data="dataset"' in f) == (task == "classify") for f in fixes)


@pytest.mark.parametrize(
    "rule_id, old, new, refused",
    [
        ("early-stopping", "patience=", "patiense=", SyntaxError),  # not a train argument
        ("data-augmentation", "fliplr=0.5", "fliplr=1.5", ValueError),  # a probability above 1
        ("lr-schedule", "cos_lr=True", "cos_lr=1", TypeError),  # not a bool
        ("lower-lr", "lr0=", 'lr0="0.001", lrf=', TypeError),  # a string for a float
        ("more-capacity", '"yolo11m.pt"', '"yolo11q.pt"', AssertionError),  # not a published model
    ],
)
def test_a_mutated_ultralytics_fix_fails(rule_id, old, new, refused, yolo_harness, tmp_path, monkeypatch):
    """The harness can fail: a wrong key, value or model name in a fix is refused by Ultralytics."""
    code = next(p.values[2] for p in YOLO_FILLED if p.values[0] == rule_id)
    assert old in code
    with pytest.raises(refused):
        _run_yolo_fix(code.replace(old, new, 1), yolo_harness, tmp_path, monkeypatch)


def test_explain_pages_show_the_hf_and_ultralytics_fix_where_the_rule_has_one():
    """Every rule page (``overfitdoc explain ID``, docs/rules) ends its Fix with the Hugging Face
    Trainer and Ultralytics fixes the rule has, filled with its defaults, and the code parses."""
    import ast
    import re

    from overfitdoc.advice.docs import render_page
    from overfitdoc.advice.frameworks import NAMES, TABLES
    from overfitdoc.advice.rules import load_rules

    seen = 0
    for rule in load_rules():
        page = render_page(rule)
        for key, table in TABLES.items():
            heading = f"### {NAMES[key]}\n\n```python\n"
            assert (heading in page) == (rule.id in table), (rule.id, key)
            if rule.id in table:
                code = page.split(heading, 1)[1].split("```", 1)[0]
                assert "${" not in code
                ast.parse(code)
                seen += 1
    assert seen >= 10
    assert re.search(
        r"EarlyStoppingCallback\(early_stopping_patience=\d+\)",
        render_page(next(r for r in load_rules() if r.id == "early-stopping")),
    )
