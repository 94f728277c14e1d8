"""Series pairing and metric direction, as data: (columns, expected pairs)."""

import pytest

from overfitdoc.naming import find_pairs, metric_mode, normalise, pick_monitor

PAIRING = [
    (
        ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
        [("accuracy", "val_accuracy", "max"), ("loss", "val_loss", "min")],
    ),
    (["epoch", "acc", "loss", "val_acc", "val_loss", "lr"], [("acc", "val_acc", "max"), ("loss", "val_loss", "min")]),
    (["train_loss", "valid_loss"], [("train_loss", "valid_loss", "min")]),
    (["training_loss", "validation_loss"], [("training_loss", "validation_loss", "min")]),
    (["Epoch", "Training Loss", "Validation Loss"], [("Training Loss", "Validation Loss", "min")]),
    (["TrainLoss", "ValLoss", "ValSpearman", "LR"], [("TrainLoss", "ValLoss", "min")]),
    (["train/loss", "val/loss"], [("train/loss", "val/loss", "min")]),
    (["loss", "eval_loss", "eval_accuracy", "learning_rate"], [("loss", "eval_loss", "min")]),
    (["train_loss", "test_loss"], [("train_loss", "test_loss", "min")]),
    (["train_loss", "val_loss", "test_loss"], [("train_loss", "val_loss", "min")]),
    (["loss_train", "loss_val"], [("loss_train", "loss_val", "min")]),
    (
        ["train_loss_step", "train_loss_epoch", "val_loss_epoch", "val_loss_step"],
        [("train_loss_epoch", "val_loss_epoch", "min")],
    ),
    (["train_cos", "val_cos"], [("train_cos", "val_cos", "max")]),
    (["train_metrics.r2", "val_metrics.r2"], [("train_metrics.r2", "val_metrics.r2", "max")]),
    ([" training_acc", " val_acc"], [(" training_acc", " val_acc", "max")]),
    (["G_loss", "D_loss", "epoch_seconds"], []),
    (["loss", "accuracy"], []),
]


@pytest.mark.parametrize("columns,expected", PAIRING)
def test_find_pairs(columns, expected):
    assert [(p.train, p.val, p.mode) for p in find_pairs(columns)] == expected


@pytest.mark.parametrize(
    "name,mode",
    [
        ("loss", "min"),
        ("mae", "min"),
        ("rmse", "min"),
        ("perplexity", "min"),
        ("wer", "min"),
        ("dice_loss", "min"),
        ("accuracy", "max"),
        ("auc", "max"),
        ("f1", "max"),
        ("precision", "max"),
        ("recall", "max"),
        ("iou", "max"),
        ("mean_io_u_5", "max"),
        ("dice_coef", "max"),
        ("r2", "max"),
        ("cos", "max"),
        ("frobnication", None),
    ],
)
def test_metric_mode(name, mode):
    assert metric_mode(name) == mode


def test_normalise():
    assert normalise("TrainLoss") == "train_loss"
    assert normalise(" Validation Loss ") == "validation_loss"
    assert normalise("train/box_loss") == "train_box_loss"


def test_unknown_direction_is_noted():
    (pair,) = find_pairs(["train_frob", "val_frob"])
    assert pair.mode == "min" and "not known" in pair.note


def test_pick_monitor_prefers_loss_and_accepts_aliases():
    pairs = find_pairs(["acc", "loss", "val_acc", "val_loss"])
    assert pick_monitor(pairs).metric == "loss"
    assert pick_monitor(pairs, "accuracy").metric == "acc"
    assert pick_monitor(pairs, "val_acc").metric == "acc"
    assert pick_monitor(pairs, "auc") is None
