"""Outputs are atomic under SIGKILL (issue 16): a writer killed at any moment leaves the old
file or the complete new one, never a part; the hidden temporary file a killed writer leaves
is removed by the next write of that output, and never one whose writer is alive.

The writer is slowed down in a subprocess (``io._write_payload`` replaced by one that writes a
piece, says so in a marker file and sleeps), so the kill lands in the middle of the write."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from overfitdoc import io as io_mod

from .conftest import ROOT, SAMPLES

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or io_mod.fcntl is None, reason="POSIX only")

SLOW = """
import os, sys, time
import overfitdoc.io as io_mod

def slow(fh, payload):
    step = max(1, len(payload) // 8)
    for i in range(0, len(payload), step):
        fh.write(payload[i : i + step])
        fh.flush()
        with open(os.environ["SLOW_MARKER"], "a") as m:
            m.write(f"{i}\\n")
        time.sleep(float(os.environ["SLOW_PAUSE"]))

io_mod._write_payload = slow
from overfitdoc.cli import main
sys.argv = ["overfitdoc", *sys.argv[1:]]
main()
"""

# each output, as (command with OLD or NEW as the input, the output's name)
OUTPUTS = {
    "report": (["diagnose", "{input}", "-f", "json", "-o", "out.json"], "out.json"),
    "plot": (["diagnose", "{input}", "--plot", "out.png", "-o", "report.md", "-f", "markdown"], "out.png"),
    "junit": (["check", "--no-config", "{input}", "--max-gap", "100", "--junit", "out.xml"], "out.xml"),
}


def command(kind: str, source: str) -> list[str]:
    args, _ = OUTPUTS[kind]
    return [a.replace("{input}", source) for a in args]


def env(tmp_path: Path, pause: float = 0.3) -> dict:
    return dict(
        os.environ,
        NO_COLOR="1",
        PYTHONPATH=str(ROOT),
        SLOW_MARKER=str(tmp_path / "marker"),
        SLOW_PAUSE=str(pause),
        MPLBACKEND="Agg",
    )


def run(tmp_path: Path, args: list[str], slow: bool = False, **kw) -> subprocess.Popen:
    prog = [sys.executable, "-c", SLOW] if slow else [sys.executable, "-m", "overfitdoc"]
    return subprocess.Popen(
        [*prog, *args],
        cwd=tmp_path,
        env=env(tmp_path, **kw),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(p: subprocess.Popen) -> None:
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err.decode()


def temps(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def wait_for(marker: Path, pieces: int, p: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if marker.exists() and len(marker.read_text().splitlines()) >= pieces:
            return
        assert p.poll() is None, p.stderr.read().decode() if p.stderr else ""
        time.sleep(0.02)
    raise AssertionError("the slow writer never wrote")


@pytest.fixture
def runs(tmp_path):
    shutil.copy(SAMPLES / "good_fit.csv", tmp_path / "old.csv")
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "new.csv")
    return tmp_path


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_killed_mid_write_leaves_the_old_file_then_the_next_write_cleans_up(runs, kind):
    name = OUTPUTS[kind][1]
    out = runs / name
    finish(run(runs, command(kind, "new.csv")))
    new = out.read_bytes()
    finish(run(runs, command(kind, "old.csv")))
    old = out.read_bytes()
    assert old != new

    p = run(runs, command(kind, "new.csv"), slow=True)
    wait_for(runs / "marker", 2, p)  # two pieces of eight written, the writer asleep
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    assert out.read_bytes() == old  # the old file, whole
    (left,) = temps(runs, name)  # and the killed writer's temporary file
    assert 0 < left.stat().st_size < len(new)

    finish(run(runs, command(kind, "new.csv")))
    assert out.read_bytes() == new
    assert temps(runs, name) == []  # the next write of that output removed it


def test_killed_at_any_moment_old_or_complete_new(runs):
    # kills spread over the whole command (start-up, reading, rendering, writing, renaming)
    out = runs / "out.json"
    finish(run(runs, command("report", "new.csv")))
    new = out.read_bytes()
    start = time.monotonic()
    finish(run(runs, command("report", "old.csv"), slow=True, pause=0.05))
    whole = time.monotonic() - start
    old = out.read_bytes()
    seen = set()
    for k in range(1, 6):
        out.write_bytes(old)
        (runs / "marker").unlink(missing_ok=True)
        p = run(runs, command("report", "new.csv"), slow=True, pause=0.05)
        time.sleep(whole * k / 5)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        got = out.read_bytes()
        assert got in (old, new), f"kill at {k}/5 of {whole:.1f} s: a partial file"
        seen.add("old" if got == old else "new")
    assert "old" in seen  # (the last kills may land after the rename: new, complete)


def test_a_temp_whose_writer_is_alive_is_kept(tmp_path):
    # a write in progress holds the lock on its temporary file: another write of the same
    # output leaves it alone; once that writer is gone (its lock released), it is removed
    import fcntl

    stale = tmp_path / ".out.json.abcd1234.tmp"
    stale.write_bytes(b"half")
    live = tmp_path / ".out.json.live_567.tmp"
    live.write_bytes(b"writing")
    other = tmp_path / ".out.json.x.abcd1234.tmp"  # another output's (out.json.x), never touched
    other.write_bytes(b"x")
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        io_mod.atomic_write(tmp_path / "out.json", "{}")
        assert not stale.exists() and live.exists() and other.exists()
        assert (tmp_path / "out.json").read_text() == "{}"
    finally:
        os.close(holder)
    io_mod.atomic_write(tmp_path / "out.json", "{}")
    assert not live.exists() and other.exists()


def test_a_temp_removed_before_its_writer_locked_it_is_replaced(tmp_path, monkeypatch):
    # the instant between mkstemp and flock: a cleaner may take the unlocked file; the writer
    # sees its name gone once it holds the lock and makes another
    import tempfile

    real = tempfile.mkstemp
    calls = []

    def mkstemp(*a, **kw):
        fd, path = real(*a, **kw)
        calls.append(path)
        if len(calls) == 1:
            os.unlink(path)  # what a cleaner in another process would do
        return fd, path

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    io_mod.atomic_write(tmp_path / "out.txt", "hello")
    assert (tmp_path / "out.txt").read_text() == "hello"
    assert len(calls) == 2 and not any(Path(c).exists() for c in calls)


def test_concurrent_writers_of_one_output_never_remove_each_others_files(tmp_path):
    errors = []

    def write(k):
        try:
            for _ in range(30):
                io_mod.atomic_write(tmp_path / "out.txt", f"{k}\n" * 2000)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    text = (tmp_path / "out.txt").read_text()
    assert len(set(text.split())) == 1 and len(text.split()) == 2000
    assert temps(tmp_path, "out.txt") == []
