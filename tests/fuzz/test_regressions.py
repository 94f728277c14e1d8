"""Inputs the fuzz campaign found failing, kept as files: each goes through the whole fuzz
pipeline (read, diagnose, advise, report, every renderer, the plot) and must load or raise
InputError, with no numpy or other warning on the way, within the fuzz case budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import CASE_BUDGET_S, check_in_process
from .mutate import Case

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.*"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_regression_input_is_read_or_refused_in_one_line(path, tmp_path):
    case = Case(0, 0, path.name, str(path), (), path.read_bytes())
    out = check_in_process(case, str(tmp_path), plot=True)
    assert out.kind in ("ok", "input-error"), out.detail
    assert out.cpu < CASE_BUDGET_S
