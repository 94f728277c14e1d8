"""Figures of diagnosed training histories: one per run, or several runs compared.

matplotlib is imported inside the functions below and nowhere else in overfitdoc, so
``overfitdoc diagnose`` never pays for it unless a plot is asked for. Figures are built on
``matplotlib.figure.Figure`` directly (no pyplot, so no display and no global state) unless
they are to be shown in a window.

What a run's figure shows (see :func:`run_figure`):

* the monitored pair against epochs: raw values faint, the trends the analysis used firm;
* a solid vertical line at ``recommended_epoch``, a dashed one at ``divergence_epoch`` with
  ``divergence_range`` shaded, and the gap between the trends shaded after the divergence;
* a panel with another paired metric (accuracy, say) when the log has one;
* a panel with the gap (validation worse than training is positive) over epochs;
* the verdict in the title and the key numbers under it.

Output is deterministic: the same input gives the same bytes (no dates, no software
versions, a fixed SVG hash salt), so figures can be compared in tests. Every artist that
matters carries a ``gid`` (``recommended-epoch``, ``divergence-epoch``, ``val-trend``, ...),
which the SVG keeps as an element id.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import UsageError
from ..io import atomic_write
from ..numbers import epoch_range, num

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ..analysis import Diagnosis, PairSeries
    from ..naming import MetricPair

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
# vision deficiency. Training and validation are blue and vermillion, which also differ in
# lightness, so they stay apart in greyscale.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
TRAIN = OKABE_ITO["blue"]
VAL = OKABE_ITO["vermillion"]
RECOMMENDED = OKABE_ITO["bluish_green"]
DIVERGENCE = OKABE_ITO["black"]
GAP = OKABE_ITO["reddish_purple"]
MUTED = "#666666"
# runs in compare mode; yellow last, it is faint on white
RUN_COLOURS = tuple(
    OKABE_ITO[k]
    for k in ("blue", "vermillion", "bluish_green", "reddish_purple", "orange", "sky_blue", "black", "yellow")
)
RUN_STYLES = ("-", "--", "-.", ":")

# What the bytes must not depend on: dates, software versions, random ids.
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "overfitdoc"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "overfitdoc", "Producer": "overfitdoc"},
}
RC: Any = {  # Any: matplotlib's stubs accept only literal rc keys
    "font.family": "DejaVu Sans",  # ships with matplotlib: present on a bare machine
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.8,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#cccccc",
    "svg.hashsalt": "overfitdoc",  # element ids from a fixed salt, not a random one
    "svg.fonttype": "path",  # text as paths: the SVG looks the same without the font
    "pdf.fonttype": 42,
    "path.simplify": True,
}
DEFAULT_WIDTH = 8.0  # inches: 800 px at 100 dpi, the width GitHub shows
PANEL_HEIGHTS = {1: 4.6, 2: 6.2, 3: 7.4}
CHARS_PER_INCH = 14.0  # of the 9.5 pt key numbers, DejaVu Sans
OUTLIER_SPAN = 4.0  # raw points further than this many plot heights away are clipped
# values (and epochs) beyond this are not drawn: matplotlib's transforms overflow or become
# singular on axes spanning ~1e308 (LinAlgError), and no curve is readable at that scale
PLOTTABLE = 1e100


@dataclass(frozen=True)
class PlotOptions:
    """How to draw. ``size`` is (width, height) in inches; None picks one from the panels."""

    log_y: bool = False
    smooth: bool = True
    size: tuple[float, float] | None = None
    dpi: int = 100
    title: str | None = None


# ---------------------------------------------------------------- paths and formats


def image_format(path: str | os.PathLike) -> str:
    """``png``, ``svg`` or ``pdf`` from the file's extension; UsageError for anything else."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        shown = f"'{ext}'" if ext else "no extension"
        raise UsageError(f"cannot write {path}: unknown image format ({shown}); use .png, .svg or .pdf")
    return FORMATS[ext]


