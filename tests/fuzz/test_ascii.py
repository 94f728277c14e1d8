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


def test_text_an_ascii_console_cannot_hold_is_replaced_not_raised():
    # a cut table cell (rich's "…") and names in other scripts raised UnicodeEncodeError
    import io

    from rich.console import Console

    from overfitdoc.advice import advise
    from overfitdoc.analysis import diagnose
    from overfitdoc.history import from_table
    from overfitdoc.render.text import print_text
    from overfitdoc.report import report, run_report

    n = 30
    h = from_table(
        "прогон_ü.csv",
        "csv",
        {
            "epoch": list(range(n)),
            "loss_é": [1 / (1 + e) for e in range(n)],
            "val_loss_é": [1 / (1 + min(e, 10)) + 0.02 * max(e - 10, 0) for e in range(n)],
        },
    )
    d = diagnose(h)
    rep = report([run_report(d, advise(d, top=3))])
    for width in (100, 40):
        buf = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
        print_text(rep, {0: d}, Console(file=buf, width=width, color_system=None), chart=True)
        buf.flush()
        out = buf.buffer.getvalue().decode("ascii")
        assert "??????_?.csv" in out and "loss_?" in out and "Verdict: OVERFITTING" in out
