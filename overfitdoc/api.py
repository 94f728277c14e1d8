"""The Python API: what the CLI calls, and what users import.

>>> import overfitdoc
>>> d = overfitdoc.diagnose("sample_runs/overfit.csv")   # doctest: +SKIP
>>> d.verdict, d.recommended_epoch                         # doctest: +SKIP
('overfitting', 14)
"""

from __future__ import annotations

import os

from .analysis import DEFAULT_SETTINGS, Diagnosis, Settings
from .analysis import diagnose as _diagnose
from .history import History
from .naming import normalising_once
from .readers import load_history


@normalising_once()
def diagnose(
    history_or_path: History | str | os.PathLike,
    *,
    monitor: str | None = None,
    mode: str | None = None,
    target: float | None = None,
    val_size: int | None = None,
    input_format: str | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> Diagnosis:
    """Diagnose a history, or the history in a file. See :mod:`overfitdoc.analysis`."""
    if not isinstance(history_or_path, History):
        history_or_path = load_history(history_or_path, input_format)
    return _diagnose(history_or_path, monitor=monitor, mode=mode, target=target, val_size=val_size, settings=settings)


__all__ = ["diagnose", "load_history", "History", "Diagnosis", "Settings"]
