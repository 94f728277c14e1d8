"""The analysis: pure functions from a :class:`~overfitdoc.history.History` to a frozen
:class:`Diagnosis` that carries every measurement the later stages read.

Every quantity is defined in ``docs/analysis.md`` exactly as computed here. One module per idea:

* :mod:`.settings`: every threshold (:class:`Settings`);
* :mod:`.smoothing`: the trend, the noise and the window they are measured over;
* :mod:`.series`: each paired metric aligned and measured, the learning rate, validation bests;
* :mod:`.curves`: the monitored pair oriented (lower is better) with its uncertainties;
* :mod:`.gap`, :mod:`.divergence`, :mod:`.bias`, :mod:`.stability`: the measurements;
* :mod:`.verdict`: combines them, and the confidence;
* :mod:`.summary`: the one-sentence summary;
* :mod:`.early_stopping`: Keras' early-stopping rule, the one the advice, rerun and the benchmark use;
* :mod:`.types`: :class:`Diagnosis` and what it carries.

Nothing outside this package and the readers aligns a history or fits a trend: advice,
renderers, gates and rerun read the :class:`Diagnosis`. The analysis prints nothing and
imports nothing heavy (numpy only).
"""

from __future__ import annotations

from .core import diagnose
from .settings import DEFAULT_SETTINGS, Settings
from .summary import summarise
from .types import (
    VERDICTS,
    CannotTell,
    ColumnBest,
    Diagnosis,
    Gap,
    GapSeries,
    Instability,
    LearningRate,
    PairSeries,
    Stability,
    ValidationSize,
)

__all__ = [
    "DEFAULT_SETTINGS",
    "VERDICTS",
    "ColumnBest",
    "Diagnosis",
    "Gap",
    "GapSeries",
    "Instability",
    "LearningRate",
    "PairSeries",
    "Settings",
    "Stability",
    "ValidationSize",
    "CannotTell",
    "diagnose",
    "summarise",
]
