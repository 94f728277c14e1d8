"""Ultralytics YOLO ``results.csv`` (YOLOv5, YOLOv8, YOLO11: detection, segmentation,
classification)."""

from __future__ import annotations

import re

from ..history import History, from_table
from ..naming import find_pairs
from .delimited import parse_delimited
from .registry import Input, NotThisFormat, reader
from .sparse import header_names

_YOLO_TRAIN = re.compile(r"^train/(\w+_)?loss$")
#: the monitored pair: box_loss for detection and segmentation, loss for classification
YOLO_MONITOR = ("box_loss", "loss")


@reader("ultralytics-csv", "Ultralytics YOLO results.csv (train/x_loss, val/x_loss, metrics/*)", priority=33)
def read_ultralytics(inp: Input) -> History:
    """``results.csv`` from YOLOv5/YOLOv8/YOLO11 training (detection, segmentation,
    classification). Names are stripped of their padding; ``metrics/*`` are validation scores
    (higher is better) with no training counterpart; ``time`` and learning rates are
    bookkeeping. Epochs are numbered as the file writes them (0- or 1-based). Every loss pair
    is kept; the monitored one is ``box_loss`` (detection, segmentation) or ``loss``
    (classification), not their sum."""
    names = header_names(inp)
    if "epoch" not in names or not any(_YOLO_TRAIN.match(n) for n in names):
        raise NotThisFormat("no train/*_loss columns")
    if not any(n.startswith(("metrics/", "lr/pg", "x/lr")) for n in names):
        raise NotThisFormat("no metrics/ or lr/ columns")
    cols = parse_delimited(inp)
    pairs = find_pairs([c for c in cols if c != "epoch"])
    first = [p for m in YOLO_MONITOR for p in pairs if p.metric == m][:1]
    pairs = first + [p for p in pairs if p not in first]
    return from_table(inp.source, "ultralytics-csv", cols, index_column="epoch", unit="epoch", pairs=pairs)
