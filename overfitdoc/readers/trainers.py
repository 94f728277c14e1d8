"""The logs that training frameworks write, read with no flags: Hugging Face
``trainer_state.json``, PyTorch Lightning ``metrics.csv``, Ultralytics ``results.csv``,
Weights & Biases history CSV exports and step-level CSV logs. TensorBoard event files,
MLflow run directories and directories of logs live in the sibling modules imported at the
bottom (:mod:`.tbevents`, :mod:`.mlflowstore`, :mod:`.directories`).

Sparse logs (training logged every few steps, validation on its own rows) become one row per
logging point with NaN where a key was not logged; :meth:`History.aligned` then averages the
training values logged since the previous validation point. Everything here is vectorised
with numpy: a million-row step log is read without a Python loop over its rows.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..history import History, _numeric, from_table
from ..naming import MetricPair, _split, find_pairs, is_meta, normalise
from . import Input, NotThisFormat, reader
from .delimited import first_line, parse_delimited, sniff_separator


# --------------------------------------------------------------------------- helpers
def floats(values) -> tuple[np.ndarray, np.ndarray] | None:
    """``(values, present)`` for a column, or None when it is text: ``present`` is True where
    a value was logged (a number, or an explicit ``nan`` that went bad), False where the cell
    was empty."""
    got = _numeric(values)
    if got is None:
        return None
    arr, explicit = got if isinstance(got, tuple) else (got, None)
    arr = np.asarray(arr, dtype=float)
    present = ~np.isnan(arr)
    if explicit is not None:
        present |= np.asarray(explicit, dtype=bool)
    return arr, present


def header_line(inp: Input) -> str:
    """The first non-empty line (cheap: nothing else is split)."""
    return first_line(inp.text)


def header_names(inp: Input) -> list[str]:
    """The stripped names in the first non-empty line (cheap: nothing else is parsed)."""
    line = header_line(inp)
    if not line or line[0] in "{[":
        raise NotThisFormat("not a delimited table")
    return [h.strip().strip('"') for h in line.split(sniff_separator(line))]


def side_of(name: str) -> tuple[str | None, str, str]:
    """(side, metric, granularity) of a column name, as :mod:`overfitdoc.naming` sees it."""
    return _split(normalise(name))


def _group_last(values: np.ndarray, present: np.ndarray, groups: np.ndarray, n: int):
    """Per group, the last logged value (and whether there was one)."""
    out = np.full(n, np.nan)
    has = np.zeros(n, dtype=bool)
    pos = np.flatnonzero(present)
    if len(pos):
        g = groups[pos]
        uniq, first_in_rev = np.unique(g[::-1], return_index=True)
        last = pos[len(pos) - 1 - first_in_rev]
        out[uniq] = values[last]
        has[uniq] = True
    return out, has


def _group_mean(values: np.ndarray, present: np.ndarray, groups: np.ndarray, n: int):
    """Per group, the mean of the logged values (NaN when one of them is an explicit nan)."""
    pos = np.flatnonzero(present)
    counts = np.bincount(groups[pos], minlength=n)
    sums = np.bincount(groups[pos], weights=values[pos], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return out, counts > 0


def merge_rows(
    key: np.ndarray, columns: dict[str, tuple[np.ndarray, np.ndarray]], mean_columns: set[str] = frozenset()
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Rows sharing a ``key`` (an epoch, a step) become one row, in key order: the last value
    logged in the group for most columns, the mean for ``mean_columns`` (per-step training
    series merged into epochs). Returns ``(keys, values, explicit_nan)``."""
    uniq, groups = np.unique(key, return_inverse=True)
    n = len(uniq)
    values: dict[str, np.ndarray] = {}
    nan_cells: dict[str, np.ndarray] = {}
    for name, (vals, present) in columns.items():
        agg = _group_mean if name in mean_columns else _group_last
        out, has = agg(vals, present, groups, n)
        values[name] = out
        bad = has & np.isnan(out)
        if bad.any():
            nan_cells[name] = bad
    return uniq.astype(float), values, nan_cells


