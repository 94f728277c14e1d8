"""Shared test helpers. Golden files are compared byte for byte; regenerate them with
``OVERFITDOC_UPDATE_GOLDEN=1 pytest`` and review the diff before committing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLES = ROOT / "sample_runs"


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    """Every test runs from the repository root, so relative paths in reports are stable."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with ``tests/golden/<name>``; write it when updating."""
    path = GOLDEN / name
    if os.environ.get("OVERFITDOC_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}: run with OVERFITDOC_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (OVERFITDOC_UPDATE_GOLDEN=1 to update)"
