"""The user's files never change (issue 16): every file under the user's folder is hashed
(content, mode, modification time) before and after each command, and no file appears there
but the outputs the command was told to write. Commands run from inside that folder, so a
stray write into the working directory (a cache, a bytecode file) is caught too."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from overfitdoc.cli import app

from .conftest import FIXTURES, SAMPLES

runner = CliRunner()


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under ``folder``: its SHA-256, mode and modification time."""
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            p = Path(dirpath) / name
            st = p.stat()
            out[str(p.relative_to(folder))] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode, st.st_mtime_ns)
    return out


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A user's folder: single logs of several formats, a directory of runs (CSV, JSON, a
    TensorBoard run, an MLflow run), a baseline and a configuration; ``out/`` for outputs."""
    home = tmp_path / "project"
    logs = home / "logs"
    logs.mkdir(parents=True)
    for name in ("overfit.csv", "good_fit.json", "unstable.csv"):
        shutil.copy(SAMPLES / name, home / name)
    shutil.copy(SAMPLES / "underfit.csv", logs / "underfit.csv")
    shutil.copy(SAMPLES / "still_improving.json", logs / "still_improving.json")
    shutil.copy(FIXTURES / "realworld" / "r026_text_log.log", logs / "train.log")
    shutil.copytree(FIXTURES / "trainers" / "tensorboard" / "keras", logs / "tb")
    shutil.copytree(FIXTURES / "trainers" / "mlruns", logs / "mlruns")
    shutil.copy(SAMPLES / "good_fit.csv", home / "baseline.csv")
    (home / "overfitdoc.toml").write_text("[check]\nmax_gap = 100\n")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(home)
    return home


OUT = "../out"

COMMANDS = {
    "diagnose": ["diagnose", "overfit.csv"],
    "diagnose json -o": ["diagnose", "overfit.csv", "good_fit.json", "-f", "json", "-o", f"{OUT}/r.json"],
    "diagnose markdown -o --plot": [
        "diagnose",
        "overfit.csv",
        "-f",
        "markdown",
        "-o",
        f"{OUT}/r.md",
        "--plot",
        f"{OUT}/c.png",
    ],
    "diagnose a directory --plot": ["diagnose", "logs", "--plot", f"{OUT}/runs.svg", "-o", f"{OUT}/runs.txt"],
    "diagnose standard input": ["diagnose", "-"],
    "check": ["check", "overfit.csv", "unstable.csv"],
    "check --junit --baseline --config": [
        "check",
        "--config",
        "overfitdoc.toml",
        "overfit.csv",
        "--baseline",
        "baseline.csv",
        "--junit",
        f"{OUT}/j.xml",
    ],
    "check a directory json": [
        "check",
        "--no-config",
        "logs",
        "--max-gap",
        "0.01",
        "-f",
        "json",
        "--junit",
        f"{OUT}/d.xml",
    ],
    "plot": ["plot", "overfit.csv", "-o", f"{OUT}/p.png"],
    "plot a directory --compare": ["plot", "logs", "--compare", "-o", f"{OUT}/cmp.pdf"],
    "plot several": ["plot", "overfit.csv", "unstable.csv", "-o", f"{OUT}/each.png"],
    "explain": ["explain", "early-stopping"],
    "explain --list": ["explain", "--list"],
    "explain --write-docs": ["explain", "--write-docs", f"{OUT}/docs"],
    "formats": ["formats"],
    "bad input": ["diagnose", "overfit.csv", "-o", "overfit.csv"],  # refused: the output is an input
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_never_changes_the_users_files(user, name):
    if "plot" in name:
        pytest.importorskip("matplotlib")
    if "directory" in name:
        pytest.importorskip("tensorboard")
    before = snapshot(user)
    stdin = (user / "overfit.csv").read_text() if "standard input" in name else None
    r = runner.invoke(app, COMMANDS[name], input=stdin)
    assert r.exit_code in (0, 1, 2), r.output
    if name == "bad input":
        assert r.exit_code == 2
    elif name.startswith(("diagnose", "plot", "explain", "formats")):
        assert r.exit_code == 0, r.output
    assert snapshot(user) == before  # nothing changed, nothing added (no cache, no bytecode)
    written = [p for p in COMMANDS[name] if p.startswith(OUT)]
    for p in written:  # (the outputs went where they were told to; several runs: NAME-<run>.png each)
        assert list((user / p).parent.glob(Path(p).stem + "*")), p
