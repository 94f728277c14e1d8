"""Snippets in the text report paste: at 60 columns, piped or on a terminal, every fix is
printed whole (never word-wrapped, comments never split onto uncommented lines), so each one
parses; ``explain`` renders Markdown on a terminal and prints it raw when piped; ``--plot``
without matplotlib still prints the report."""

from __future__ import annotations

import ast
import io
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import overfitdoc
from overfitdoc.advice import advise
from overfitdoc.cli import app
from overfitdoc.render.text import print_text
from overfitdoc.report import report, run_report

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "realworld"
LOGS = [
    *sorted((ROOT / "sample_runs").glob("*.csv")),
    REAL / "r001_keras_csvlogger.csv",
    REAL / "r003_keras_csvlogger.log",
    REAL / "r015_dict_lists_json.json",
    REAL / "r028_hf_trainer_state.json",
    REAL / "r031_hf_trainer_state.json",  # by steps: the fix evaluates every N steps
    REAL / "r032_hf_trainer_state_crlf.json",
    REAL / "r033_hf_trainer_state_multieval.json",
    REAL / "r045_yolo_det_v8.csv",
    REAL / "r046_yolo_det_v11.csv",
    REAL / "r048_yolo_cls.csv",
    REAL / "r040_pl_metrics.csv",
]
FRAMEWORKS = [None, "keras", "pytorch", "lightning", "hf", "ultralytics"]


def snippets(text: str) -> list[tuple[str, str]]:
    """(heading, code) of every ``Fix for #1 in X:`` block of a text report."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("Fix for #1 in "):
            head, i, block = lines[i], i + 1, []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i])
                i += 1
            out.append((head, textwrap.dedent("\n".join(block))))
        else:
            i += 1
    return out


def render(path: Path, framework: str | None, terminal: bool) -> str:
    d = overfitdoc.diagnose(str(path))
    rep = report([run_report(d, advise(d, context={"framework": framework}))])
    buf = io.StringIO()
    console = Console(file=buf, width=60, force_terminal=terminal, color_system=None, soft_wrap=False, highlight=False)
    print_text(rep, {0: d}, console)
    return buf.getvalue()


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
@pytest.mark.parametrize("path", LOGS, ids=lambda p: p.name)
def test_snippets_at_60_columns_parse(path, terminal):
    seen = 0
    for framework in FRAMEWORKS:
        text = render(path, framework, terminal)
        for head, code in snippets(text):
            seen += 1
            try:
                ast.parse(code)
            except SyntaxError as e:  # pragma: no cover - the message is the point
                pytest.fail(f"{path.name} {framework} {head}: {e}\n{code}")
            for line in code.splitlines():  # a wrapped comment would leave a bare words line
                assert not line.startswith(("restore_best_weights", "batch_size=")), line
    assert seen, "no snippet was rendered"


def test_snippet_lines_are_longer_than_the_console_when_they_must_be():
    text = render(REAL / "r028_hf_trainer_state.json", "keras", terminal=False)
    longest = max(len(ln) for _, code in snippets(text) for ln in code.splitlines())
    assert longest > 60  # printed whole, not cut at the width


runner = CliRunner()


def test_explain_piped_is_raw_markdown_without_repository_links():
    r = runner.invoke(app, ["explain", "early-stopping"], catch_exceptions=False)
    assert r.exit_code == 0
    assert r.stdout.startswith("# early-stopping: ")
    assert "```python" in r.stdout
    assert ".md#" not in r.stdout and "](" not in r.stdout
    assert "- `model`: " in r.stdout  # the names the snippets use, said on the page


def test_explain_on_a_terminal_renders_markdown():
    from overfitdoc.commands.explain import show_markdown

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    show_markdown("# Title\n\nSome `code` here.\n\n```python\nx = 1\n```\n", stream=out)
    text = out.getvalue()
    assert "# Title" not in text and "```" not in text
    assert "Title" in text and "x = 1" in text


def test_plot_without_matplotlib_still_prints_the_report(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    r = runner.invoke(
        app, ["diagnose", "sample_runs/overfit.csv", "--plot", str(tmp_path / "c.png")], catch_exceptions=False
    )
    assert r.exit_code == 2  # asked for an image it could not draw
    assert "Verdict:" in r.stdout and "What to try" in r.stdout
    assert "the plot was not drawn" in r.stderr and "matplotlib" in r.stderr
    assert not (tmp_path / "c.png").exists()
