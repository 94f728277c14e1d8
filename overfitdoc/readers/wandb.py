"""Weights & Biases CSV exports: a run's history (``run.history().to_csv()``, sparse rows
indexed by ``_step``) and a chart panel's "Export panel data" CSV (``run - metric`` columns
with ``__MIN``/``__MAX`` bands)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..history import History, from_table
from ..naming import find_pairs, normalise
from .delimited import parse_delimited
from .registry import Input, NotThisFormat, reader
from .sparse import floats, header_names, merge_rows, side_of, with_nan_cells


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
    epoch_ns = {k[len("epoch/") :]: v for k, v in parsed.items() if k.startswith("epoch/")}
    if find_pairs([k for k in epoch_ns if k != "epoch"]):
        parsed = epoch_ns
    epoch = parsed.pop("epoch", None)
    keep = ~np.isnan(step[0])
    series = {k: (c[0][keep], c[1][keep]) for k, c in parsed.items() if c is not None and c[1][keep].any()}
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
            h = from_table(
                inp.source,
                "wandb-csv",
                {"epoch": idx, **values},
                index_column="epoch",
                unit="epoch",
                notes=tuple(notes),
                dedupe=False,
            )
            return with_nan_cells(h, nan_cells)
    order = np.argsort(steps, kind="stable")
    idx, values, nan_cells = merge_rows(steps[order], {k: (v[order], p[order]) for k, (v, p) in series.items()})
    h = from_table(
        inp.source,
        "wandb-csv",
        {"_step": idx, **values},
        index_column="_step",
        unit="step",
        epoch_base=0,
        notes=tuple(notes),
        dedupe=False,
    )
    return with_nan_cells(h, nan_cells)


_PANEL_BAND = ("__MIN", "__MAX")


@reader(
    "wandb-panel-csv", "Weights & Biases chart panel exported as CSV (Step, 'run - metric', __MIN/__MAX)", priority=35
)
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
        raise InputError(
            inp.source,
            f"a W&B panel export of {len(runs)} runs ({shown}); overfitdoc reads one run "
            f"per file: export the panel with one run shown, or the run's history "
            f"(wandb.Api().run(...).history().to_csv())",
        )
    cols = parse_delimited(inp)
    x = names[0]
    table = {x: cols[x]}
    table.update(
        {metric: cols[name] for name, (_, metric) in zip(names[1:], split) if not metric.endswith(_PANEL_BAND)}
    )
    unit = "epoch" if normalise(x) in ("epoch", "epochs") else "step"
    return from_table(
        inp.source,
        "wandb-panel-csv",
        table,
        index_column=x,
        unit=unit,
        notes=(f"W&B panel export: run {runs[0]}; the __MIN/__MAX bands left out",),
    )
