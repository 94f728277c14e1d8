"""MLflow file-store runs: ``mlruns/<experiment>/<run>/metrics/<name>``, each metric file a
line ``timestamp value step`` per logged value (names with ``/`` are sub-directories).

Accepted: a run directory; an experiment directory (the latest run is read, the others are
named in a note); the ``mlruns`` root (the latest run of all). Deleted runs are skipped. No
MLflow install is needed: the files are plain text.

The steps are the ones the run logged. When every series was logged at the same consecutive
integer steps starting at 0 or 1 (Keras autolog, a loop logging ``step=epoch``) they are
reported as epochs; otherwise as steps.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..history import History, from_table
from ..naming import find_pairs
from .registry import Input, NotThisFormat, read_path, reader


def meta(directory: Path) -> dict[str, str]:
    """The flat ``key: value`` lines of ``meta.yaml`` (no YAML library needed)."""
    out: dict[str, str] = {}
    try:
        text = read_path(directory / "meta.yaml", str(directory)).decode("utf-8", errors="replace")
    except (OSError, InputError):
        return out
    for line in text.splitlines():
        if line[:1].isspace() or ":" not in line:
            continue
        k, v = line.split(":", 1)
        out[k.strip()] = v.strip().strip("'\"")
    return out


def is_run(d: Path) -> bool:
    return (d / "metrics").is_dir() and (
        (d / "meta.yaml").is_file() or (d / "params").is_dir() or (d / "tags").is_dir()
    )


def _children(d: Path) -> list[Path]:
    try:
        return sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError:
        return []


def is_experiment(d: Path) -> bool:
    return (d / "meta.yaml").is_file() and not is_run(d) and any(is_run(c) for c in _children(d))


def is_root(d: Path) -> bool:
    return not is_run(d) and not is_experiment(d) and any(is_experiment(c) for c in _children(d))


def active_runs(d: Path) -> list[Path]:
    """The runs of an experiment, or of every experiment under a root, oldest first."""
    exps = [d] if is_experiment(d) else [c for c in _children(d) if is_experiment(c)]
    runs = [
        r for e in exps for r in _children(e) if is_run(r) and meta(r).get("lifecycle_stage", "active") != "deleted"
    ]

    def started(r: Path) -> tuple[float, str]:
        try:
            return float(meta(r).get("start_time", "nan")), str(r)
        except ValueError:
            return float("nan"), str(r)

    return sorted(runs, key=lambda r: (np.nan_to_num(started(r)[0], nan=r.stat().st_mtime * 1000), str(r)))


def run_label(r: Path) -> str:
    name = meta(r).get("run_name") or ""
    if not name:
        try:
            name = read_path(r / "tags" / "mlflow.runName", str(r)).decode("utf-8").strip()
        except (OSError, InputError, UnicodeDecodeError):
            name = ""
    return f"{name} ({r.name[:8]})" if name else r.name


def _metric_file(source: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    text = read_path(path, f"{source}: {path.name}").decode("utf-8", errors="replace")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return np.empty(0), np.empty(0)
    tokens = text.split()
    try:
        if len(tokens) == 3 * len(lines):
            arr = np.array(tokens, dtype=float).reshape(-1, 3)
            return arr[:, 2], arr[:, 1]
        rows = [ln.split() for ln in lines]
        vals = np.array([float(r[1]) for r in rows])
        steps = np.array([float(r[2]) if len(r) > 2 else 0.0 for r in rows])
        return steps, vals
    except (ValueError, IndexError):
        raise InputError(
            source, f"malformed MLflow metric file {path.name} (want 'timestamp value step' lines)"
        ) from None


def metric_files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sub-directories included (``val/accuracy``), without
    following links to folders. A folder that may not be listed raises PermissionError (the
    read is exit 2 naming it), where ``Path.rglob`` would pass over it and its metrics."""
    found, todo = [], [folder]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for e in entries:
                if e.is_dir(follow_symlinks=False):
                    todo.append(Path(e.path))
                elif e.is_file():
                    found.append(Path(e.path))
    return found


def read_run(source: str, run: Path, notes: tuple[str, ...] = ()) -> History:
    metrics_dir = run / "metrics"
    files = sorted(metric_files(metrics_dir))
    series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for f in files:
        name = f.relative_to(metrics_dir).as_posix()
        steps, vals = _metric_file(source, f)
        if len(steps):
            series[name] = (steps, vals)
    if not series:
        raise InputError(source, "this MLflow run logged no metrics")
    keys = np.unique(np.concatenate([s for s, _ in series.values()]))
    table: dict[str, np.ndarray] = {}
    for name, (s, v) in series.items():
        col = np.full(len(keys), np.nan)
        col[np.searchsorted(keys, s)] = v  # repeated steps: the later line wins
        table[name] = col
    pairs = find_pairs(list(table))
    per_epoch = (
        len(keys) > 0
        and keys[0] in (0.0, 1.0)
        and bool(np.all(np.diff(keys) == 1))
        and all(len(np.unique(s)) == len(keys) for s, _ in series.values())
    )
    unit = "epoch" if per_epoch else "step"
    base = int(keys[0]) if per_epoch else None
    return from_table(
        source,
        "mlflow",
        {"step": keys, **table},
        index_column="step",
        unit=unit,
        epoch_base=base,
        notes=notes,
        dedupe=False,
        pairs=pairs,
    )


@reader(
    "mlflow",
    "MLflow file store: a run directory, an experiment directory or the mlruns root",
    priority=12,
    directories=True,
)
def read_mlflow(inp: Input) -> History:
    d = inp.path
    if d is None:
        raise NotThisFormat("not a directory")
    if is_run(d):
        return read_run(inp.source, d)
    if not (is_experiment(d) or is_root(d)):
        raise NotThisFormat("no MLflow runs (metrics/ and meta.yaml)")
    runs = active_runs(d)
    if not runs:
        raise InputError(inp.source, "this MLflow store holds no active runs")
    latest = runs[-1]
    notes: tuple[str, ...] = ()
    if len(runs) > 1:
        others = ", ".join(run_label(r) for r in runs[:-1][::-1][:5])
        more = f" and {len(runs) - 6} more" if len(runs) > 6 else ""
        notes = (f"{len(runs)} MLflow runs here; reading the latest, {run_label(latest)}; the others: {others}{more}",)
    return read_run(inp.source, latest, notes)
