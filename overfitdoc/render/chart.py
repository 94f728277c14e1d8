"""A small chart of training against validation for the terminal report.

``terminal_chart(diagnosis)`` draws the monitored pair (the trends the analysis used, or the
raw values) a few lines high, with the recommended and divergence epochs marked, and returns
the lines. Training and validation differ by glyph, never by colour alone, so the chart reads
the same with ``NO_COLOR``; ``unicode=False`` gives plain ASCII for terminals that cannot show
more. Pure text: no matplotlib, no rich, nothing heavy (numpy only).

Example (``unicode=False``, width 40)::

    0.9543 |o
           |o.
           | o..
           |  o:..             oooooo
           |   ooooooooooooooooo
    0.0173 |    :  ....................
           +----^----------------------
            0   12                   79
    . loss  o val_loss  ^ recommended epoch 12  | divergence epoch 12
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..numbers import num


@dataclass(frozen=True)
class Glyphs:
    train: str
    val: str
    both: str  # a cell where the two curves meet
    axis: str  # the y axis
    tick: str  # the y axis where a label sits
    corner: str
    baseline: str  # the x axis
    span: str  # the x axis under the divergence range
    recommended: str
    divergence: str  # in the marker row
    divergence_line: str  # through the empty cells of the plot


UNICODE = Glyphs(
    train="·",
    val="•",
    both="◆",
    axis="│",
    tick="┤",
    corner="└",
    baseline="─",
    span="═",
    recommended="▲",
    divergence="┆",
    divergence_line="┆",
)
ASCII = Glyphs(
    train=".",
    val="o",
    both="*",
    axis="|",
    tick="|",
    corner="+",
    baseline="-",
    span="=",
    recommended="^",
    divergence="|",
    divergence_line=":",
)

MIN_PLOT_COLUMNS = 8
LOG_RATIO = 1e3  # positive values spanning this factor or more are drawn on a log scale


def terminal_chart(
    diagnosis, width: int = 72, height: int = 8, unicode: bool = True, *, trend: bool = True
) -> list[str]:
    """Lines of a chart of the monitored training and validation series, at most ``width``
    columns wide, ``height`` rows of plot plus an axis row, an epoch row and a legend.

    ``trend=True`` draws the trends the analysis used (``train_trend``, ``val_trend``); the
    raw values are drawn when there are no trends (fewer than 3 points) or ``trend=False``.
    Returns ``[]`` when there is nothing to draw (fewer than 2 finite points) or no room.
    Deterministic: the same diagnosis and arguments give the same lines.
    """
    g = UNICODE if unicode else ASCII
    data = _series(diagnosis, trend)
    if data is None:
        return []
    x, train, val, train_name, val_name, drew_trend = data
    finite = [s[np.isfinite(s)] for s in (train, val)]
    values = np.concatenate(finite)
    if len(values) == 0:
        return []
    vmin, vmax = float(values.min()), float(values.max())
    log = vmin > 0 and vmax / vmin >= LOG_RATIO
    labels = [num(vmax), num(vmin)]
    gutter = max(len(s) for s in labels)
    cols = width - gutter - 2
    rows = max(2, int(height))
    if cols < MIN_PLOT_COLUMNS:
        return []
    x0, x1 = float(x[0]), float(x[-1])

    def column(epoch: float) -> int:
        if x1 == x0:
            return 0
        return max(0, min(cols - 1, math.floor((epoch - x0) / (x1 - x0) * (cols - 1) + 0.5)))

    scale = _scale(vmin, vmax, log)

    def row(v: float) -> int:
        return max(0, min(rows - 1, math.floor((1.0 - scale(v)) * (rows - 1) + 0.5)))

    cells_t = _cells(x, train, column, row, cols, x0, x1)
    cells_v = _cells(x, val, column, row, cols, x0, x1)
    grid = [[" "] * cols for _ in range(rows)]
    both_used = False
    for r, c in cells_t | cells_v:
        if (r, c) in cells_t and (r, c) in cells_v:
            grid[r][c] = g.both
            both_used = True
        else:
            grid[r][c] = g.train if (r, c) in cells_t else g.val

    d = diagnosis
    rec = d.recommended_epoch
    div = d.divergence_epoch
    rng = d.divergence_range
    in_view = lambda e: e is not None and min(x0, x1) <= e <= max(x0, x1)  # noqa: E731
    if in_view(div):
        c = column(div)
        for r in range(rows):
            if grid[r][c] == " ":
                grid[r][c] = g.divergence_line

    lines = []
    label_rows = {0: labels[0], rows - 1: labels[1]}
    if vmin == vmax:  # a constant series sits on the middle row: one label, there
        label_rows = {row(vmin): labels[0]}
    for r in range(rows):
        label = label_rows.get(r)
        axis = g.tick if label is not None else g.axis
        lines.append(f"{(label or '').rjust(gutter)} {axis}{''.join(grid[r])}")

    marker = [g.baseline] * cols
    if rng is not None and in_view(rng[0]) and in_view(rng[1]):
        for c in range(column(rng[0]), column(rng[1]) + 1):
            marker[c] = g.span
    if in_view(div):
        marker[column(div)] = g.divergence
    if in_view(rec):
        marker[column(rec)] = g.recommended
    lines.append(f"{' ' * gutter} {g.corner}{''.join(marker)}")
    lines.append(f"{' ' * (gutter + 2)}{_epoch_row(cols, x0, x1, rec if in_view(rec) else None, column)}".rstrip())

    unit = getattr(d, "unit", "epoch") or "epoch"
    items = [f"{g.train} {train_name}", f"{g.val} {val_name}"]
    if both_used:
        items.append(f"{g.both} both")
    if in_view(rec):
        items.append(f"{g.recommended} recommended {unit} {_epoch(rec)}")
    if in_view(div):
        extra = f" (range {_epoch(rng[0])}-{_epoch(rng[1])})" if rng and rng[0] != rng[1] else ""
        items.append(f"{g.divergence} divergence {unit} {_epoch(div)}{extra}")
    bad = [float(e) for e in getattr(d, "nonfinite", ()) or ()]
    if bad:
        metric = d.monitor.metric if getattr(d, "monitor", None) else "value"
        items.append(f"{metric} not finite at {_epochs_text(bad, unit)}")
    notes = [s for s in ("trends" if drew_trend else "raw values", "log scale" if log else "") if s]
    items.append(f"({', '.join(notes)})")
    lines.extend(_wrap(items, width))
    if not unicode:
        lines = [s.encode("ascii", "replace").decode("ascii") for s in lines]
    return [s.rstrip() for s in lines]


def _series(d, trend: bool):
    """``(x, train, val, train_name, val_name, drew_trend)`` or None when under 2 points."""
    pair = getattr(d, "monitor", None)
    train_name = pair.train if pair else "training"
    val_name = pair.val if pair else "validation"
    points = np.asarray(getattr(d, "points", np.zeros(0)), dtype=float)
    t_tr = np.asarray(getattr(d, "train_trend", np.zeros(0)), dtype=float)
    v_tr = np.asarray(getattr(d, "val_trend", np.zeros(0)), dtype=float)
    if trend and len(points) >= 2 and len(t_tr) == len(points) == len(v_tr):
        return points, t_tr, v_tr, train_name, val_name, True
    monitored = d.monitored if pair is not None else None
    if monitored is not None:
        x, t, v = (np.asarray(a, dtype=float) for a in (monitored.epochs, monitored.train_raw, monitored.val_raw))
    else:
        x = points
        t = np.asarray(getattr(d, "train", np.zeros(0)), dtype=float)
        v = np.asarray(getattr(d, "val", np.zeros(0)), dtype=float)
    if len(x) != len(t) or len(x) != len(v):
        return None
    keep = np.isfinite(x) & (np.isfinite(t) | np.isfinite(v))
    x, t, v = x[keep], t[keep], v[keep]
    if len(x) < 2:
        return None
    return x, t, v, train_name, val_name, False


def _scale(vmin: float, vmax: float, log: bool):
    """Value -> position in [0, 1] (0 at the bottom), safe for constant and huge ranges."""
    if log:
        lo, hi = math.log10(vmin), math.log10(vmax)
        return lambda v: (math.log10(v) - lo) / (hi - lo)
    if vmax == vmin:
        return lambda v: 0.5
    half_span = vmax / 2 - vmin / 2  # halves first: vmax - vmin may overflow to inf
    return lambda v: (v / 2 - vmin / 2) / half_span


def _cells(x, y, column, row, cols, x0, x1) -> set[tuple[int, int]]:
    """The (row, column) cells one series covers: its value at each column's epoch
    (interpolated), joined vertically to the neighbouring column so steep parts stay lines."""
    ok = np.isfinite(y)
    if not ok.any():
        return set()
    xs, ys = x[ok], y[ok]
    lo, hi = float(xs.min()), float(xs.max())
    out: set[tuple[int, int]] = set()
    prev = None
    for c in range(cols):
        e = x0 if cols == 1 else x0 + (x1 - x0) * c / (cols - 1)
        if len(xs) == 1:
            inside = column(float(xs[0])) == c
        else:
            inside = lo - 1e-9 * abs(hi - lo) <= e <= hi + 1e-9 * abs(hi - lo)
        if not inside:
            prev = None
            continue
        r = row(float(np.interp(e, xs, ys)))
        out.add((r, c))
        if prev is not None and abs(r - prev) > 1:
            # split the vertical run between the two columns, half each
            mid = (r + prev) / 2
            step = 1 if r > prev else -1
            for rr in range(prev + step, r, step):
                out.add((rr, c - 1 if (rr - mid) * step < 0 else c))
        prev = r
    return out


def _epoch(e) -> str:
    f = float(e)
    return str(int(f)) if f.is_integer() else num(f)


def _epochs_text(epochs: list[float], unit: str) -> str:
    if len(epochs) == 1:
        return f"{unit} {_epoch(epochs[0])}"
    if all(b - a == 1 for a, b in zip(epochs, epochs[1:])):
        return f"{unit}s {_epoch(epochs[0])}-{_epoch(epochs[-1])}"
    return f"{len(epochs)} {unit}s from {_epoch(epochs[0])}"


def _epoch_row(cols: int, x0: float, x1: float, rec, column) -> str:
    """First epoch under the first column, last under the last, the recommended epoch under
    its marker when it does not collide with them."""
    row = [" "] * cols
    first, last = _epoch(x0), _epoch(x1)

    def place(text: str, start: int) -> bool:
        start = max(0, min(cols - len(text), start))
        lo, hi = max(0, start - 1), min(cols, start + len(text) + 1)
        if any(ch != " " for ch in row[lo:hi]):
            return False
        row[start : start + len(text)] = list(text)
        return True

    place(first, 0)
    if x1 != x0:
        place(last, cols - len(last))
    if rec is not None:
        text = _epoch(rec)
        if text not in (first, last) or column(rec) not in (0, cols - 1):
            place(text, column(rec) - (len(text) - 1) // 2)
    return "".join(row)


def _wrap(items: list[str], width: int) -> list[str]:
    """Legend items joined by two spaces, wrapped at ``width`` (an item longer than the
    width is cut)."""
    lines, cur = [], ""
    for item in items:
        item = item if len(item) <= width else item[: max(1, width - 1)] + "…"
        if cur and len(cur) + 2 + len(item) > width:
            lines.append(cur)
            cur = item
        else:
            cur = f"{cur}  {item}" if cur else item
    if cur:
        lines.append(cur)
    return lines