def output_paths(path: str | os.PathLike, sources: list[str]) -> list[str]:
    """The file each run is written to: ``path`` itself for one run; for several,
    ``<stem>-<run>.<ext>`` next to it, where ``<run>`` is the input's file stem
    (``-o out.png`` with ``a.csv b.json`` gives ``out-a.png`` and ``out-b.png``). Runs whose
    stems clash keep their extension (``out-a-csv.png``), then a number."""
    path = str(path)
    if len(sources) <= 1:
        return [path]
    p = Path(path)
    stems = [_safe(Path(s).stem) if s != "-" else "stdin" for s in sources]
    names = [_safe(Path(s).name.replace(".", "-")) if s != "-" else "stdin" for s in sources]
    tags = []
    for i, stem in enumerate(stems):
        tag = stem if stems.count(stem) == 1 else names[i]
        tags.append(tag)
    seen: dict[str, int] = {}
    out = []
    for tag in tags:
        seen[tag] = seen.get(tag, 0) + 1
        unique = tag if tags.count(tag) == 1 else f"{tag}-{seen[tag]}"
        out.append(str(p.with_name(f"{p.stem}-{unique}{p.suffix}")))
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "run"


def has_display() -> bool:
    """Whether a window can be opened (Linux and BSD need an X or Wayland display)."""
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ---------------------------------------------------------------- the public entry point


def matplotlib_missing() -> str | None:
    """None when matplotlib can be imported, else why not. It is one of overfitdoc's
    requirements, so this is a broken installation (imports it, so call it only to plot)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        return f"matplotlib, one of overfitdoc's requirements, cannot be imported ({e}); reinstall overfitdoc"
    return None


def plot_diagnoses(
    diagnoses: Iterable[Diagnosis],
    path: str | os.PathLike | None,
    *,
    options: PlotOptions | None = None,
    compare: bool = False,
    show: bool = False,
    targets: list[str] | None = None,
    bands: list[Band | None] | None = None,
) -> list[str]:
    """Draw each diagnosis (or all of them in one figure with ``compare=True``) and write the
    image(s) atomically; returns the paths written, in the order of ``diagnoses``.

    The format follows the extension of ``path`` (PNG, SVG or PDF); several runs without
    ``compare`` go to one file each (see :func:`output_paths`). ``path`` may be None only with
    ``show=True``; ``targets`` names the file of each run explicitly instead (the CLI names
    them among all the inputs given, so an unreadable input does not rename the others).
    Raises UsageError (one line) for an unknown extension or a bad path. ``bands`` (with
    ``compare``): a shaded band per run behind its validation curve (see :class:`Band`).

    >>> plot_diagnoses([overfitdoc.diagnose("run.csv")], "run.png")   # doctest: +SKIP
    ['run.png']
    """
    why = matplotlib_missing()
    if why:
        raise UsageError(f"the plot cannot be drawn: {why}")
    options = options or PlotOptions()
    diagnoses = list(diagnoses)
    fmt = image_format(path) if path is not None else None
    if path is not None:
        _check_folder(path)
        if targets is None:
            targets = [str(path)] if compare else output_paths(path, [d.source for d in diagnoses])
        for target in targets:
            image_format(target)
    import matplotlib as mpl

    written = []
    figures = []
    if path is not None and not show and not compare and len(diagnoses) >= PARALLEL_FROM:
        images = _render_in_workers(diagnoses, options, fmt)
        if images is not None and targets is not None:
            for target, data in zip(targets, images):
                atomic_write(target, data)
                written.append(target)
            return written
    with mpl.rc_context(RC):
        groups = [diagnoses] if compare else [[d] for d in diagnoses]
        for k, group in enumerate(groups):
            fig = (
                compare_figure(group, options, pyplot=show, bands=bands)
                if compare
                else run_figure(group[0], options, pyplot=show)
            )
            if path is not None and targets is not None and fmt is not None:
                atomic_write(targets[k], render(fig, fmt, options.dpi))
                written.append(targets[k])
            figures.append(fig)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return written


#: from this many runs on, their figures are drawn in worker processes, one per core: a figure
#: costs ~0.3 s of matplotlib's own drawing, which nothing else here shortens
PARALLEL_FROM = 3
_WORK: tuple = ()  # (diagnoses, options, fmt) handed to forked workers without pickling


def _render_one(k: int) -> bytes:
    import matplotlib as mpl

    diagnoses, options, fmt = _WORK
    with mpl.rc_context(RC):
        return render(run_figure(diagnoses[k], options), fmt, options.dpi)


def _render_in_workers(diagnoses, options, fmt) -> list[bytes] | None:
    """Each run's image bytes, drawn in forked workers; None where forking is not available
    (then the caller draws them one by one, with the same bytes as the result)."""
    import multiprocessing as mp

    global _WORK
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2 or "fork" not in mp.get_all_start_methods():
        return None
    _WORK = (diagnoses, options, fmt)
    try:
        with mp.get_context("fork").Pool(min(cores, len(diagnoses))) as pool:
            return pool.map(_render_one, range(len(diagnoses)))
    finally:
        _WORK = ()


def render(fig, fmt: str, dpi: int = 100) -> bytes:
    """The figure as PNG, SVG or PDF bytes, without dates or versions in them."""
    import matplotlib as mpl

    buf = BytesIO()
    with mpl.rc_context(RC):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=METADATA[fmt], facecolor="white")
    return buf.getvalue()


def _check_folder(path) -> None:
    """Fail before any drawing when the folder is missing (atomic_write checks again)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")


