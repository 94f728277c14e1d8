"""The rules: one module per rule, each defining one :class:`~overfitdoc.advice.base.Rule`
subclass. Adding a rule is adding a module here; the registry finds it, and its page in
``docs/rules/`` is generated from it (``python -m overfitdoc.advice.docs``)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..base import Rule


@cache
def load_rules() -> tuple[Rule, ...]:
    """One instance of every rule, in the order of their modules' names (deterministic)."""
    found: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Rule)
                and obj is not Rule
                and obj.__module__ == module.__name__
            ):
                if obj.id in found:
                    raise RuntimeError(f"two rules with the id '{obj.id}'")
                found[obj.id] = obj()
    return tuple(found[k] for k in sorted(found))
