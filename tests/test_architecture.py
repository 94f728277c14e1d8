"""Measure once: only the analysis (and the readers that build a History) align a history or
fit trends; every later stage reads the Diagnosis. These tests read the package's source."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "overfitdoc"
MAY_ALIGN = ("analysis", "readers", "history.py")
SMOOTHING = {
    "trend",
    "noise",
    "window_for",
    "running_median3",
    "local_linear",
    "local3",
    "typical_move",
    "noise_share",
    "log_space",
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _outside(rel: Path, allowed: tuple[str, ...]) -> bool:
    return rel.parts[0] not in allowed


def test_only_the_analysis_and_readers_align_a_history():
    calls = [
        f"{rel}:{node.lineno}"
        for rel, tree in _modules()
        if _outside(rel, MAY_ALIGN)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "aligned"
    ]
    assert calls == []


def test_no_module_outside_the_analysis_imports_its_smoothing():
    found = []
    for rel, tree in _modules():
        if not _outside(rel, ("analysis",)):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.split(".")[-1] in ("analysis", "smoothing")
            ):
                bad = [a.name for a in node.names if a.name in SMOOTHING or node.module.endswith("smoothing")]
                if bad:
                    found.append(f"{rel}:{node.lineno} {bad}")
    assert found == []


def test_later_stages_do_not_read_the_history_back_from_the_diagnosis():
    """``Diagnosis.history`` is for API users; advice, renderers, gates and rerun read the
    measurements the Diagnosis carries."""
    reads = [
        f"{rel}:{node.lineno}"
        for rel, tree in _modules()
        if rel.parts[0] in ("advice", "render", "check", "rerun")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "history"
        and isinstance(node.value, ast.Name)
        and node.value.id in ("d", "diagnosis", "self")
    ]
    assert reads == []