def _new_figure(size, dpi: int, pyplot: bool, layout: Literal["constrained", "tight"] | None = "constrained"):
    if pyplot:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size, dpi=dpi, layout=layout)
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=dpi, layout=layout)


def _fixed_margins(size, title: str, key: str, n_panels: int, ratios) -> dict:
    """Subplot margins in figure fractions from fixed sizes in inches. A run's figure always
    has the same furniture (a title, two lines of key numbers, tick labels of a few
    characters), so fixed margins fit, and save the layout pass of a constrained layout,
    which costs about a third of the drawing time."""
    width, height = size
    title_lines = max(1, title.count("\n") + 1)
    key_lines = key.count("\n") + 1 if key else 0
    top = 0.16 + 0.24 * title_lines + 0.165 * key_lines + 0.1  # the suptitle, then the key numbers
    bottom, left, right = 0.58, 0.88, 0.22
    panel_gap = 0.34 if n_panels > 1 else 0.0  # room for the gap panel's one-line title
    usable = height - top - bottom - panel_gap * (n_panels - 1)
    mean_height = max(usable / n_panels, 0.3)
    return dict(
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=panel_gap / mean_height,
        height_ratios=ratios,
    )


# ---------------------------------------------------------------- one run


def run_figure(d, options: PlotOptions | None = None, *, pyplot: bool = False):
    """The figure of one diagnosis (a ``matplotlib.figure.Figure``), before it is saved.

    Tests and notebooks inspect it; :func:`render` turns it into bytes."""
    import matplotlib as mpl

    options = options or PlotOptions()
    with mpl.rc_context(RC):
        data = _RunData.of(d)
        n_panels = 1 + (data.other is not None) + (data.has_pair and len(data.x) >= 2)
        if data.pair is None:
            n_panels = 1
        size = options.size or (DEFAULT_WIDTH, PANEL_HEIGHTS[n_panels])
        fig = _new_figure(size, options.dpi, pyplot, layout=None)
        ratios = (
            [3.0]
            + ([1.6] if data.other is not None else [])
            + ([1.4] if n_panels > 1 + (data.other is not None) else [])
        )
        title = options.title or _title(d)
        key = _key_numbers(d, size[0]) if data.pair is not None else ""
        grid = _fixed_margins(size, title, key, n_panels, ratios[:n_panels])
        axes = fig.subplots(n_panels, 1, sharex=True, squeeze=False, gridspec_kw=grid)[:, 0]
        for ax in axes:  # a title placed by hand spares matplotlib measuring every tick label
            ax.set_title("", y=1.0)
        fig.suptitle(title, y=1 - 0.14 / size[1], va="top")
        if data.pair is None:
            _empty_panel(axes[0], d)
            _plain_text(fig)
            return fig
        _main_panel(axes[0], d, data, options, key)
        k = 1
        if data.other is not None:
            _other_panel(axes[k], d, data, options)
            k += 1
        if k < n_panels:
            _gap_panel(axes[k], d, data, options)
        axes[-1].set_xlabel(d.unit)
        _integer_epochs(axes[-1], data.x)
        _plain_text(fig)
        return fig


