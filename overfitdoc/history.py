"""The one input type: a :class:`History`. Readers produce it; nothing after them knows formats.

A history is a table of rows, one per logging point (an epoch, or a step for step-level logs),
with a numeric column per series and NaN where a series was not logged at that point. The
pairs say which columns are the training and validation series of a metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .naming import MetricPair, find_pairs, normalise, pick_monitor

EPOCH_NAMES = ("epoch", "epochs")
STEP_NAMES = ("step", "global_step", "iteration", "iter", "steps")
# series (columns, JSON keys) a file may have: past that it is no training history, and the
# readers and the analysis, linear in them at ~50-100 us each, would take minutes
MAX_COLUMNS = 100_000
# past 2**53 a float64 no longer counts by one: such an epoch or step is no count (a 1e308
# epoch would print as a 309-digit number of epochs past the best)
MAX_INDEX = 2.0**53


@dataclass(frozen=True, eq=False)
class History:
    """A training history, as read from one file.

    Attributes:
        source: the path as the user gave it (``-`` for standard input).
        format: the detected format, e.g. ``keras-csv``.
        index: the epoch (or step) number of each row, in the file's own numbering.
        unit: ``"epoch"`` or ``"step"``: what ``index`` counts.
        epoch_base: 0 or 1, the number of the first epoch in the file's numbering.
        columns: every numeric series, aligned with ``index``; NaN where not logged.
        pairs: the metrics that have both a training and a validation series.
        notes: what the reader noticed that the user should know (appended runs, ...).
        nan_cells: per column, where the file held an explicit ``nan`` (a value that went
            bad, as Keras writes when training diverges) rather than an empty cell, ``NA`` or
            ``null`` (nothing logged there).
    """

    source: str
    format: str
    index: np.ndarray
    unit: str
    epoch_base: int
    columns: Mapping[str, np.ndarray]
    pairs: tuple[MetricPair, ...]
    notes: tuple[str, ...] = field(default=())
    nan_cells: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.index)

    def monitor(self, name: str | None = None) -> MetricPair | None:
        """The monitored pair (see :func:`overfitdoc.naming.pick_monitor`)."""
        return pick_monitor(list(self.pairs), name)

    def aligned(self, pair: MetricPair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(index, train, val)`` at every row that has a validation value (see :meth:`alignment`)."""
        index, train, val, _ = self.alignment(pair)
        return index, train, val

    def alignment(self, pair: MetricPair) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(index, train, val, missing)`` at every row that has a validation value.

        When training is logged more often than validation (step logs, Lightning, Hugging
        Face), the training value of a validation point is the mean of the training values
        logged since the previous validation point, up to and including this one; an infinite
        one makes it infinite, and a segment whose only training entries are explicit NaNs is
        NaN (the loss went bad). When training is logged *less* often, a validation point can
        have no training entry since the previous one: its training value is then interpolated
        linearly (in epochs or steps) between the finite training entries around it. Missing
        is not non-finite: ``missing`` marks the points outside the training entries' span,
        where there is nothing to interpolate; their training value is NaN and the analysis
        leaves them out without calling them non-finite.
        """
        train = np.asarray(self.columns[pair.train], dtype=float)
        val = np.asarray(self.columns[pair.val], dtype=float)
        has_val = ~np.isnan(val)
        if pair.val in self.nan_cells:
            has_val |= self.nan_cells[pair.val]
        rows = np.flatnonzero(has_val)
        if len(rows) == 0:
            empty = self.index[:0]
            return empty, train[:0], val[:0], np.zeros(0, dtype=bool)
        explicit = self.nan_cells.get(pair.train)
        numeric = ~np.isnan(train)
        present = numeric | explicit if explicit is not None else numeric
        if len(rows) == len(train):
            out = train[rows].copy()
            absent = ~present[rows]
        else:
            # segment k is rows[k-1]+1 .. rows[k]; vectorised (step logs have millions of rows)
            end = rows[-1] + 1
            starts = np.concatenate(([0], rows[:-1] + 1))
            counts = np.add.reduceat(numeric[:end].astype(np.int64), starts)
            sums = np.add.reduceat(np.where(numeric[:end], train[:end], 0.0), starts)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
            absent = np.add.reduceat(present[:end].astype(np.int64), starts) == 0
        missing = absent.copy()
        if absent.any():
            logged = np.flatnonzero(np.isfinite(train))
            if len(logged):
                at = self.index[rows[absent]]
                x = self.index[logged]
                inside = (at >= x[0]) & (at <= x[-1])
                filled = np.interp(at, x, train[logged])
                where = np.flatnonzero(absent)
                out[where[inside]] = filled[inside]
                missing[where[inside]] = False
        return self.index[rows], out, val[rows], missing


def _numeric(values) -> tuple[np.ndarray, np.ndarray | None] | None:
    """``(floats, explicit_nan)``, or None when the column is mostly text (not a series).

    Empty cells, ``NA`` and ``null`` become NaN (nothing logged); ``nan`` text or a float
    NaN becomes NaN and is marked in ``explicit_nan`` (the value went bad); ``inf`` stays
    infinite. Pure numpy and Python: small histories are read without importing pandas.
    """
    arr = np.asarray(values) if not isinstance(values, list) else None
    if arr is not None and arr.dtype.kind in "fiub":
        return arr.astype(float), None
    seq = values.tolist() if arr is not None else values
    out = np.empty(len(seq))
    explicit = np.zeros(len(seq), dtype=bool)
    n_present = n_numeric = 0
    for i, v in enumerate(seq):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[i] = v
            explicit[i] = v != v
            n_present += 1
            n_numeric += 1
            continue
        if v is None:
            out[i] = np.nan
            continue
        v = _clean_cell(v)
        if not _is_present(v):
            out[i] = np.nan
            continue
        n_present += 1
        try:
            out[i] = float(v)
            explicit[i] = out[i] != out[i]
            n_numeric += 1
        except (TypeError, ValueError):
            out[i] = np.nan
    if n_present and n_numeric < 0.5 * n_present:
        return None
    return out, (explicit if explicit.any() else None)


def _is_present(v) -> bool:
    """A logged value (a number, or an explicit nan); empty, NA and null are not."""
    return v is not None and str(v).strip() not in ("", "NA", "N/A", "None", "null")


def _clean_cell(v):
    if isinstance(v, str):
        s = v.strip()
        low = s.lower()
        if low in ("inf", "+inf", "infinity", "+infinity"):
            return np.inf
        if low in ("-inf", "-infinity"):
            return -np.inf
        return s
    if isinstance(v, bool):
        return float(v)
    return v


def split_runs(index: np.ndarray) -> list[tuple[int, int]]:
    """Row ranges ``[start, end)`` of the runs found in one file.

    A new run starts where the epoch goes back to the first epoch of the file (Keras
    CSVLogger with ``append=True`` after a restart writes no new header). A step back to a
    later epoch is a resume (handled by :func:`drop_resumed`), not a new run.
    """
    if len(index) == 0:
        return [(0, 0)]
    index = np.asarray(index)
    back = np.flatnonzero((index[1:] <= index[0]) & (index[1:] < index[:-1])) + 1
    starts = [0] + back.tolist()
    ends = starts[1:] + [len(index)]
    return list(zip(starts, ends))


def drop_resumed(index: np.ndarray) -> np.ndarray:
    """Row positions to keep when training was resumed into the same file: for a repeated
    epoch the later row wins. Returns the kept positions in epoch order."""
    index = np.asarray(index, dtype=float)
    if len(index) == 0:
        return np.zeros(0, dtype=int)
    _, first_from_end = np.unique(index[::-1], return_index=True)  # sorted by epoch
    return (len(index) - 1 - first_from_end).astype(int)


def from_table(
    source: str,
    fmt: str,
    table: Mapping[str, object],
    *,
    index_column: str | None = None,
    unit: str | None = None,
    epoch_base: int | None = None,
    notes: tuple[str, ...] = (),
    dedupe: bool = True,
    pairs: list[MetricPair] | None = None,
) -> History:
    """Build a :class:`History` from named columns; every reader ends here.

    ``index_column`` names the epoch or step column when the file has one (else it is looked
    for among the usual names, and rows are numbered from 1 when there is none). Appended
    runs are split and the last one kept (with a note); resumed epochs keep the later row.
    """
    if len(table) > MAX_COLUMNS:
        raise InputError(source, f"{len(table):,} series (a training history has at most {MAX_COLUMNS:,})")
    names = [c for c in table if isinstance(c, str)]
    if index_column is None:
        for want in EPOCH_NAMES + STEP_NAMES:
            hit = [c for c in names if normalise(c) == want]
            if hit:
                index_column = hit[0]
                break
    columns: dict[str, np.ndarray] = {}
    nan_cells: dict[str, np.ndarray] = {}
    lengths = {len(v) for v in table.values()}  # type: ignore[arg-type]
    if len(lengths) > 1:
        raise InputError(source, f"series of different lengths ({', '.join(str(n) for n in sorted(lengths))})")
    n_rows = lengths.pop() if lengths else 0
    for name in names:
        if name == index_column:
            continue
        got = _numeric(table[name])
        if got is not None:
            columns[name] = got[0]
            if got[1] is not None:
                nan_cells[name] = got[1]
    note_list = list(notes)
    if index_column is not None:
        got = _numeric(table[index_column])
        idx = None if got is None else got[0]
        if idx is None or not np.isfinite(idx).any():
            raise InputError(source, f"column '{index_column}' holds no numbers")
        if unit is None:
            unit = "step" if normalise(index_column) in STEP_NAMES else "epoch"
        # an infinite epoch, or one past MAX_INDEX, is no epoch: the row is dropped like an empty one
        with np.errstate(invalid="ignore"):
            keep = np.abs(idx) <= MAX_INDEX
        if not keep.any():
            raise InputError(source, f"column '{index_column}' holds no {unit} numbers (all beyond ±2**53)")
        uncountable = int(np.sum(~keep & ~np.isnan(idx)))
        if uncountable:
            note_list.append(f"{uncountable} rows with an infinite {unit} or one beyond ±2**53 (no count) left out")
        if not keep.all():
            idx = idx[keep]
            columns = {k: v[keep] for k, v in columns.items()}
            nan_cells = {k: v[keep] for k, v in nan_cells.items()}
    else:
        idx = np.arange(n_rows, dtype=float) + (1 if epoch_base is None else epoch_base)
        unit = unit or "epoch"
        if epoch_base is None:
            epoch_base = 1
    if dedupe and len(idx):
        runs = split_runs(idx)
        if len(runs) > 1:
            sizes = ", ".join(f"{int(idx[a])}-{int(idx[b - 1])}" for a, b in runs)
            note_list.append(f"{len(runs)} runs appended in one file ({unit}s {sizes}); diagnosing the last")
            a, b = runs[-1]
            idx = idx[a:b]
            columns = {k: v[a:b] for k, v in columns.items()}
            nan_cells = {k: v[a:b] for k, v in nan_cells.items()}
        if np.any(np.diff(idx) <= 0):  # a repeated or earlier epoch (cheaper than np.unique)
            keep_pos = drop_resumed(idx)
            dropped = len(idx) - len(keep_pos)
            if dropped:
                note_list.append(
                    f"{dropped} repeated {unit}s (training resumed into the same file): the later rows win"
                )
            idx = idx[keep_pos]
            columns = {k: v[keep_pos] for k, v in columns.items()}
            nan_cells = {k: v[keep_pos] for k, v in nan_cells.items()}
    if epoch_base is None:
        epoch_base = 0 if len(idx) and idx[0] == 0 else 1
    found = pairs if pairs is not None else find_pairs(list(columns))
    for p in found:
        if p.note:
            note_list.append(p.note)
    return History(
        source=source,
        format=fmt,
        index=idx.astype(float),
        unit=unit,
        epoch_base=int(epoch_base),
        columns=columns,
        pairs=tuple(found),
        notes=tuple(dict.fromkeys(note_list)),
        nan_cells=nan_cells,
    )
