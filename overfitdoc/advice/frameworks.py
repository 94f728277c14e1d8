"""Fixes for the Hugging Face ``Trainer`` and for Ultralytics YOLO, by rule id.

These two frameworks are configured, not coded: the fix is a ``TrainingArguments`` field or a
``model.train(...)`` argument, not a layer. A rule with no entry here has no meaningful fix in
that framework (a change to the model's code, say), and the report says so instead of showing
a Keras snippet. The names used are checked by the tests against the fields of
``transformers.TrainingArguments`` and the keys of Ultralytics' default configuration
(``tests/fixtures/frameworks/``, taken from the packages, versions named there).

The snippets use ``model``, ``train_dataset`` and ``eval_dataset`` (Hugging Face: your model
and datasets) and ``data.yaml`` / ``yolo11n.pt`` (Ultralytics: your data file and weights).
"""

from __future__ import annotations

#: formats whose logs name their framework
FORMAT_FRAMEWORK = {"hf-trainer-state": "hf", "ultralytics-csv": "ultralytics"}

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


_BEST = (
    '    eval_strategy="epoch",\n    save_strategy="epoch",\n    load_best_model_at_end=True,\n'
    '    metric_for_best_model="eval_loss",\n    greater_is_better=False,\n'
)

HF: dict[str, str] = {
    "early-stopping": _hf(
        _BEST + "    num_train_epochs=${epochs},\n",
        "    callbacks=[EarlyStoppingCallback(early_stopping_patience=${patience})],",
        "from transformers import EarlyStoppingCallback, Trainer, TrainingArguments\n\n",
    ),
    "train-longer": _hf(
        _BEST + "    num_train_epochs=${epochs},\n",
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
    "smaller-batch": _hf("    per_device_train_batch_size=${batch_size},\n"),
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
    "higher-lr": _yolo("lr0=${lr})"),
    "smaller-batch": _yolo("batch=${batch_size})"),
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


def snippet(rule_id: str, framework: str) -> str:
    return TABLES[framework].get(rule_id) or no_fix(framework)