@dataclass
class _RunData:
    """What a figure needs from a diagnosis: the raw monitored pair over every logged epoch
    (non-finite values as NaN), the trends, and the other pair."""

    pair: MetricPair | None
    x: np.ndarray
    train: np.ndarray
    val: np.ndarray
    points: np.ndarray
    train_trend: np.ndarray
    val_trend: np.ndarray
    sign: float
    bad_x: np.ndarray  # epochs where the monitored pair is not finite
    other: PairSeries | None  # the other panel's series
    unplottable: int = 0  # finite values (or epochs) beyond PLOTTABLE, left out of the figure

    @property
    def has_pair(self) -> bool:
        return self.pair is not None

    @property
    def monitored(self) -> MetricPair:
        """The monitored pair, for the panels drawn only when there is one."""
        assert self.pair is not None
        return self.pair

    @property
    def has_trend(self) -> bool:
        return len(self.points) >= 2 and len(self.train_trend) == len(self.points) == len(self.val_trend)

    @classmethod
    def of(cls, d) -> _RunData:
        pair = d.monitor
        monitored = d.monitored
        empty = np.zeros(0)
        if pair is None:
            return cls(None, empty, empty, empty, empty, empty, empty, 1.0, empty, None)
        if monitored is not None:
            x, t, v = (np.asarray(a, dtype=float) for a in (monitored.epochs, monitored.train_raw, monitored.val_raw))
            bad = monitored.nonfinite_rows
            others = list(d.others)
        else:
            x, t, v = (np.asarray(a, dtype=float) for a in (d.points, d.train, d.val))
            bad = np.asarray(d.nonfinite, dtype=float)
            others = []
        t = np.where(np.isfinite(t), t, np.nan)
        v = np.where(np.isfinite(v), v, np.nan)
        bad = np.union1d(bad, np.asarray(d.nonfinite, dtype=float))
        x, t, v, n = _plottable(x, t, v)
        points, train_trend, val_trend, _ = _plottable(
            *(np.asarray(a, dtype=float) for a in (d.points, d.train_trend, d.val_trend))
        )
        bad, n_bad = _plottable(bad)[0], int((np.abs(bad) > PLOTTABLE).sum())
        return cls(
            pair,
            x,
            t,
            v,
            points,
            train_trend,
            val_trend,
            1.0 if pair.mode == "min" else -1.0,
            bad[np.isfinite(bad)],
            _pick_other(others),
            n + n_bad,
        )


def _plottable(x: np.ndarray, *ys: np.ndarray) -> tuple:
    """``x`` and each ``ys`` with values beyond PLOTTABLE as NaN (NaN epochs are not drawn),
    and how many finite values that left out."""
    n = 0
    out = []
    for a in (x, *ys):
        with np.errstate(invalid="ignore"):
            far = np.abs(a) > PLOTTABLE
        n += int(far.sum())
        out.append(np.where(far, np.nan, a) if far.any() else a)
    return (*out, n)


def _corner_note(ax, y: float, text: str, gid: str) -> None:
    """A small muted note at the top right of a panel (``y`` in axes coordinates)."""
    ax.text(0.99, y, text, transform=ax.transAxes, ha="right", va="top", fontsize=8, color=MUTED, gid=gid)


def _unplottable_note(ax, n: int) -> None:
    """Say that values too large to draw were left out (the report still has them)."""
    if not n:
        return
    _corner_note(ax, 0.90, f"{n} value{'s' if n > 1 else ''} beyond ±1e100 not drawn", "unplottable-note")


def _plain_text(fig) -> None:
    """Draw every text of the figure as written: a metric or file name with ``$...$`` in it
    is not matplotlib mathtext (which raised ValueError on ``$\\frac$`` and the like). Tick
    labels keep mathtext, which log axes use for their powers of ten."""
    from matplotlib.text import Text

    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks.add(axis.offsetText)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((tick.label1, tick.label2))
    for t in fig.findobj(Text):
        if t not in ticks:
            t.set_parse_math(False)


def _pick_other(others):
    """The other pair to show (a PairSeries): an accuracy-like score first, else the first pair."""
    if not others:
        return None
    for p in others:
        if p.pair.mode == "max":
            return p
    return others[0]


def _main_panel(ax, d, data: _RunData, options: PlotOptions, key: str) -> None:
    pair = data.monitored
    smooth = options.smooth and data.has_trend
    _series(ax, data.x, data.train, TRAIN, f"{pair.train} (training)", "train", smooth, marker="o")
    _series(ax, data.x, data.val, VAL, f"{pair.val} (validation)", "val", smooth, marker="s")
    if smooth:
        ax.plot(
            data.points,
            data.train_trend,
            color=TRAIN,
            lw=2.2,
            gid="train-trend",
            zorder=3,
            label=f"{pair.train} (training), trend",
        )
        ax.plot(
            data.points,
            data.val_trend,
            color=VAL,
            lw=2.2,
            gid="val-trend",
            zorder=3,
            label=f"{pair.val} (validation), trend",
        )
    if d.divergence_epoch is not None and data.has_trend:
        after = data.points >= d.divergence_epoch
        if after.sum() >= 2:
            lo_t, hi_t = (
                (data.train_trend, data.val_trend)
                if smooth
                else (_at(data.x, data.train, data.points), _at(data.x, data.val, data.points))
            )
            ax.fill_between(
                data.points[after],
                lo_t[after],
                hi_t[after],
                color=GAP,
                alpha=0.16,
                lw=0,
                gid="gap-after-divergence",
                label="gap after divergence",
                zorder=1,
            )
    _epoch_markers(ax, d, legend=True, gid_suffix="")
    _nonfinite_marks(ax, data)
    _unplottable_note(ax, data.unplottable)
    height = ax.get_position().height * ax.figure.get_figheight()
    direction = " (lower is better)" if pair.mode == "min" else " (higher is better)"
    ax.set_ylabel(pair.metric + (direction if height >= 2.2 else ""))
    if options.log_y:
        _log_scale(ax, np.concatenate([data.train, data.val]))
    else:
        _clip_outliers(
            ax,
            np.concatenate([data.train, data.val]),
            np.concatenate([data.train_trend, data.val_trend]) if smooth else np.zeros(0),
        )
    ax.set_title(key, loc="left", fontsize=9.5, color="#333333", y=1.0, pad=5)
    ax.legend(loc="best", ncols=1)


