"""The spec: the user's Python file that says how to build the model and load the data.

A spec defines (see ``examples/binary_mlp.py`` for a complete one)::

    def model(width=1.0) -> torch.nn.Module     # required; a fresh model on every call.
                                               # A `width` or `scale` keyword lets the
                                               # smaller-model fix shrink it.
    def data() -> (train, val)                   # required; each a torch Dataset or a tuple of
                                               # tensors (x, y) or (x1, x2, ..., y)
    loss = torch.nn.CrossEntropyLoss()          # optional; default: cross-entropy for integer
                                               # targets, BCE-with-logits for one output with
                                               # 0/1 targets, MSE otherwise
    def optimizer(params) -> torch.optim.Optimizer   # optional; default Adam(lr=1e-3)
    epochs = 40                                 # optional; default 20 (--epochs wins)
    batch_size = 32                             # optional; default 32
    metrics = {"accuracy": fn}                  # optional; fn(outputs, targets) -> number;
                                               # default: accuracy for classification

The spec is never edited: every fix changes the training recipe around it. A spec that
does not fit gets one line naming the spec and what to change (:class:`SpecError`, exit 2).

The spec is Python code, imported and run with the privileges of whoever runs overfitdoc.
While it is imported and run (:func:`spec_environment`), ``sys.argv`` is ``[spec path]``
(a spec that parses arguments at import sees none of overfitdoc's), no bytecode is written
(no ``__pycache__`` beside it), and a ``sys.exit()`` it calls is a :class:`SpecError`, not
the end of overfitdoc.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import re
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

DEFAULT_EPOCHS = 20
DEFAULT_BATCH_SIZE = 32
DEFAULT_LR = 1e-3
CAPACITY_KEYWORDS = ("width", "scale")


class SpecError(InputError):
    """The spec file is missing something or returns the wrong thing (one line, exit 2)."""


@dataclass
class Spec:
    """What the user's file defines, checked for presence and type (not yet called)."""

    source: str  # the path as given
    model_fn: Callable[..., Any]
    data_fn: Callable[[], Any]
    loss: Any = None
    optimizer_fn: Callable | None = None
    epochs: int | None = None
    batch_size: int | None = None
    metrics: dict[str, Callable] | None = None
    capacity_keyword: str | None = None  # "width" or "scale" when model() accepts one
    capacity_default: Any = None  # that keyword's default value

    def fail(self, reason: str) -> SpecError:
        return SpecError(self.source, reason)


def exit_call(e: SystemExit) -> str:
    """How the spec called ``sys.exit``, as it would be written: ``sys.exit(2)``."""
    if e.code is None:
        return "sys.exit()"
    text = repr(e.code)
    text = text.splitlines()[0] if text else text
    return f"sys.exit({text if len(text) <= 60 else text[:57] + '...'})"


@contextlib.contextmanager
def spec_environment(path: str):
    """While the spec is imported and run: ``sys.argv`` is ``[path]`` and no bytecode is
    written (both restored afterwards)."""
    argv, no_bytecode = sys.argv, sys.dont_write_bytecode
    sys.argv, sys.dont_write_bytecode = [path], True
    try:
        yield
    finally:
        sys.argv, sys.dont_write_bytecode = argv, no_bytecode


def load_spec(path: str) -> Spec:
    """Import the spec file and check what it defines. Raises :class:`SpecError`."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(path, "no such file (the spec is a Python file defining model() and data())")
    if p.suffix != ".py":
        raise SpecError(path, "the spec must be a Python file (.py) defining model() and data()")
    module = _import(p, path)
    model_fn = getattr(module, "model", None)
    data_fn = getattr(module, "data", None)
    if model_fn is None or data_fn is None:
        missing = " and ".join(n for n, f in (("model()", model_fn), ("data()", data_fn)) if f is None)
        raise SpecError(
            path,
            f"defines no {missing}; add `def model(): return <torch.nn.Module>` and "
            f"`def data(): return (x_train, y_train), (x_val, y_val)`",
        )
    for name, fn in (("model", model_fn), ("data", data_fn)):
        if not callable(fn):
            raise SpecError(path, f"`{name}` must be a function (def {name}(): ...), not a {type(fn).__name__}")
    spec = Spec(source=path, model_fn=model_fn, data_fn=data_fn)
    spec.loss = getattr(module, "loss", None)
    if spec.loss is not None and not callable(spec.loss):
        raise spec.fail(
            f"`loss` must be a loss module or function loss(outputs, targets), not a {type(spec.loss).__name__}"
        )
    opt = getattr(module, "optimizer", None)
    if opt is not None and not callable(opt):
        raise spec.fail("`optimizer` must be a function optimizer(params) returning a torch.optim.Optimizer")
    spec.optimizer_fn = opt
    spec.epochs = _positive_int(spec, module, "epochs")
    spec.batch_size = _positive_int(spec, module, "batch_size")
    spec.metrics = _metrics(spec, getattr(module, "metrics", None))
    spec.capacity_keyword, spec.capacity_default = _capacity(model_fn)
    return spec


def _import(p: Path, source: str):
    name = f"overfitdoc_spec_{re.sub(r'[^0-9a-zA-Z_]', '_', p.stem)}_{zlib.crc32(str(p.resolve()).encode()):08x}"
    loader_spec = importlib.util.spec_from_file_location(name, p)
    if loader_spec is None or loader_spec.loader is None:
        raise SpecError(source, "cannot be imported as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module  # dataclasses and pickling in the spec look themselves up here
    folder = str(p.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)  # the spec may import modules next to it
    no_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ beside the user's spec (nor its neighbours)
    try:
        loader_spec.loader.exec_module(module)
    except SystemExit as e:
        sys.modules.pop(name, None)
        raise SpecError(source, f"the spec called {exit_call(e)} while loading") from None
    except SyntaxError as e:
        sys.modules.pop(name, None)
        raise SpecError(source, f"syntax error at line {e.lineno}: {e.msg}") from None
    except Exception as e:  # noqa: BLE001 - any error in the user's file is reported in one line
        sys.modules.pop(name, None)
        raise SpecError(source, f"raised {type(e).__name__} while loading: {_first_line(e)}") from None
    finally:
        sys.dont_write_bytecode = no_bytecode
        if added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
    return module


def _positive_int(spec: Spec, module, name: str) -> int | None:
    v = getattr(module, name, None)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise spec.fail(f"`{name}` must be a positive integer, not {v!r}")
    return v


def _metrics(spec: Spec, m) -> dict[str, Callable] | None:
    if m is None:
        return None
    if callable(m) and not isinstance(m, dict):
        m = [m]
    if isinstance(m, (list, tuple)):
        m = {getattr(f, "__name__", f"metric{i}"): f for i, f in enumerate(m)}
    if not isinstance(m, dict) or not all(isinstance(k, str) and callable(f) for k, f in m.items()):
        raise spec.fail(
            "`metrics` must map names to functions fn(outputs, targets) -> number, e.g. {'accuracy': accuracy}"
        )
    for k in m:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", k) or k in ("loss", "epoch", "learning_rate"):
            raise spec.fail(f"metric name {k!r} cannot be a history column; use letters, digits and _ (not loss/epoch)")
    return dict(m)


def _capacity(model_fn) -> tuple[str | None, Any]:
    try:
        params = inspect.signature(model_fn).parameters
    except (TypeError, ValueError):
        return None, None
    for kw in CAPACITY_KEYWORDS:
        if kw in params and params[kw].kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            default = params[kw].default
            return kw, None if default is inspect.Parameter.empty else default
    return None, None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
