"""overfitdoc: diagnose overfitting and underfitting from a model's training history.

>>> import overfitdoc
>>> h = overfitdoc.load_history("sample_runs/overfit.csv")   # doctest: +SKIP
>>> overfitdoc.diagnose(h).verdict                            # doctest: +SKIP
'overfitting'
"""

from ._version import __version__
from .api import Diagnosis, History, Settings, diagnose, load_history

__all__ = ["__version__", "diagnose", "load_history", "History", "Diagnosis", "Settings"]