def _other_panel(ax, d, data: _RunData, options: PlotOptions) -> None:
    series = data.other
    assert series is not None  # drawn only when there is another pair
    p = series.pair
    x = np.asarray(series.epochs, dtype=float)
    t = np.where(np.isfinite(series.train_raw), series.train_raw, np.nan)
    v = np.where(np.isfinite(series.val_raw), series.val_raw, np.nan)
    x, t, v, n = _plottable(x, t, v)
    smooth = options.smooth
    _series(ax, x, t, TRAIN, f"{p.train} (training)", f"other-{_safe(p.metric)}-train", smooth, marker="o")
    _series(ax, x, v, VAL, f"{p.val} (validation)", f"other-{_safe(p.metric)}-val", smooth, marker="s")
    if smooth and series.has_trend:
        trend_x, train_trend, val_trend, _ = _plottable(
            *(np.asarray(a, dtype=float) for a in (series.points, series.train_trend, series.val_trend))
        )
        for trend_values, colour, name in ((train_trend, TRAIN, "train"), (val_trend, VAL, "val")):
            label = f"{p.train} (training)" if name == "train" else f"{p.val} (validation)"
            ax.plot(
                trend_x,
                trend_values,
                color=colour,
                lw=1.8,
                zorder=3,
                gid=f"other-{_safe(p.metric)}-{name}-trend",
                label=f"{label}, trend",
            )
    _epoch_markers(ax, d, legend=False, gid_suffix="-other-panel")
    _unplottable_note(ax, n)
    ax.set_ylabel(p.metric)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8.5)


def _gap_panel(ax, d, data: _RunData, options: PlotOptions) -> None:
    pair = data.monitored
    gap_raw = data.sign * (data.val - data.train)
    smooth = options.smooth and data.has_trend
    ax.axhline(0.0, color=MUTED, lw=0.9, zorder=1)
    ax.plot(
        data.x,
        gap_raw,
        color=GAP,
        lw=0.8 if smooth else 1.6,
        alpha=0.4 if smooth else 1.0,
        marker="." if smooth else None,
        ms=3,
        gid="gap-raw",
        zorder=2,
    )
    if smooth:
        gap_trend = data.sign * (data.val_trend - data.train_trend)
        ax.plot(data.points, gap_trend, color=GAP, lw=2.0, gid="gap-trend", zorder=3)
        ax.fill_between(
            data.points, 0.0, gap_trend, where=gap_trend > 0, color=GAP, alpha=0.12, lw=0, interpolate=True, zorder=1
        )
    _epoch_markers(ax, d, legend=False, gid_suffix="-gap-panel")
    worse = f"{pair.val} − {pair.train}" if pair.mode == "min" else f"{pair.train} − {pair.val}"
    ax.set_ylabel("gap")
    ax.set_title(
        f"gap = {worse} (above 0: worse on validation)", loc="left", fontsize=8.5, color="#333333", y=1.0, pad=4
    )


def _series(ax, x, y, colour, label, gid, smooth, *, marker):
    """Raw values: faint points under a trend, or the firm line when there is no trend."""
    if smooth:
        ax.plot(x, y, color=colour, lw=0.7, alpha=0.35, marker=marker, ms=2.6, mew=0, gid=f"{gid}-raw", zorder=2)
    else:
        ax.plot(x, y, color=colour, lw=1.8, marker=marker, ms=2.8, mew=0, gid=f"{gid}-raw", zorder=3, label=label)


