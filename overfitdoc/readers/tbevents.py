"""TensorBoard event files (``events.out.tfevents.*``) and run directories.

Read through the optional ``tensorboard`` extra (its event-file loader and tensor decoding);
without it the error says how to install it. What is read: every scalar summary, whether
written as ``simple_value`` (``torch.utils.tensorboard``, TF1) or as a scalar tensor with the
``scalars`` plugin (TF2 / Keras ``tf.summary.scalar``).

A *run directory* is a directory holding event files directly and/or in sub-directories
named after a split, as Keras writes them (``logs/train``, ``logs/validation``) or as
``SummaryWriter.add_scalars`` does (``Loss_train``, ``Loss_val``). Its series are named
``<run>/<tag>`` (``train/epoch_loss``, ``validation/epoch_loss``; ``Loss/train``), so the
usual naming rules pair them. Keras's ``epoch_*`` tags are counted in epochs from 0; other
tags in the steps the writer was given.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..history import History, from_table
from ..naming import TEST_WORDS, TRAIN_WORDS, VAL_WORDS, find_pairs, normalise
from .registry import Input, NotThisFormat, reader

TB_MISSING = "reading TensorBoard event files needs the 'tensorboard' extra: pip install 'overfitdoc[tensorboard]'"
SPLIT_WORDS = set(TRAIN_WORDS + VAL_WORDS + TEST_WORDS) | {"validate", "evaluation", "testing"}


def is_event_file(path: Path) -> bool:
    return path.is_file() and ".tfevents." in path.name


def _split_dir(name: str) -> bool:
    """``train``, ``validation``, ``Loss_val``: a sub-run of one experiment, not another run."""
    parts = normalise(name).split("_")
    return bool(parts) and (parts[0] in SPLIT_WORDS or parts[-1] in SPLIT_WORDS)


def run_files(directory: Path) -> dict[str, list[Path]] | None:
    """``{run name: event files}`` when ``directory`` is one TensorBoard run (event files in it
    and/or in split-named sub-directories), else None."""
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return None
    runs: dict[str, list[Path]] = {}
    own = [p for p in entries if is_event_file(p)]
    if own:
        runs["."] = own
    for sub in entries:
        if sub.is_dir() and _split_dir(sub.name):
            files = sorted(p for p in sub.iterdir() if is_event_file(p))
            if files:
                runs[sub.name] = files
    return runs or None


def _load_api():
    try:
        from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader
        from tensorboard.util import tensor_util
    except ImportError:
        return None
    return LegacyEventFileLoader, tensor_util


def read_events(source: str, files: list[Path]) -> dict[str, dict[float, float]]:
    """``{tag: {step: value}}`` of every scalar in ``files`` (later files and events win)."""
    api = _load_api()
    if api is None:
        raise InputError(source, TB_MISSING)
    loader_cls, tensor_util = api
    out: dict[str, dict[float, float]] = {}
    plugin: dict[str, str] = {}
    for f in files:
        try:
            for event in loader_cls(str(f)).Load():
                if not event.HasField("summary"):
                    continue
                for v in event.summary.value:
                    if v.HasField("metadata") and v.metadata.plugin_data.plugin_name:
                        plugin.setdefault(v.tag, v.metadata.plugin_data.plugin_name)
                    kind = v.WhichOneof("value")
                    if kind == "simple_value":
                        x = float(v.simple_value)
                    elif kind == "tensor" and plugin.get(v.tag, "scalars") == "scalars":
                        if v.tensor.tensor_shape.dim:
                            continue
                        try:
                            arr = tensor_util.make_ndarray(v.tensor)
                        except Exception:  # noqa: BLE001 - a tensor of a kind we don't read
                            continue
                        if arr.dtype.kind not in "fiu" or arr.size != 1:
                            continue
                        x = float(arr.reshape(-1)[0])
                    else:
                        continue
                    out.setdefault(v.tag, {})[float(event.step)] = x
        except Exception as e:  # noqa: BLE001 - a truncated or corrupt record
            if not out:
                raise InputError(source, f"unreadable TensorBoard event file {f.name} ({type(e).__name__})") from None
    return out


def history_from_runs(source: str, runs: dict[str, list[Path]], fmt: str = "tensorboard") -> History:
    series: dict[str, dict[float, float]] = {}
    notes: list[str] = []
    for run, files in runs.items():
        for tag, points in read_events(source, files).items():
            if run == ".":
                name = tag
            elif normalise(run).startswith(normalise(tag) + "_"):
                name = f"{tag}/{run[len(tag) + 1 :]}"  # add_scalars: Loss_train/Loss -> Loss/train
            else:
                name = f"{run}/{tag}"
            series[name] = points
    if not series:
        raise InputError(source, "TensorBoard events hold no scalar summaries")
    keras = [n for n in series if n.rsplit("/", 1)[-1].startswith("epoch_")]
    if keras:
        dropped = [n for n in series if n not in keras]
        if dropped:
            notes.append(
                f"per-batch and per-iteration tags ({', '.join(sorted(dropped)[:4])}) left out: "
                "the epoch_* tags are the history"
            )
        series = {n: series[n] for n in keras}
    steps = np.concatenate([np.fromiter(p.keys(), float, len(p)) for p in series.values()])
    cols = {}
    for name, points in series.items():
        s = np.fromiter(points.keys(), float, len(points))
        v = np.fromiter(points.values(), float, len(points))
        cols[name] = (s, v)
    keys = np.unique(steps)
    table: dict[str, np.ndarray] = {}
    for name, (s, v) in cols.items():
        col = np.full(len(keys), np.nan)
        col[np.searchsorted(keys, s)] = v
        table[name] = col
    pairs = find_pairs(list(table))
    pairs = [replace(p, metric=p.metric[len("epoch_") :]) if p.metric.startswith("epoch_") else p for p in pairs]
    unit = "epoch" if keras else "step"
    base = 0 if keras else None
    return from_table(
        source,
        fmt,
        {"step": keys, **table},
        index_column="step",
        unit=unit,
        epoch_base=base,
        notes=tuple(notes),
        dedupe=False,
        pairs=pairs,
    )


@reader(
    "tensorboard",
    "TensorBoard event files and run directories (train/ and validation/ runs)",
    priority=10,
    directories=True,
)
def read_tensorboard_dir(inp: Input) -> History:
    runs = run_files(inp.path) if inp.path is not None else None
    if not runs:
        raise NotThisFormat("no TensorBoard event files in it or in train/ validation/ sub-directories")
    return history_from_runs(inp.source, runs)


@reader("tensorboard-file", "one TensorBoard event file (events.out.tfevents.*)", priority=5, binary=True)
def read_tensorboard_file(inp: Input) -> History:
    head = inp.data[:128]
    named = inp.path is not None and ".tfevents." in inp.path.name
    if b"brain.Event" not in head and not named:
        raise NotThisFormat("not a TensorBoard event file")
    if inp.path is None:
        raise InputError(inp.source, "TensorBoard event files are read from a path, not standard input")
    h = history_from_runs(inp.source, {".": [inp.path]})
    return replace(h, format="tensorboard")
