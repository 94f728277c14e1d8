"""Directories as inputs: find the training logs inside.

The report has one run per input, so a directory that holds several logs is expanded by the
CLI into those logs (:func:`expand_inputs`). A directory that is itself one run (a TensorBoard
run directory, an MLflow run, experiment or store) is read by its own reader; any other
directory read as one input must hold exactly one log.

What counts as a log: TensorBoard run directories, MLflow runs, and ``*.csv``, ``*.tsv``,
``*.json``, ``*.jsonl``, ``*.log`` and ``*.txt`` files that a reader accepts and that hold a
metric series (a loss, an accuracy, ...), so configs, data sets and READMEs are passed over,
and so are overfitdoc's own JSON outputs (reports, a rerun's ``summary.json``), known by their
content (``registry.own_output``) whatever their name.
A file or folder inside that may not be read is an error for the directory, naming it
(``permission denied (runs/b)``), never passed over in silence. Hidden directories, virtual
environments and caches are not searched; of Hugging Face's
``checkpoint-N`` directories only the latest is (each holds the whole ``log_history`` so far),
and none when the output directory has its own ``trainer_state.json``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

from ..errors import InputError, OverfitdocError, PermissionDenied
from ..history import History
from ..naming import is_meta, metric_mode
from . import mlflowstore, tbevents
from .registry import Input, NotThisFormat, looks_own, open_input, read_input, reader

LOG_SUFFIXES = {".csv", ".tsv", ".json", ".jsonl", ".log", ".txt"}
KNOWN_NAMES = {
    "trainer_state.json",
    "metrics.csv",
    "results.csv",
    "log.txt",
    "training.log",
    "history.csv",
    "metrics.json",
}
SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", "env", "dist-packages", ".git"}
MAX_DEPTH = 8
MAX_ENTRIES = 20_000  # files and directories looked at under one input
BIG = 32 << 20  # larger files are judged by their first line, not read
_CHECKPOINT = re.compile(r"checkpoint-(\d+)$")


def _metric_like(names) -> bool:
    return any(isinstance(n, str) and not is_meta(n) and metric_mode(n) is not None for n in names)


def _is_log_file(path: Path) -> bool:
    """A file some reader accepts and that holds at least one metric series."""
    if path.name not in KNOWN_NAMES and path.suffix.lower() not in LOG_SUFFIXES:
        return False
    try:
        size = path.stat().st_size
    except OSError:
        return False
    if size == 0 or size > (1 << 30):
        return False
    if size > BIG:
        try:
            with path.open("rb") as f:
                head = f.read(65536).decode("utf-8", errors="replace")
        except OSError:
            return False
        if looks_own(head):
            return False
        if path.name == "trainer_state.json" or '"log_history"' in head:
            return True
        first = head.splitlines()[0] if head else ""
        return _metric_like(re.split(r"[,;\t|]", first)) or _metric_like(re.findall(r'"([^"]+)"\s*:', first))
    try:
        h = read_input(open_input(str(path)))
    except PermissionDenied:  # a log that may not be read is not passed over in silence
        raise
    except (OverfitdocError, NotThisFormat, ValueError, TypeError, KeyError, IndexError, RecursionError):
        return False
    return bool(h.pairs) or _metric_like(h.columns)


def _rerun_output(d: Path) -> bool:
    """A directory ``overfitdoc rerun`` wrote: its summary.json says ``"command": "rerun"``."""
    summary = d / "summary.json"
    try:
        with summary.open("rb") as f:
            head = f.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r'"command"\s*:\s*"rerun"', head) is not None


def _one_per_run(files: list[Path]) -> list[Path]:
    """In a rerun's output: each run once (its Keras CSV; the PyTorch JSON of the same run and
    the comparison summary.json go)."""
    csv_stems = {f.stem for f in files if f.suffix == ".csv"}
    return [f for f in files if f.name != "summary.json" and not (f.suffix == ".json" and f.stem in csv_stems)]


def _run_dir(d: Path) -> bool:
    return bool(tbevents.run_files(d)) or mlflowstore.is_run(d)


def find_logs(directory: Path) -> list[Path]:
    """The training logs under ``directory``, in a stable order (files of a directory before
    its sub-directories, names sorted); ``[directory]`` when it is one run."""
    if _run_dir(directory):
        return [directory]
    if mlflowstore.is_experiment(directory) or mlflowstore.is_root(directory):
        return mlflowstore.active_runs(directory)
    found: list[Path] = []
    budget = [MAX_ENTRIES]

    def walk(d: Path, depth: int) -> None:
        try:
            entries = sorted(d.iterdir(), key=lambda p: p.name)
        except PermissionError:  # a folder that may not be read is not passed over in silence
            raise
        except OSError:
            return
        budget[0] -= len(entries)
        if budget[0] < 0:
            return
        files = [p for p in entries if p.is_file()]
        if _rerun_output(d):
            files = _one_per_run(files)
        dirs = [p for p in entries if p.is_dir() and not p.name.startswith(".") and p.name not in SKIP_DIRS]
        found.extend(f for f in files if _is_log_file(f))
        ckpts = {p: int(m.group(1)) for p in dirs if (m := _CHECKPOINT.fullmatch(p.name))}
        latest = None if (d / "trainer_state.json").is_file() or not ckpts else max(ckpts, key=ckpts.__getitem__)
        for sub in dirs:
            if sub in ckpts and sub != latest:
                continue
            if _run_dir(sub):
                found.append(sub)
            elif mlflowstore.is_experiment(sub) or mlflowstore.is_root(sub):
                found.extend(mlflowstore.active_runs(sub))
            elif depth < MAX_DEPTH and not sub.is_symlink():
                walk(sub, depth + 1)

    walk(directory, 0)
    return found


def expand_inputs(paths) -> list[str]:
    """The inputs to diagnose, one run each: files and ``-`` as given; each directory replaced
    by the logs inside it (see :func:`find_logs`), or kept as it is when it is one run or holds
    no log (reading it then says why). Paths keep the prefix the user typed; duplicates go."""
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if p == "-" or not os.path.isdir(p):
            out.append(p)
            continue
        root = Path(p)
        try:
            logs = find_logs(root)
        except (PermissionError, InputError):  # kept as one input: reading it says what is wrong
            logs = []
        if not logs:
            out.append(p)
            continue
        for log in logs:
            out.append(p if log == root else os.path.normpath(os.path.join(p, os.path.relpath(log, root))))
    return list(dict.fromkeys(out))


@reader(
    "directory",
    "a directory holding one training log (the CLI expands one that holds several)",
    priority=95,
    directories=True,
)
def read_directory(inp: Input) -> History:
    if inp.path is None:
        raise NotThisFormat("not a directory")
    logs = [log for log in find_logs(inp.path) if log != inp.path]
    if not logs:
        raise InputError(
            inp.source,
            "no training log in this directory (looked for TensorBoard events, MLflow runs, "
            "trainer_state.json, metrics.csv, results.csv and *.csv/*.json/*.log/*.txt logs)",
        )
    if len(logs) > 1:
        shown = ", ".join(os.path.relpath(log, inp.path) for log in logs[:4])
        more = f" and {len(logs) - 4} more" if len(logs) > 4 else ""
        raise InputError(
            inp.source,
            f"holds {len(logs)} training logs ({shown}{more}); name one, "
            "or give the directory to the overfitdoc command, which reads each",
        )
    rel = os.path.relpath(logs[0], inp.path)
    h = read_input(open_input(os.path.join(inp.source, rel)))
    return replace(h, source=inp.source, notes=(f"read {rel}, the only training log in this directory",) + h.notes)