def _at(x, y, points):
    """``y`` at ``points`` (which are a subset of ``x``)."""
    return np.interp(points, x[np.isfinite(y)], y[np.isfinite(y)]) if np.isfinite(y).any() else np.zeros(len(points))


def _epoch_markers(ax, d, *, legend: bool, gid_suffix: str) -> None:
    unit = d.unit
    far = lambda e: e is not None and not abs(e) <= PLOTTABLE  # noqa: E731
    if far(d.recommended_epoch) or far(d.divergence_epoch) or (d.divergence_range and far(d.divergence_range[0])):
        return  # an epoch beyond PLOTTABLE: nothing drawn at that scale (the note says so)
    if d.divergence_range is not None and d.divergence_range[0] != d.divergence_range[1]:
        a, b = d.divergence_range
        ax.axvspan(
            a,
            b,
            color="#999999",
            alpha=0.18,
            lw=0,
            zorder=0,
            gid=f"divergence-range{gid_suffix}",
            label=f"divergence range {a}–{b}" if legend else None,
        )
    if d.recommended_epoch is not None:
        ax.axvline(
            d.recommended_epoch,
            color=RECOMMENDED,
            lw=2.0 if legend else 1.4,
            zorder=4,
            gid=f"recommended-epoch{gid_suffix}",
            label=f"recommended {unit} {d.recommended_epoch}" if legend else None,
        )
    if d.divergence_epoch is not None:
        ax.axvline(
            d.divergence_epoch,
            color=DIVERGENCE,
            lw=1.3 if legend else 1.0,
            ls=(0, (4, 2.5)),
            zorder=5,
            gid=f"divergence-epoch{gid_suffix}",
            label=f"divergence {unit} {d.divergence_epoch}" if legend else None,
        )


def _nonfinite_marks(ax, data: _RunData) -> None:
    if not len(data.bad_x):
        return
    import matplotlib.transforms as mtransforms

    trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.plot(
        data.bad_x,
        np.full(len(data.bad_x), 0.03),
        ls="none",
        marker="x",
        ms=5,
        mew=1.3,
        color=MUTED,
        transform=trans,
        gid="nonfinite",
        zorder=5,
        clip_on=False,
        label=f"{data.monitored.metric} not finite ({_span_text(data.bad_x)})",
    )
    # the x axis covers the bad epochs too, although nothing is drawn there
    lo = min(float(np.nanmin(data.x)) if len(data.x) else data.bad_x[0], float(data.bad_x[0]))
    hi = max(float(np.nanmax(data.x)) if len(data.x) else data.bad_x[-1], float(data.bad_x[-1]))
    ax.set_xlim(lo - 0.02 * (hi - lo or 1), hi + 0.02 * (hi - lo or 1))


def _span_text(xs) -> str:
    xs = [int(x) if float(x).is_integer() else x for x in xs]
    if len(xs) == 1:
        return f"epoch {xs[0]}"
    contiguous = all(b - a == 1 for a, b in zip(xs, xs[1:]))
    return f"epochs {xs[0]}–{xs[-1]}" if contiguous else f"{len(xs)} epochs from {xs[0]}"


def _log_scale(ax, values) -> None:
    vals = values[np.isfinite(values)]
    if len(vals) and vals.min() > 0:
        ax.set_yscale("log")
    else:  # values at or below zero: log near zero would hide them, symlog keeps them
        top = float(np.abs(vals).max()) if len(vals) else 1.0
        nonzero = np.abs(vals[vals != 0])
        ax.set_yscale("symlog", linthresh=float(nonzero.min()) if len(nonzero) else max(top, 1.0) * 1e-3)


def _clip_outliers(ax, raw, trends) -> None:
    """Keep a few exploding points from flattening everything else: when raw values lie
    more than OUTLIER_SPAN plot heights beyond the bulk, limit the y axis and say so."""
    vals = raw[np.isfinite(raw)]
    if len(vals) < 5:
        return
    lo, hi = np.percentile(vals, [10, 90])
    tr = trends[np.isfinite(trends)]
    if len(tr):
        lo, hi = min(lo, tr.min()), max(hi, tr.max())
    span = hi - lo
    if span <= 0:
        return
    below, above = vals < lo - OUTLIER_SPAN * span, vals > hi + OUTLIER_SPAN * span
    if not (below.any() or above.any()):
        return
    pad = 0.15 * span
    ax.set_ylim(lo - pad, hi + pad)
    n = int(below.sum() + above.sum())
    extreme = vals[above].max() if above.any() else vals[below].min()
    _corner_note(
        ax,
        0.97,
        f"{n} point{'s' if n > 1 else ''} off the chart (up to {num(float(extreme))}); try --log-y",
        "clipped-note",
    )


