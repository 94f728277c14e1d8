"""Shared helpers for the sparse logs that training frameworks write (Lightning, W&B, a
Hugging Face ``log_history``): training logged every few steps, validation on its own rows.

Such a log becomes one row per logging point with NaN where a key was not logged;
:meth:`History.aligned` then averages the training values logged since the previous
validation point. Everything here is vectorised with numpy: a million-row step log is read
without a Python loop over its rows.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..history import History, _numeric
from ..naming import _split, normalise
from .delimited import first_line, sniff_separator
from .registry import Input, NotThisFormat


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
    key: np.ndarray,
    columns: dict[str, tuple[np.ndarray, np.ndarray]],
    mean_columns: frozenset[str] | set[str] = frozenset(),
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
    """``h`` with explicit-nan cells marked (the cells where the file logged ``nan``)."""
    if not nan_cells:
        return h
    merged = dict(h.nan_cells)
    merged.update({k: v for k, v in nan_cells.items() if k in h.columns and len(v) == len(h.index)})
    return replace(h, nan_cells=merged)
