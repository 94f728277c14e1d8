"""Inputs the fuzz campaign found crashing, kept as files: each must load or raise InputError."""

from __future__ import annotations

from pathlib import Path

import pytest

from overfitdoc.api import diagnose
from overfitdoc.errors import InputError

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.*"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_regression_input_is_read_or_refused_in_one_line(path):
    try:
        diagnose(str(path))
    except InputError:
        pass