def _integer_epochs(ax, x) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))


def _empty_panel(ax, d) -> None:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        d.summary or "Nothing to draw.",
        ha="center",
        va="center",
        wrap=True,
        fontsize=11,
        transform=ax.transAxes,
        gid="no-data",
    )


def _verdict_words(verdict: str) -> str:
    return verdict.replace("_", " ")


def _title(d) -> str:
    name = Path(d.source).name if d.source != "-" else "standard input"
    if d.verdict == "insufficient_data":
        return f"{name}: insufficient data"
    return f"{name}: {_verdict_words(d.verdict)} (confidence {d.confidence:.2f})"


def _key_numbers(d, width_in: float = DEFAULT_WIDTH) -> str:
    """The numbers a reader wants first: two lines at the default width, more when narrow."""
    unit = d.unit
    first = [f"recommended {unit} {num(d.recommended_epoch)}"]
    if d.divergence_epoch is not None:
        rng = (
            f" (range {epoch_range(d.divergence_range)})"
            if d.divergence_range and d.divergence_range[0] != d.divergence_range[1]
            else ""
        )
        first.append(f"divergence {unit} {d.divergence_epoch}{rng}")
    else:
        first.append("no divergence")
    if d.monitor is not None and d.best_epoch is not None:
        first.append(f"best {d.monitor.val} {num(d.best_val)} at {unit} {d.best_epoch}")
    second = []
    if d.gap.final is not None:
        rel = (
            f", {d.gap.relative_final:+.0%} of training"
            if d.gap.relative_final is not None and abs(d.gap.relative_final) < 10
            else ""
        )
        second.append(f"final gap {num(d.gap.final)}{rel}, {d.gap.trend}")
    second.append(f"bias {d.bias}, variance {d.variance}")
    if d.epochs_past_best:
        second.append(f"{d.epochs_past_best} {unit}s past the recommended one")
    max_chars = max(30, int((width_in - 1.1) * CHARS_PER_INCH))
    lines = []
    for group in (first, second):
        cur = ""
        for item in group:
            if cur and len(cur) + 5 + len(item) > max_chars:
                lines.append(cur)
                cur = item
            else:
                cur = f"{cur}  ·  {item}" if cur else item
        lines.append(cur)
    return "\n".join(lines)


# ---------------------------------------------------------------- several runs compared


@dataclass(frozen=True)
class Band:
    """A shaded band behind a run's validation curve in compare mode: from ``low`` to ``high``
    at each epoch ``x`` (rerun: the minimum and maximum over its seeds); ``label`` says what it
    is, in the panel's title."""

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    label: str = "band: min-max"


