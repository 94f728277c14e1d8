"""Readers: each turns one kind of file into a :class:`~overfitdoc.history.History`.

A reader is one function registered with :func:`reader`: it gets an :class:`Input` and
returns a History, or raises :class:`NotThisFormat` when the content is not its kind.
Detection is by content, never by extension: the readers are tried in order of their
``priority`` (most specific first) and the first that accepts the file wins. ``--input-format``
names one reader and skips detection. Adding a format is adding one module here that
calls :func:`reader`: every module of the package is imported below, in name order.

The modules, one per format or framework:

* :mod:`.registry`: :func:`reader`, :class:`Input`, detection (:func:`read_input`).
* :mod:`.delimited`, :mod:`.jsonlike`, :mod:`.textlog`: generic CSV, JSON / JSON Lines and
  printed text logs.
* :mod:`.sparse`: helpers shared by the readers of sparse framework logs.
* :mod:`.huggingface`, :mod:`.lightning`, :mod:`.ultralytics`, :mod:`.wandb`,
  :mod:`.detectron2`, :mod:`.steplog`: the logs training frameworks write.
* :mod:`.tbevents`, :mod:`.mlflowstore`: TensorBoard event files, MLflow file stores.
* :mod:`.directories`: directories as inputs, and :func:`expand_inputs` for the CLI.
"""

from __future__ import annotations

import importlib
import pkgutil

from .directories import expand_inputs
from .registry import (
    MAX_BYTES,
    READERS,
    Input,
    NotThisFormat,
    Reader,
    formats,
    load_history,
    open_input,
    read_input,
    reader,
)

__all__ = [
    "MAX_BYTES",
    "READERS",
    "Input",
    "NotThisFormat",
    "Reader",
    "expand_inputs",
    "formats",
    "load_history",
    "open_input",
    "read_input",
    "reader",
]

# importing a reader module runs its @reader decorators (detection order is the priorities';
# equal priorities keep the modules' name order, which pkgutil sorts)
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
