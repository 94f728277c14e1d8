"""Configuration of ``overfitdoc check``, loaded into the command's defaults so that options
given on the command line always win (black).

Where it comes from (ruff's rules):

* ``--config FILE``: a ``pyproject.toml`` (read from its ``[tool.overfitdoc.check]`` table)
  or any other TOML file, such as ``overfitdoc.toml``, whose top level mirrors
  ``[tool.overfitdoc]``: the same keys go in its ``[check]`` table.
* otherwise the nearest configuration found walking up from the current directory: in each
  directory ``overfitdoc.toml`` if there is one, else ``pyproject.toml`` if it has a
  ``[tool.overfitdoc]`` table (a ``pyproject.toml`` without one is passed over, as ruff passes
  over one without ``[tool.ruff]``). The first found is the only one read; one whose
  ``[tool.overfitdoc]`` has no ``check`` table configures no gates.
* ``--no-config``: none.

Keys are the option names with underscores or dashes (``max_gap`` or ``max-gap``); an
unknown key is an error that names it. Paths (``baseline``, ``junit``) are relative to the
folder of the file they are written in.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .gates import GATES, Tolerance, check_number, parse_fraction

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as tomllib
    except ModuleNotFoundError:
        tomllib = None

PYPROJECT = "pyproject.toml"
STANDALONE = "overfitdoc.toml"


def _text(value, label):
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{label} must be a non-empty string, not {value!r}")
    return value


def _mode(value, label):
    if value not in ("min", "max"):
        raise UsageError(f"{label} must be 'min' or 'max', not {value!r}")
    return value


def _positive_count(value, label):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{label} must be a whole number, 1 or more, not {value!r}")
    return value


def _fraction(value, label):
    return parse_fraction(value, label)


def _tolerance(value, label):
    return Tolerance.parse(value, label)


#: every configuration key: (what it takes, the parser that checks it)
KEYS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    **{g.key: (g.option.takes, g.option.parse_config) for g in GATES if g.option is not None},
    "baseline": ("path", _text),
    "tolerance": ("number or percentage", _tolerance),
    "monitor": ("metric name", _text),
    "mode": ("min or max", _mode),
    "target": ("number", check_number),
    "val_size": ("whole number, 1 or more", _positive_count),
    "input_format": ("format name", _text),
    "junit": ("path", _text),
}
PATH_KEYS = ("baseline", "junit")


@dataclass(frozen=True)
class Config:
    """The configuration in force: where it came from (None: nowhere) and its checked values."""

    path: Path | None = None
    values: dict = field(default_factory=dict)


def table_name(path: Path) -> str:
    return "[tool.overfitdoc.check]" if path.name == PYPROJECT else "[check]"


def read_toml(path: Path) -> dict:
    if tomllib is None:  # pragma: no cover - Python 3.10 without tomli
        raise UsageError(f"{path}: reading configuration needs Python 3.11+ or the tomli package")
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as e:
        raise UsageError(f"cannot read configuration {path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{display_path(path)}: not valid TOML: {e}") from None


def _section(path: Path, data: dict) -> dict | None:
    """The overfitdoc table of a parsed file: ``[tool.overfitdoc]`` of a pyproject.toml, the
    whole of any other file; None when a pyproject.toml has none."""
    if path.name == PYPROJECT:
        tool = data.get("tool")
        section = tool.get("overfitdoc") if isinstance(tool, dict) else None
        return section if isinstance(section, dict) else None
    return data


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start`` (see the module's docstring)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        standalone = folder / STANDALONE
        if standalone.is_file():
            return standalone
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _section(pyproject, read_toml(pyproject)) is not None:
            return pyproject
    return None


def load_config(path: Path, *, explicit: bool = False) -> Config:
    """Read and check the ``check`` table of ``path``. ``explicit`` (``--config``): a file
    without the table is an error rather than an empty configuration."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"configuration file {path} does not exist")
    section = _section(path, read_toml(path))
    shown = display_path(path)
    where = f"{shown}: {table_name(path)}"
    stray = [k for k, v in (section or {}).items() if not isinstance(v, dict)]
    if stray:
        # ruff-style mirror: overfitdoc.toml's top level is [tool.overfitdoc], not the check table
        parent = "[tool.overfitdoc]" if path.name == PYPROJECT else "the top level"
        hint = f"; check settings go in {table_name(path)}" if _canonical(stray[0]) in KEYS else ""
        raise UsageError(f"{shown}: unknown key '{stray[0]}' in {parent}{hint}")
    if section is None or "check" not in section:
        if explicit:
            raise UsageError(f"{shown} has no {table_name(path)} table")
        section = {"check": {}}
    table = section["check"]
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    values: dict = {}
    for key, value in table.items():
        canonical = _canonical(key)
        if canonical not in KEYS:
            close = difflib.get_close_matches(canonical, list(KEYS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (valid keys: {', '.join(KEYS)})"
            raise UsageError(f"{where} unknown key '{key}'{hint}")
        if canonical in values:
            raise UsageError(f"{where} '{key}' is set twice (as {canonical} and {canonical.replace('_', '-')})")
        values[canonical] = KEYS[canonical][1](value, f"{where} {key}")
        if canonical in PATH_KEYS:
            values[canonical] = _relative_to_file(path, value)
    return Config(path, values)


def resolve_config(config: str | None, no_config: bool, cwd: Path | None = None) -> Config:
    """The configuration in force for ``--config`` / ``--no-config`` / discovery from ``cwd``."""
    if config and no_config:
        raise UsageError("--config and --no-config cannot be used together")
    if no_config:
        return Config()
    if config:
        return load_config(Path(config), explicit=True)
    found = find_config(cwd or Path.cwd())
    return load_config(found) if found else Config()


def _relative_to_file(config: Path, value: str) -> str:
    """A path written in ``config``, as a path from the current directory."""
    if Path(value).is_absolute():
        return value
    return os.path.relpath(config.parent.resolve() / value)


def _canonical(key: str) -> str:
    return str(key).replace("-", "_")


def merge(config: dict, cli: dict) -> dict:
    """Command-line values over configured ones; ``min_val``/``max_val`` merge metric by metric
    (``--min-val val_accuracy=0.95`` tightens that metric and keeps the others)."""
    out = dict(config)
    for key, value in cli.items():
        if value is None:
            continue
        if key in ("min_val", "max_val"):
            out[key] = {**config.get(key, {}), **value}
        else:
            out[key] = value
    return out


def display_path(path: Path | None) -> str:
    """A config path as shown to the user: relative to the current directory (``pyproject.toml``,
    ``../pyproject.toml``), absolute only where no relative path exists (another drive)."""
    if path is None:
        return ""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - Windows, another drive
        return str(path)
