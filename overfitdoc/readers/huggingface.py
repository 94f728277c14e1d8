"""Hugging Face Trainer ``trainer_state.json``: its ``log_history`` of training ``loss`` and
``eval_*`` entries, one row per logged step."""

from __future__ import annotations

import math
import re

import numpy as np

from ..history import History, from_table
from ..naming import MetricPair, find_pairs, is_meta
from .registry import Input, NotThisFormat, reader
from .sparse import with_nan_cells


def _held_out(pairs: list[MetricPair]) -> set[str]:
    return {p.val for p in pairs}


def _is_whole(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.round(x)) < 1e-6


def _hf_log_history(doc) -> list | None:
    if isinstance(doc, dict) and isinstance(doc.get("log_history"), list):
        return doc["log_history"]
    if isinstance(doc, list) and doc and all(isinstance(e, dict) for e in doc):
        keys = set().union(*doc)
        if "step" in keys and ("loss" in keys or any(str(k).startswith("eval_") for k in keys)):
            return doc  # a dumped trainer.state.log_history
    return None


_HF_SUMMARY_KEYS = ("train_runtime", "train_loss", "train_samples_per_second", "total_flos")


@reader(
    "hf-trainer-state", "Hugging Face Trainer trainer_state.json (log_history: loss and eval_* entries)", priority=30
)
def read_hf_trainer_state(inp: Input) -> History:
    """One row per logged step (the union of training and evaluation logging points, sorted
    by step), NaN where a key was not logged there.

    * The end-of-training summary entry (``train_loss``, an average over the run) is skipped.
    * Evaluations that all fall on whole epochs are reported by epoch (unit ``epoch``, base 1:
      epoch 1.0 is the end of the first epoch); otherwise by global step.
    * An evaluation before any training loss (``eval_on_start``, step 0) is left out: there is
      no training value to compare it with.
    * Several evaluation sets (``eval_<set>_loss``): the training ``loss`` is paired with each,
      and the first set, in the order the file logs them, is monitored (``--monitor`` picks
      another). A mean over sets would mix data sets of different sizes and meanings.
    """
    head = inp.data[:4096]
    if not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not re.match(rb"(?:\xef\xbb\xbf)?\s*[\[{]", head):
        raise NotThisFormat("not a JSON document")
    log = _hf_log_history(inp.json())
    if log is None:
        raise NotThisFormat("no log_history")
    entries = [e for e in log if isinstance(e, dict)]
    if not entries or not any("step" in e for e in entries):
        raise NotThisFormat("log_history entries carry no step")
    rows: dict[float, dict[str, float]] = {}
    epoch_of: dict[float, float] = {}
    order: dict[str, None] = {}
    eval_steps: set[float] = set()
    for e in entries:
        if any(k in e for k in _HF_SUMMARY_KEYS) and "loss" not in e and not any(k.startswith("eval_") for k in e):
            continue  # end-of-training summary (or a bare flos entry)
        step = e.get("step")
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            continue
        step = float(step)
        if not math.isfinite(step):
            continue  # a NaN or infinite step is dropped like a missing one (NaN was a KeyError)
        row = rows.setdefault(step, {})
        for k, v in e.items():
            if k in ("step", "epoch"):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            row[k] = float(v)
            order.setdefault(k, None)
            if k.startswith("eval_") and not is_meta(k):
                eval_steps.add(step)
        if isinstance(e.get("epoch"), (int, float)):
            epoch_of[step] = float(e["epoch"])
    if not rows:
        raise NotThisFormat("log_history holds no logged values")
    steps = np.array(sorted(rows), dtype=float)
    notes: list[str] = []
    # an evaluation before the first training loss cannot be compared with training
    train_steps = [s for s in steps if "loss" in rows[s]]
    if train_steps:
        early = [s for s in steps if s <= 0 < train_steps[0] and s in eval_steps and "loss" not in rows[s]]
        if early:
            steps = steps[~np.isin(steps, early)]
            notes.append(f"evaluation before training (step {int(early[0])}) left out: no training loss to compare")
    keys = list(order)
    table: dict[str, np.ndarray] = {"step": steps}
    nan_cells: dict[str, np.ndarray] = {}
    for k in keys:
        table[k] = np.array([rows[s].get(k, math.nan) for s in steps], dtype=float)
        bad = np.isnan(table[k]) & np.array([k in rows[s] for s in steps], dtype=bool)
        if bad.any():  # a logged NaN (the loss went bad), not a key left out
            nan_cells[k] = bad
    epochs = np.array([epoch_of.get(s, math.nan) for s in steps], dtype=float)
    ev = np.array([s in eval_steps for s in steps], dtype=bool)
    by_epoch = (
        ev.any()
        and not np.isnan(epochs).any()
        and np.all(np.diff(epochs) >= 0)
        and bool(np.all(_is_whole(epochs[ev])))
        and len(np.unique(epochs[ev])) == int(ev.sum())
    )
    if by_epoch:
        table["epoch"] = epochs
        index_column, unit = "epoch", "epoch"
    else:
        if not np.isnan(epochs).all():
            table["epoch"] = epochs
        index_column, unit = "step", "step"
    pairs = find_pairs([k for k in table if k not in ("step", "epoch")])
    pairs = _hf_eval_sets(pairs, keys, notes)
    h = from_table(
        inp.source,
        "hf-trainer-state",
        table,
        index_column=index_column,
        unit=unit,
        epoch_base=1,
        notes=tuple(notes),
        dedupe=False,
        pairs=pairs,
    )
    return with_nan_cells(h, nan_cells)


_EVAL_SET = re.compile(r"^eval_(.+)_loss$")


def _hf_eval_sets(pairs: list[MetricPair], keys: list[str], notes: list[str]) -> list[MetricPair]:
    """Pair the training ``loss`` with every ``eval_<set>_loss`` (several evaluation sets)."""
    if "loss" not in keys:
        return pairs
    paired_vals = _held_out(pairs)
    sets = {m.group(1): k for k in keys if (m := _EVAL_SET.match(k)) and k not in paired_vals and not is_meta(k)}
    if not sets:
        return pairs
    extra = [MetricPair(metric=f"{name}_loss", train="loss", val=k, mode="min") for name, k in sets.items()]
    if not any(p.train == "loss" for p in pairs):
        names = ", ".join(sets)
        notes.append(
            f"{len(sets)} evaluation sets ({names}): the training loss is paired with each; "
            f"monitoring the first, {next(iter(sets.values()))} (choose another with --monitor)"
        )
        # the monitored pair comes first among the losses
        return extra + [p for p in pairs]
    return pairs + extra
