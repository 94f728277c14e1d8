"""Fixes for the Hugging Face ``Trainer`` and for Ultralytics YOLO, by rule id.

These two frameworks are configured, not coded: the fix is a ``TrainingArguments`` field or a
``model.train(...)`` argument, not a layer. A rule with no entry here has no meaningful fix in
that framework (a change to the model's code, say), and the report says so instead of showing
a Keras snippet.

The Hugging Face fixes that keep the best checkpoint also read the run (:class:`Run`): they
evaluate and save as often as the run did (per epoch, or every N steps on a step log, since
``EarlyStoppingCallback``'s patience counts evaluations), monitor the metric the rule monitors
under the Trainer's name (``eval_loss``, ``eval_g0_loss``), and train the run's own epochs
(``num_train_epochs``, which also sets the length of the Trainer's learning-rate schedule),
times the rule's extension where it asks for more.

The tests run every Hugging Face fix on a tiny model (transformers is in the test extra) and
every Ultralytics fix against Ultralytics 8.4.190 up to its training loop (the real
``model.train`` and trainer, through Ultralytics' configuration check, on an untrained model
built from the named weights' YAML); the names are also checked statically against the fields
of ``transformers.TrainingArguments`` and the keys of Ultralytics' default configuration
(``tests/fixtures/frameworks/``, taken from the packages, versions named there), which is all
that runs where Ultralytics is not installed.

The snippets use ``model``, ``train_dataset`` and ``eval_dataset`` (Hugging Face: your model
and datasets) and ``data.yaml`` / ``yolo11n.pt`` (Ultralytics: your data file and weights; a
segmentation or pose log's fixes name that task's weights, ``yolo11n-seg.pt``, and a
classification log's ``yolo11n-cls.pt`` with an image folder, ``dataset``, as its data).
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass
from typing import Any

import numpy as np

#: formats whose logs name their framework
FORMAT_FRAMEWORK = {"hf-trainer-state": "hf", "ultralytics-csv": "ultralytics"}


@dataclass(frozen=True)
class Run:
    """What the Hugging Face fixes read of the run itself, beside the rule's params: how often
    it evaluated and how long it trained, so that the fix evaluates as often (a patience counts
    evaluations) and trains as long as the run did (``num_train_epochs`` also sets the length
    of the Trainer's learning-rate schedule)."""

    unit: str = "epoch"  # what the log's index counts: epoch | step
    last: float | None = None  # the last validation point, in that unit
    epochs: float | None = None  # epochs trained: the index on an epoch log, the epoch column on a step log
    eval_every: int | None = None  # steps between evaluations, on a step log
    task: str | None = None  # an Ultralytics log's task (yolo_task), which names its weights and data

    @classmethod
    def of(cls, d: Any) -> Run:
        points = np.asarray(getattr(d, "points", ()), dtype=float)
        task = yolo_task(d)
        if len(points) == 0:
            return cls(task=task)
        unit, last = d.unit, float(points[-1])
        if unit == "step":
            steps = np.diff(points)
            every = int(round(float(np.median(steps)))) if len(steps) else int(round(last))
            return cls(unit, last, d.epochs_trained, max(every, 1), task)
        return cls(unit, last, last - d.epoch_base + 1, task=task)


#: the loss pairs that only one Ultralytics task logs besides detection's box, cls and dfl losses
_YOLO_TASK_LOSSES = (("segment", "seg_loss"), ("pose", "pose_loss"), ("pose", "kobj_loss"))
#: the suffix of each task's published weights (``yolo11n-cls.pt``); detection has none
_YOLO_SUFFIX = {"detect": "", "segment": "-seg", "pose": "-pose", "classify": "-cls"}


def yolo_task(d: Any) -> str | None:
    """The task of an Ultralytics log, from the loss pairs the analysis found in it
    (``Diagnosis.series``): ``train/seg_loss`` and ``val/seg_loss`` make a segmentation log,
    ``pose_loss`` or ``kobj_loss`` a pose log; a log with no box loss is a classification log
    (it logs one ``loss``); ``detect`` otherwise (an oriented-box log has detection's losses
    too, and reads as detect). None for any other format."""
    if getattr(d, "format", None) != "ultralytics-csv":
        return None
    names = [str(m).lower() for m in getattr(d, "series", ()) or ()]
    for task, loss in _YOLO_TASK_LOSSES:
        if loss in names:
            return task
    return "detect" if "box_loss" in names else "classify"


def _yolo_for_task(text: str, task: str | None) -> str:
    """An Ultralytics fix for the log's task: the weights of that task at the same size
    (``yolo11m.pt`` -> ``yolo11m-cls.pt``) and, for classification, an image folder as the data
    (Ultralytics reads ``train/`` and ``val/`` with a subfolder per class; it takes no YAML)."""
    suffix = _YOLO_SUFFIX.get(task or "detect", "")
    if suffix:
        text = re.sub(r'"yolo11([nsmlx])\.pt"', lambda m: f'"yolo11{m.group(1)}{suffix}.pt"', text)
    if task == "classify":
        text = text.replace('data="data.yaml"', 'data="dataset"').replace(
            "# your weights", "# your weights; dataset/: train/ and val/, a folder per class"
        )
    return text


def _hf_eval(run: Run) -> str:
    """The evaluation and checkpoint cadence of the run: per epoch, or every N steps."""
    if run.unit == "step" and run.eval_every:
        n = run.eval_every
        return (
            f'    eval_strategy="steps",\n    eval_steps={n},  # as often as this run evaluated\n'
            f'    save_strategy="steps",\n    save_steps={n},\n'
        )
    return '    eval_strategy="epoch",\n    save_strategy="epoch",\n'


def _hf_best(params: dict[str, Any]) -> str:
    """The metric the rule monitors (``val_accuracy`` is the Trainer's ``eval_accuracy``) and its direction."""
    monitor = str(params.get("monitor", "val_loss"))
    metric = "eval_" + (monitor[4:] if monitor.startswith("val_") else monitor)
    greater = params.get("mode") == "max"
    return f'    metric_for_best_model="{metric}",\n    greater_is_better={greater},\n'


def _hf_length(run: Run | None, params: dict[str, Any]) -> str:
    """``num_train_epochs`` from the run's own epochs (whole, rounded up), times the rule's
    extension where it asks for more (``epochs / initial_epoch``, train-longer); ``max_steps``
    on a step log that does not say its epochs."""
    extend = 1.0
    if params.get("initial_epoch") and params.get("epochs"):
        extend = float(params["epochs"]) / float(params["initial_epoch"])
    if run is not None and run.epochs:
        n = max(1, math.ceil(round(run.epochs * extend, 6)))
        note = "this run's epochs" if extend == 1 else f"{extend:g}x this run's {run.epochs:g} epochs"
        return f"    num_train_epochs={n},  # {note}\n"
    if run is not None and run.unit == "step" and run.last:
        n = max(1, math.ceil(run.last * extend))
        note = "this run's steps" if extend == 1 else f"{extend:g}x this run's {run.last:g} steps"
        return f"    max_steps={n},  # {note}\n"
    return "    num_train_epochs=${epochs},\n"


_HF_HEAD = "from transformers import Trainer, TrainingArguments\n\n"
_HF_TAIL = """
trainer = Trainer(model=model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset)
trainer.train()
"""


def _hf(fields: str, callbacks: str = "", head: str = _HF_HEAD) -> str:
    tail = _HF_TAIL
    if callbacks:
        tail = (
            "\ntrainer = Trainer(\n    model=model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset,\n"
            f"{callbacks}\n)\ntrainer.train()\n"
        )
    return f'{head}args = TrainingArguments(\n    output_dir="out",\n{fields}){tail}'


def _yolo(args: str) -> str:
    return f'from ultralytics import YOLO\n\nmodel = YOLO("yolo11n.pt")  # your weights\nmodel.train(data="data.yaml", {args}\n'


#: ``${hf_eval}``, ``${hf_best}`` and ``${hf_length}`` are whole lines of the run's own (the functions above)
_BEST = "${hf_eval}    load_best_model_at_end=True,\n${hf_best}${hf_length}"

HF: dict[str, str] = {
    "early-stopping": _hf(
        _BEST,
        "    callbacks=[EarlyStoppingCallback(early_stopping_patience=${patience})],",
        "from transformers import EarlyStoppingCallback, Trainer, TrainingArguments\n\n",
    ),
    "train-longer": _hf(
        _BEST,
        "    callbacks=[EarlyStoppingCallback(early_stopping_patience=${patience})],",
        "from transformers import EarlyStoppingCallback, Trainer, TrainingArguments\n\n",
    ),
    "weight-decay": _hf("    learning_rate=${lr},\n    weight_decay=${weight_decay},  # AdamW's decoupled decay\n"),
    "label-smoothing": _hf("    label_smoothing_factor=${smoothing},\n"),
    "lr-schedule": _hf(
        '    learning_rate=${max_lr},\n    lr_scheduler_type="cosine",\n    warmup_steps=0.1,  # a share of the steps\n'
    ),
    "warmup": _hf('    learning_rate=${lr},\n    warmup_steps=${warmup_steps},\n    lr_scheduler_type="linear",\n'),
    "lower-lr": _hf("    learning_rate=${lr},\n"),
    "higher-lr": _hf("    learning_rate=${lr},\n"),
    "gradient-clipping": _hf("    max_grad_norm=${max_norm},\n"),
    "evaluate-more-often": _hf(
        '    eval_strategy="steps",\n    eval_steps=${eval_steps},\n'
        "    logging_steps=${eval_steps},  # the training loss at the same steps\n"
    ),
    "repeat-with-seeds": _hf(
        "    seed=2,  # then seed=3: other batch order, dropout and new-head weights; the same model at its start\n"
    ),
    # the rule's batch_size (32) is larger than these frameworks' defaults: half the default instead
    "smaller-batch": _hf("    per_device_train_batch_size=4,  # half the Trainer's default (8): halve yours\n"),
    "less-regularization": _hf("    weight_decay=${weight_decay},\n    label_smoothing_factor=0.0,\n"),
}

ULTRALYTICS: dict[str, str] = {
    "early-stopping": _yolo("epochs=${epochs}, patience=${patience})  # stops; best.pt keeps the best epoch"),
    "train-longer": _yolo("epochs=${epochs}, patience=${patience})  # best.pt keeps the best epoch"),
    "weight-decay": _yolo("weight_decay=${weight_decay})  # default 0.0005"),
    "dropout": _yolo("dropout=${rate})  # classification models only"),
    "data-augmentation": _yolo(
        "mosaic=1.0, mixup=0.1, hsv_h=0.015, hsv_s=0.7, hsv_v=0.4,\n            fliplr=0.5, degrees=5.0, scale=0.5)"
    ),
    "lr-schedule": _yolo("lr0=${max_lr}, cos_lr=True, lrf=0.01)  # cosine from lr0 to lr0 * lrf"),
    "warmup": _yolo("lr0=${lr}, warmup_epochs=5.0)"),
    "lower-lr": _yolo("lr0=${lr})"),
    "evaluate-more-often": _yolo("epochs=${min_epochs})  # validates once per epoch: more epochs, more evaluations"),
    "repeat-with-seeds": _yolo("epochs=${epochs}, seed=2, deterministic=True)  # then seed=3: does the verdict hold?"),
    "higher-lr": _yolo("lr0=${lr})"),
    "smaller-batch": _yolo("batch=8)  # half the default (16): halve yours"),
    "less-regularization": _yolo("weight_decay=${weight_decay}, dropout=0.0)"),
    "more-capacity": 'from ultralytics import YOLO\n\nmodel = YOLO("yolo11m.pt")  # a larger size: n < s < m < l < x\nmodel.train(data="data.yaml", epochs=${epochs})\n',
    "smaller-model": 'from ultralytics import YOLO\n\nmodel = YOLO("yolo11n.pt")  # a smaller size: n < s < m < l < x\nmodel.train(data="data.yaml", epochs=${epochs})\n',
}

TABLES = {"hf": HF, "ultralytics": ULTRALYTICS}
NAMES = {"hf": "Hugging Face Trainer", "ultralytics": "Ultralytics"}


def no_fix(framework: str) -> str:
    """The snippet shown when a rule has no fix in this framework (a comment: it parses)."""
    return (
        f"# overfitdoc has no {NAMES[framework]} setting for this remedy: it is a change to\n"
        "# your model, data or evaluation code; overfitdoc explain ID describes it.\n"
    )


def snippet(rule_id: str, framework: str, run: Run | None = None, params: dict[str, Any] | None = None) -> str:
    """The rule's template in this framework, with the lines read from the run filled in (the
    rule's ``${params}`` are left for :func:`~overfitdoc.advice.base.render_snippet`)."""
    text = TABLES[framework].get(rule_id)
    if text is None:
        return no_fix(framework)
    if framework == "ultralytics":
        return _yolo_for_task(text, run.task if run is not None else None)
    if framework == "hf":
        values = dict(params or {})
        text = string.Template(text).safe_substitute(
            hf_eval=_hf_eval(run or Run()), hf_best=_hf_best(values), hf_length=_hf_length(run, values)
        )
    return text
