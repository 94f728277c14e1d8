"""README's transcripts are real output: every ``$ overfitdoc ...`` command shown in a console
or text block is run here and its output compared with the README's, line by line.

A line ``...`` (or a line that ends in ``...`` after other text) in the README stands for any
number of lines left out. Commands that train models (``rerun``) or name files that a clone
does not have (``weights.bin``) are not run. ``NO_COLOR=1`` and 100 columns, as the README says.
``python -m tests.test_readme_transcripts`` prints what differs, for updating the README.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SKIP_SUBCOMMANDS = {"rerun"}


@dataclass
class Transcript:
    line: int  # 1-based line of the command in README.md
    command: str
    expected: list[str]


def transcripts(text: str | None = None) -> list[Transcript]:
    lines = (text if text is not None else README.read_text(encoding="utf-8")).splitlines()
    out: list[Transcript] = []
    fence = None
    current: Transcript | None = None
    for no, line in enumerate(lines, 1):
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
            else:
                fence, current = None, None
            continue
        if fence not in ("console", "text"):
            continue
        if line.startswith("$ "):
            current = Transcript(no, line[2:], [])
            out.append(current)
        elif current is not None:
            current.expected.append(line)
    return out


def runnable(t: Transcript) -> bool:
    try:
        argv = shlex.split(t.command)
    except ValueError:
        return False
    if not argv or argv[0] != "overfitdoc" or any(c in t.command for c in "|<"):
        return False
    if len(argv) > 1 and argv[1] in SKIP_SUBCOMMANDS:
        return False
    paths = [a for a in argv[2:] if not a.startswith("-") and ("/" in a or "." in a)]
    return all((ROOT / p).exists() for p in paths if not p.endswith((".png", ".svg", ".txt", ".md", ".xml")))


def run(t: Transcript) -> list[str]:
    """What the command prints: standard error (one-line errors and notes come first in a
    terminal, as rich flushes the report at the end), then standard output unless redirected."""
    argv = shlex.split(t.command)
    redirect = None
    if ">" in argv:
        i = argv.index(">")
        argv, redirect = argv[:i], argv[i + 1]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TERM": "dumb"}
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "overfitdoc", *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return [line.rstrip() for line in proc.stderr.splitlines()] + (
        [] if redirect else [line.rstrip() for line in proc.stdout.splitlines()]
    )


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` with ``...`` lines as wildcards (any run of lines) against ``actual``."""
    pattern = []
    for line in expected:
        stripped = line.strip()
        if stripped == "..." or stripped.endswith(" ..."):
            pattern.append(None)
        else:
            pattern.append(line.rstrip())
    # drop trailing empty lines on both sides
    while pattern and pattern[-1] == "":
        pattern.pop()
    actual = list(actual)
    while actual and actual[-1] == "":
        actual.pop()

    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(actual)
        if pattern[i] is None:
            return any(go(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and actual[j] == pattern[i] and go(i + 1, j + 1)

    return go(0, 0)


CASES = [t for t in transcripts() if runnable(t)]


def test_the_readme_has_transcripts_to_check():
    assert len(CASES) >= 10


@pytest.mark.parametrize("t", CASES, ids=[f"line{t.line}" for t in CASES])
def test_readme_transcript_is_the_real_output(t: Transcript):
    actual = run(t)
    assert matches(t.expected, actual), (
        f"README.md line {t.line}: `{t.command}` prints\n" + "\n".join(actual) + "\n\nnot\n" + "\n".join(t.expected)
    )


def test_wildcard_matching():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "..."], ["a"])
    assert not matches(["a", "d"], ["a", "b", "d"])
    assert not matches(["a", "...", "e"], ["a", "b", "d"])


if __name__ == "__main__":
    for t in CASES:
        actual = run(t)
        if not matches(t.expected, actual):
            print(f"--- README.md line {t.line}: {t.command}")
            print("\n".join(actual))