def compare_figure(
    diagnoses, options: PlotOptions | None = None, *, pyplot: bool = False, bands: list[Band | None] | None = None
):
    """Validation curves (top) and gaps (bottom) of several runs in one figure with a shared
    legend: whether a change helped. Each run's recommended epoch is a dot on its curve;
    ``bands[i]``, when given, is shaded behind run ``i``'s curve (gid ``val-band-<i>``)."""
    import matplotlib as mpl

    options = options or PlotOptions()
    diagnoses = list(diagnoses)
    bands = list(bands) if bands is not None else []
    band_labels = list(dict.fromkeys(b.label for b in bands if b is not None))
    with mpl.rc_context(RC):
        size = options.size or (DEFAULT_WIDTH, 6.4)
        fig = _new_figure(size, options.dpi, pyplot)
        ax_val, ax_gap = fig.subplots(2, 1, sharex=True, height_ratios=[2.6, 1.4])
        names = _run_names([d.source for d in diagnoses])
        metrics, units, all_raw, all_trend = [], [], [], []
        unplottable = 0
        for i, (d, name) in enumerate(zip(diagnoses, names)):
            colour = RUN_COLOURS[i % len(RUN_COLOURS)]
            style = RUN_STYLES[(i // len(RUN_COLOURS)) % len(RUN_STYLES)]
            data = _RunData.of(d)
            unplottable += data.unplottable
            label = f"{name}: {_verdict_words(d.verdict)}"
            if d.recommended_epoch is not None:
                label += f", recommended {d.unit} {d.recommended_epoch}"
            if data.pair is None:
                ax_val.plot([], [], color=colour, ls=style, lw=2, label=f"{name}: {d.summary}", gid=f"val-trend-{i}")
                continue
            metrics.append(data.pair.val)
            units.append(d.unit)
            smooth = options.smooth and data.has_trend
            all_raw.append(data.val)
            band = bands[i] if i < len(bands) else None
            if band is not None and len(band.x):
                ax_val.fill_between(
                    band.x, band.low, band.high, color=colour, alpha=0.16, lw=0, gid=f"val-band-{i}", zorder=1
                )
                finite = np.concatenate([band.low, band.high])
                all_raw.append(finite[np.isfinite(finite)])
            ax_val.plot(
                data.x,
                data.val,
                color=colour,
                lw=0.7 if smooth else 1.8,
                alpha=0.3 if smooth else 1.0,
                marker="o" if smooth else None,
                ms=2.2,
                mew=0,
                gid=f"val-raw-{i}",
                zorder=2,
                ls="-" if smooth else style,
                label=None if smooth else label,
            )
            gap_raw = data.sign * (data.val - data.train)
            if smooth:
                all_trend.append(data.val_trend)
                ax_val.plot(
                    data.points,
                    data.val_trend,
                    color=colour,
                    lw=2.2,
                    ls=style,
                    gid=f"val-trend-{i}",
                    zorder=3,
                    label=label,
                )
                ax_gap.plot(
                    data.points,
                    data.sign * (data.val_trend - data.train_trend),
                    color=colour,
                    lw=2.0,
                    ls=style,
                    gid=f"gap-trend-{i}",
                    zorder=3,
                )
                ax_gap.plot(data.x, gap_raw, color=colour, lw=0.6, alpha=0.25, gid=f"gap-raw-{i}", zorder=2)
            else:
                ax_gap.plot(data.x, gap_raw, color=colour, lw=1.6, ls=style, gid=f"gap-raw-{i}", zorder=3)
            if d.recommended_epoch is not None and abs(d.recommended_epoch) <= PLOTTABLE and len(data.points):
                k = int(np.argmin(np.abs(data.points - d.recommended_epoch)))
                y = data.val_trend[k] if smooth else _at(data.x, data.val, data.points[k : k + 1])[0]
                ax_val.plot(
                    [d.recommended_epoch],
                    [y],
                    ls="none",
                    marker="o",
                    ms=8,
                    mfc=colour,
                    mec="white",
                    mew=1.5,
                    zorder=6,
                    gid=f"recommended-epoch-{i}",
                )
            if d.divergence_epoch is not None and abs(d.divergence_epoch) <= PLOTTABLE:
                ax_gap.axvline(
                    d.divergence_epoch, color=colour, lw=1.0, ls=(0, (4, 2.5)), alpha=0.8, gid=f"divergence-epoch-{i}"
                )
        ax_gap.axhline(0.0, color=MUTED, lw=0.9, zorder=1)
        metric_names = list(dict.fromkeys(metrics))
        ax_val.set_ylabel(", ".join(metric_names) if metric_names else "validation")
        ax_gap.set_ylabel("gap")
        ax_gap.set_title(
            "gap between validation and training (above 0: worse on validation); dashed: divergence",
            loc="left",
            fontsize=8.5,
            color="#333333",
        )
        ax_val.set_title(
            "validation curves ("
            + "".join(f"{label}; " for label in band_labels)
            + ("faint: raw values; " if options.smooth else "")
            + "dot: recommended epoch)",
            loc="left",
            fontsize=8.5,
            color="#333333",
        )
        if options.log_y and all_raw:
            _log_scale(ax_val, np.concatenate(all_raw))
        elif all_raw:
            _clip_outliers(ax_val, np.concatenate(all_raw), np.concatenate(all_trend) if all_trend else np.zeros(0))
        ax_gap.set_xlabel(" / ".join(dict.fromkeys(units)) or "epoch")
        _integer_epochs(ax_gap, None)
        fig.suptitle(options.title or f"Comparing {len(diagnoses)} run{'s' if len(diagnoses) != 1 else ''}")
        handles, labels = ax_val.get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=1 if len(handles) > 3 or max(len(s) for s in labels) > 45 else len(handles),
                fontsize=9,
            )
        if unplottable:
            _unplottable_note(ax_val, unplottable)
        _plain_text(fig)
        return fig


def _run_names(sources: list[str]) -> list[str]:
    """Short names for the legend: file names, or the paths where two names are the same."""
    names = [Path(s).name if s != "-" else "standard input" for s in sources]
    return [n if names.count(n) == 1 else s for n, s in zip(names, sources)]
