"""detectron2 ``metrics.json``: JSON Lines despite its extension, one object per logging
point (every 20 iterations by default) written by ``JSONWriter``, each holding
``iteration``, ``total_loss``, the ``loss_*`` terms, ``lr``, timers and sampler counts.

* Indexed by ``iteration`` (unit ``step``); a restart appended to the same file repeats
  iterations, and the later rows win (with a note).
* The timers (``data_time``, ``eta_seconds``, ``time``, ``rank_data_time``) and the sampler
  counts (``rpn/num_pos_anchors``, ``roi_head/num_fg_samples``, ...) are bookkeeping, left
  out; ``total_loss`` comes first, then the ``loss_*`` terms.
* detectron2 logs no validation loss by default. A hook that computes one on the test set
  and calls ``storage.put_scalars(validation_loss=...)`` (``val_loss`` and
  ``val_total_loss`` too) is paired with ``total_loss``; without one the history is
  training-only, and a note says how to add it. Evaluator results (``bbox/AP``, ...) have no
  training counterpart.
"""

from __future__ import annotations

import re

from ..history import History, from_table
from ..naming import MetricPair, find_pairs
from .delimited import first_line
from .jsonlike import _records_to_table, json_lines
from .registry import Input, NotThisFormat, reader

TIMERS = {"data_time", "eta_seconds", "time", "rank_data_time"}
COUNTS = re.compile(r"(^|/)num_")
VAL_LOSS = ("validation_loss", "val_loss", "val_total_loss")
NO_VALIDATION = (
    "detectron2 logs no validation loss by default: a hook that computes the loss on "
    "cfg.DATASETS.TEST and calls storage.put_scalars(validation_loss=...) every "
    "cfg.TEST.EVAL_PERIOD iterations adds one, paired with total_loss"
)


@reader("detectron2-json", "detectron2 metrics.json (JSON Lines: iteration, total_loss, loss_*)", priority=44)
def read_detectron2_metrics(inp: Input) -> History:
    if '"iteration"' not in first_line(inp.text):
        raise NotThisFormat("no iteration key on the first line")
    records = json_lines(inp)
    if not all(isinstance(r.get("iteration"), int) for r in records):
        raise NotThisFormat("not every line has an integer iteration")
    if not any("total_loss" in r for r in records):
        raise NotThisFormat("no total_loss")
    table = _records_to_table(records)
    kept = [k for k in table if k not in TIMERS and not COUNTS.search(k)]
    first = ["iteration", "total_loss"] + sorted(k for k in kept if k.startswith("loss_"))
    table = {k: table[k] for k in first + [k for k in kept if k not in first]}
    val = next((k for k in VAL_LOSS if k in table), None)
    if val is None:
        return from_table(
            inp.source, "detectron2-json", table, index_column="iteration", unit="step", notes=(NO_VALIDATION,)
        )
    pairs = [MetricPair(metric="total_loss", train="total_loss", val=val, mode="min")]
    pairs += [p for p in find_pairs([k for k in table if k != "iteration"]) if p.val != val]
    return from_table(inp.source, "detectron2-json", table, index_column="iteration", unit="step", pairs=pairs)
