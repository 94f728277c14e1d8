"""PYTHONIOENCODING=ascii: the text report is written in ASCII (no UnicodeEncodeError)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_diagnose_on_an_ascii_stdout_exits_0():
    env = dict(os.environ, PYTHONIOENCODING="ascii", NO_COLOR="1")
    p = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "diagnose", "sample_runs/overfit.csv"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr.decode()
    p.stdout.decode("ascii")