def with_nan_cells(h: History, nan_cells: dict[str, np.ndarray]) -> History:
    """``h`` with explicit-nan cells marked (when History has that field)."""
    if not nan_cells or not hasattr(h, "nan_cells"):
        return h
    merged = dict(getattr(h, "nan_cells") or {})
    merged.update({k: v for k, v in nan_cells.items() if k in h.columns and len(v) == len(h.index)})
    return replace(h, nan_cells=merged)


def _held_out(pairs: list[MetricPair]) -> set[str]:
    return {p.val for p in pairs}


def _is_whole(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.round(x)) < 1e-6


# --------------------------------------------------------------------------- Hugging Face
def _hf_log_history(doc) -> list | None:
    if isinstance(doc, dict) and isinstance(doc.get("log_history"), list):
        return doc["log_history"]
    if isinstance(doc, list) and doc and all(isinstance(e, dict) for e in doc):
        keys = set().union(*doc)
        if "step" in keys and ("loss" in keys or any(str(k).startswith("eval_") for k in keys)):
            return doc  # a dumped trainer.state.log_history
    return None


_HF_SUMMARY_KEYS = ("train_runtime", "train_loss", "train_samples_per_second", "total_flos")


@reader("hf-trainer-state", "Hugging Face Trainer trainer_state.json (log_history: loss and eval_* entries)", priority=30)
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
        if any(k in e for k in _HF_SUMMARY_KEYS) and "loss" not in e and not any(
            k.startswith("eval_") for k in e
        ):
            continue  # end-of-training summary (or a bare flos entry)
        step = e.get("step")
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            continue
        step = float(step)
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
    table: dict[str, object] = {"step": steps}
    nan_cells: dict[str, np.ndarray] = {}
    for k in keys:
        table[k] = np.array([rows[s].get(k, math.nan) for s in steps], dtype=float)
        bad = np.isnan(table[k]) & np.array([k in rows[s] for s in steps], dtype=bool)
        if bad.any():  # a logged NaN (the loss went bad), not a key left out
            nan_cells[k] = bad
    epochs = np.array([epoch_of.get(s, math.nan) for s in steps], dtype=float)
    ev = np.array([s in eval_steps for s in steps], dtype=bool)
    by_epoch = (
        ev.any() and not np.isnan(epochs).any() and np.all(np.diff(epochs) >= 0)
        and bool(np.all(_is_whole(epochs[ev]))) and len(np.unique(epochs[ev])) == int(ev.sum())
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
    h = from_table(inp.source, "hf-trainer-state", table, index_column=index_column, unit=unit,
                   epoch_base=1, notes=tuple(notes), dedupe=False, pairs=pairs)
    return with_nan_cells(h, nan_cells)


_EVAL_SET = re.compile(r"^eval_(.+)_loss$")


def _hf_eval_sets(pairs: list[MetricPair], keys: list[str], notes: list[str]) -> list[MetricPair]:
    """Pair the training ``loss`` with every ``eval_<set>_loss`` (several evaluation sets)."""
    if "loss" not in keys:
        return pairs
    paired_vals = _held_out(pairs)
    sets = [k for k in keys if _EVAL_SET.match(k) and k not in paired_vals and not is_meta(k)]
    if not sets:
        return pairs
    extra = [MetricPair(metric=f"{_EVAL_SET.match(k).group(1)}_loss", train="loss", val=k, mode="min") for k in sets]
    if not any(p.train == "loss" for p in pairs):
        names = ", ".join(_EVAL_SET.match(k).group(1) for k in sets)
        notes.append(
            f"{len(sets)} evaluation sets ({names}): the training loss is paired with each; "
            f"monitoring the first, {sets[0]} (choose another with --monitor)"
        )
        # the monitored pair comes first among the losses
        return extra + [p for p in pairs]
    return pairs + extra


# --------------------------------------------------------------------------- Lightning
@reader("lightning-csv", "PyTorch Lightning CSVLogger metrics.csv (sparse rows, epoch and step columns)", priority=32)
def read_lightning_csv(inp: Input) -> History:
    """Lightning's ``metrics.csv``: one row per ``log`` flush, each holding only the keys
    logged at that moment, with ``epoch`` and ``step`` columns.

    Rows with an empty epoch (``LearningRateMonitor`` rows, per-validation-batch ``*_step``
    rows) are ignored. Rows are merged by epoch: the last value logged in the epoch for
    validation and ``*_epoch`` keys, the mean for per-step training keys. When validation runs
    several times per epoch (``val_check_interval``), rows are merged by step instead. Rows
    holding only post-fit ``test_*`` results are left out when a validation series exists.
    Epochs are numbered from 0, as Lightning does, also in a resumed run's file.
    """
    names = header_names(inp)
    if "epoch" not in names or "step" not in names:
        raise NotThisFormat("no epoch and step columns")
    cols = parse_delimited(inp)
    if "epoch" not in cols or "step" not in cols:
        raise NotThisFormat("no epoch and step columns")
    parsed = {k: floats(v) for k, v in cols.items()}
    ep = parsed.pop("epoch")
    st = parsed.pop("step")
    if ep is None or st is None:
        raise NotThisFormat("epoch or step column holds text")
    epoch = ep[0]
    step = st[0]
    series = {k: v for k, v in parsed.items() if v is not None and isinstance(k, str) and k.strip()}
    notes: list[str] = []
    keep = ~np.isnan(epoch)
    any_value = np.zeros(len(epoch), dtype=bool)
    for _, present in series.values():
        any_value |= present
    keep &= any_value
    sides = {k: side_of(k) for k in series}
    val_cols = [k for k in series if sides[k][0] == "val"]
    test_cols = [k for k in series if sides[k][0] == "test"]
    train_cols = [k for k in series if sides[k][0] == "train"]
    if val_cols and test_cols:
        has = lambda ks: np.any([series[k][1] for k in ks], axis=0)  # noqa: E731
        test_rows = keep & has(test_cols) & ~has(val_cols)
        if train_cols:
            test_rows &= ~has(train_cols)
        if test_rows.any():
            keep &= ~test_rows
            shown = ", ".join(k for k in series if (series[k][1] & test_rows).any() and not (series[k][1] & keep).any())
            notes.append(f"post-fit test results ({shown}) are not validation points: left out")
    if not keep.any():
        raise NotThisFormat("no rows with an epoch")
    series = {k: (v[keep], p[keep]) for k, (v, p) in series.items() if p[keep].any()}
    epoch, step = epoch[keep], step[keep]
    pairs = find_pairs(list(series))
    held = [p.val for p in pairs] or [k for k in series if side_of(k)[0] == "val"]
    # validation several times per epoch (val_check_interval) in most epochs: index by step;
    # one extra validate() call (before fit, or after it at the same step) does not count
    several = False
    for k in held:
        present = series[k][1]
        if present.any():
            combos = np.unique(np.stack([epoch[present], step[present]]), axis=1)
            epochs, per_epoch = np.unique(combos[0], return_counts=True)
            repeated = int((per_epoch > 1).sum())
            several |= repeated > 0 and repeated > 0.5 * len(epochs)
    mean_cols = {k for k in series if side_of(k)[0] not in ("val", "test") and side_of(k)[2] != "epoch"}
    if several:
        series["epoch"] = (epoch, ~np.isnan(epoch))
        idx, values, nan_cells = merge_rows(step, series)
        notes.append("validation ran more than once per epoch: the history is indexed by step")
        table = {"step": idx, **values}
        h = from_table(inp.source, "lightning-csv", table, index_column="step", unit="step", epoch_base=0,
                       notes=tuple(notes), dedupe=False)
        return with_nan_cells(h, nan_cells)
    idx, values, nan_cells = merge_rows(epoch, series, mean_cols)
    # a fresh run logs within its first logging interval; a resumed one starts far later
    if len(idx) and idx[0] > max(1.0, float(np.diff(idx).max(initial=0.0))):
        notes.append(f"starts at epoch {int(idx[0])}: a resumed run (its earlier epochs were logged to another file)")
    table = {"epoch": idx, **values}
    h = from_table(inp.source, "lightning-csv", table, index_column="epoch", unit="epoch", epoch_base=0,
                   notes=tuple(notes), dedupe=False)
    return with_nan_cells(h, nan_cells)


# --------------------------------------------------------------------------- Ultralytics
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


# --------------------------------------------------------------------------- W&B CSV
@reader("wandb-csv", "Weights & Biases run history exported as CSV (_step, _runtime, _timestamp)", priority=34)
def read_wandb_csv(inp: Input) -> History:
    """``run.history().to_csv(...)`` / ``scan_history`` exports: one row per ``wandb.log``
    call, sparse. Keras ``WandbMetricsLogger`` keys (``epoch/loss``, ``epoch/val_loss``) are
    read without their ``epoch/`` namespace. Indexed by ``_step``; when every logged training and validation value also
    carries an ``epoch`` and validation is logged at most once per epoch, rows are merged by
    epoch instead (the mean of the training values logged in the epoch, the last validation
    value)."""
    names = header_names(inp)
    if "_step" not in names or not ({"_runtime", "_timestamp"} & set(names)):
        raise NotThisFormat("no _step and _runtime/_timestamp columns")
    cols = parse_delimited(inp)
    parsed = {k: floats(v) for k, v in cols.items() if isinstance(k, str)}
    step = parsed.pop("_step")
    if step is None:
        raise NotThisFormat("_step holds text")
    for k in list(parsed):
        if k == "" or k.startswith("Unnamed:") or parsed[k] is None or k in ("_runtime", "_timestamp"):
            parsed.pop(k)
    # Keras WandbMetricsLogger namespaces its keys: epoch/loss, epoch/val_loss, batch/loss
    epoch_ns = {k[len("epoch/"):]: v for k, v in parsed.items() if k.startswith("epoch/")}
    if find_pairs([k for k in epoch_ns if k != "epoch"]):
        parsed = epoch_ns
    epoch = parsed.pop("epoch", None)
    keep = ~np.isnan(step[0])
    series = {k: (v[keep], p[keep]) for k, (v, p) in parsed.items() if p[keep].any()}
    steps = step[0][keep]
    pairs = find_pairs(list(series))
    notes: list[str] = []
    if epoch is not None and pairs:
        ep = epoch[0][keep]
        used = np.zeros(len(steps), dtype=bool)
        for p in pairs:
            used |= series[p.train][1] | series[p.val][1]
        once = True
        for p in pairs:
            e = ep[series[p.val][1]]
            once &= not np.isnan(e).any() and len(np.unique(e)) == len(e)
        if once and not np.isnan(ep[used]).any():
            rows = used
            mean_cols = {k for k in series if side_of(k)[0] not in ("val", "test")}
            sub = {k: (v[rows], pr[rows]) for k, (v, pr) in series.items()}
            idx, values, nan_cells = merge_rows(ep[rows], sub, mean_cols)
            h = from_table(inp.source, "wandb-csv", {"epoch": idx, **values}, index_column="epoch", unit="epoch",
                           notes=tuple(notes), dedupe=False)
            return with_nan_cells(h, nan_cells)
    order = np.argsort(steps, kind="stable")
    idx, values, nan_cells = merge_rows(steps[order], {k: (v[order], p[order]) for k, (v, p) in series.items()})
    h = from_table(inp.source, "wandb-csv", {"_step": idx, **values}, index_column="_step", unit="step",
                   epoch_base=0, notes=tuple(notes), dedupe=False)
    return with_nan_cells(h, nan_cells)


# --------------------------------------------------------------------------- W&B panel CSV
_PANEL_BAND = ("__MIN", "__MAX")


@reader("wandb-panel-csv", "Weights & Biases chart panel exported as CSV (Step, 'run - metric', __MIN/__MAX)",
        priority=35)
def read_wandb_panel_csv(inp: Input) -> History:
    """A line-plot panel's "Export panel data" CSV: the x-axis column first (``Step``, or the
    panel's own x-axis, such as ``epoch``), then per run and metric ``<run> - <metric>`` with
    its ``__MIN`` and ``__MAX`` band (a grouped or smoothed line's range; the value itself for
    one run). Empty cells where a metric was not logged at that x, as in a step-level CSV.

    One run per file: the run's metrics keep their names and the bands are left out. A panel
    of several runs is refused with their names, since one history is one run."""
    names = header_names(inp)
    if len(names) < 2 or any(" - " not in n for n in names[1:]):
        raise NotThisFormat("not a first x-axis column and then 'run - metric' columns")
    if not any(n.endswith(_PANEL_BAND) for n in names[1:]):
        raise NotThisFormat("no __MIN/__MAX band columns")
    split = [n.rsplit(" - ", 1) for n in names[1:]]
    runs = list(dict.fromkeys(run for run, _ in split))
    if len(runs) > 1:
        shown = ", ".join(runs[:3]) + (", ..." if len(runs) > 3 else "")
        raise InputError(inp.source, f"a W&B panel export of {len(runs)} runs ({shown}); overfitdoc reads one run "
                                     f"per file: export the panel with one run shown, or the run's history "
                                     f"(wandb.Api().run(...).history().to_csv())")
    cols = parse_delimited(inp)
    x = names[0]
    table = {x: cols[x]}
    table.update({metric: cols[name] for name, (_, metric) in zip(names[1:], split)
                  if not metric.endswith(_PANEL_BAND)})
    unit = "epoch" if normalise(x) in ("epoch", "epochs") else "step"
    return from_table(inp.source, "wandb-panel-csv", table, index_column=x, unit=unit,
                      notes=(f"W&B panel export: run {runs[0]}; the __MIN/__MAX bands left out",))


# --------------------------------------------------------------------------- step logs
_STEP_COLUMNS = ("step", "global_step", "iteration", "iter", "steps", "train_step")


@reader("step-csv", "step-level CSV: a step column, training every step, validation every N steps", priority=36)
def read_step_csv(inp: Input) -> History:
    """A CSV with a step (or iteration) column and no epoch column, as a hand-written loop
    writes it: training logged every step, validation every N steps on the same or its own
    rows (empty cells elsewhere). The validation points are the analysis points; the training
    value of each is the mean of the steps logged since the previous one."""
    names = header_names(inp)
    norm = [normalise(n) for n in names]
    if not names or not names[0] or names[0].startswith("Unnamed:"):
        raise NotThisFormat("an unnamed first column (a pandas index)")
    steps = [n for n, m in zip(names, norm) if m in _STEP_COLUMNS]
    if not steps or any(m in ("epoch", "epochs") for m in norm):
        raise NotThisFormat("no step column, or an epoch column too")
    if not any(side_of(n)[0] in ("val", "test") for n in names):
        raise NotThisFormat("no validation column")
    cols = parse_delimited(inp)
    return from_table(inp.source, "step-csv", cols, index_column=steps[0], unit="step")


# the readers that live in their own modules register on import
from . import directories, mlflowstore, tbevents  # noqa: E402,F401
from .directories import expand_inputs  # noqa: E402,F401

# ``from overfitdoc.readers import expand_inputs`` once this module has been imported
from .. import readers as _pkg  # noqa: E402

if not hasattr(_pkg, "expand_inputs"):
    _pkg.expand_inputs = expand_inputs
