"""PyTorch Lightning ``CSVLogger`` ``metrics.csv``: sparse rows with ``epoch`` and ``step``
columns."""

from __future__ import annotations

import numpy as np

from ..history import History, from_table
from ..naming import find_pairs
from .delimited import parse_delimited
from .registry import Input, NotThisFormat, reader
from .sparse import floats, header_names, merge_rows, side_of, with_nan_cells


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
    keep = np.isfinite(epoch)  # an infinite epoch is dropped like an empty one (as from_table does)
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
        h = from_table(
            inp.source,
            "lightning-csv",
            table,
            index_column="step",
            unit="step",
            epoch_base=0,
            notes=tuple(notes),
            dedupe=False,
        )
        return with_nan_cells(h, nan_cells)
    idx, values, nan_cells = merge_rows(epoch, series, mean_cols)
    # a fresh run logs within its first logging interval; a resumed one starts far later
    if len(idx) and idx[0] > max(1.0, float(np.diff(idx).max(initial=0.0))):
        notes.append(f"starts at epoch {int(idx[0])}: a resumed run (its earlier epochs were logged to another file)")
    table = {"epoch": idx, **values}
    h = from_table(
        inp.source,
        "lightning-csv",
        table,
        index_column="epoch",
        unit="epoch",
        epoch_base=0,
        notes=tuple(notes),
        dedupe=False,
    )
    return with_nan_cells(h, nan_cells)
