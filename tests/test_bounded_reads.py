"""Every read is bounded: a device is refused in one line instead of read forever, a pipe (a
FIFO, bash's ``<(...)``) is read until its writer closes it and given up when it gives nothing
for a while (one with no writer blocked forever), and the 1 GiB limit counts the bytes
actually read (standard input, a pipe, a file that grows), not the size a file reports."""

from __future__ import annotations

import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from overfitdoc.errors import InputError
from overfitdoc.readers import load_history, registry

from .conftest import ROOT, SAMPLES


def run_cli(*args: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "overfitdoc", *args],
        cwd=ROOT,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, NO_COLOR="1"),
    )


def run_cli_env(args, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "overfitdoc", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, NO_COLOR="1", **env),
    )


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")


@needs_fifo
def test_a_named_pipe_with_no_writer_is_given_up_not_waited_on(tmp_path):
    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    start = time.monotonic()
    p = run_cli_env(["diagnose", str(fifo)], {"OVERFITDOC_PIPE_TIMEOUT": "1"})  # blocked forever in open() once
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"Error: {fifo}: a pipe that gave no data for 1 s (is anything writing to it?)"
    ]
    assert time.monotonic() - start < 30


def write_slowly(target, data: bytes, pieces: int = 4, pause: float = 0.2, stall: float = 0.0) -> threading.Thread:
    """A writer that opens ``target`` (a FIFO's path, or a pipe's write descriptor) and writes
    ``data`` in ``pieces``, pausing between them, then stalls ``stall`` s before closing."""

    def run():
        fd = os.open(target, os.O_WRONLY) if not isinstance(target, int) else target
        try:
            step = -(-len(data) // pieces)
            for i in range(0, len(data), step):
                time.sleep(pause)
                os.write(fd, data[i : i + step])
            time.sleep(stall)
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@needs_fifo
def test_a_named_pipe_with_a_writer_is_read_like_the_file(tmp_path):
    fifo = tmp_path / "train.csv"
    os.mkfifo(fifo)
    data = (SAMPLES / "overfit.csv").read_bytes()
    writer = write_slowly(str(fifo), data)
    h = load_history(str(fifo))
    writer.join(10)
    want = load_history(SAMPLES / "overfit.csv")
    assert list(h.index) == list(want.index)
    assert {k: list(v) for k, v in h.columns.items()} == {k: list(v) for k, v in want.columns.items()}


@pytest.mark.skipif(not Path("/dev/fd").exists() or not shutil.which("bash"), reason="no /dev/fd or bash")
def test_process_substitution_is_read():
    # bash's <(...) is /dev/fd/63, a pipe on Linux: refused as "not a regular file" before
    cmd = f"{shlex.quote(sys.executable)} -m overfitdoc diagnose <(cat sample_runs/overfit.csv) -f json"
    p = subprocess.run(
        ["bash", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=60, env=dict(os.environ, NO_COLOR="1")
    )
    assert p.returncode == 0, p.stderr
    run = json.loads(p.stdout)["runs"][0]
    assert run["source"].startswith("/dev/fd/") and run["verdict"] == "overfitting"


def read_a_pipe(data: bytes, **writer) -> bytes:
    """What registry.read_pipe returns (or raises) on a pipe that ``write_slowly`` feeds."""
    r, w = os.pipe()
    thread = write_slowly(w, data, **writer)
    try:
        return registry.read_pipe(r, "p")
    finally:
        os.close(r)
        thread.join(10)


def test_a_pipe_is_read_to_the_limit_and_no_further(monkeypatch):
    monkeypatch.setattr(registry, "MAX_BYTES", 1000)
    with pytest.raises(InputError, match=r"^p: more than 1 GiB \(the limit\) to read$"):
        read_a_pipe(b"x" * 5000, pieces=5, pause=0.01)
    assert read_a_pipe(b"y" * 1000, pieces=3, pause=0.01) == b"y" * 1000


def test_a_writer_that_stalls_is_given_up(monkeypatch):
    monkeypatch.setenv("OVERFITDOC_PIPE_TIMEOUT", "0.5")
    with pytest.raises(InputError, match=r"^p: a pipe that gave no data after 11 bytes for 0.5 s"):
        read_a_pipe(b"epoch,loss\n", pieces=1, pause=0, stall=3)


def test_the_pipe_timeout_setting(monkeypatch):
    for value, want in (
        ("2.5", 2.5),
        ("0", registry.PIPE_IDLE_S),
        ("-1", registry.PIPE_IDLE_S),
        ("x", registry.PIPE_IDLE_S),
        ("inf", registry.PIPE_IDLE_S),
    ):
        monkeypatch.setenv("OVERFITDOC_PIPE_TIMEOUT", value)
        assert registry.pipe_idle_seconds() == want
    monkeypatch.delenv("OVERFITDOC_PIPE_TIMEOUT")
    assert registry.pipe_idle_seconds() == registry.PIPE_IDLE_S == 30


def test_a_fifo_inside_a_directory_is_passed_over_not_waited_on(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes")
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "a.csv")
    os.mkfifo(tmp_path / "b.csv")
    p = run_cli_env(["diagnose", str(tmp_path), "-f", "json"], {}, timeout=20)
    assert p.returncode == 0, p.stderr
    assert [r["source"] for r in json.loads(p.stdout)["runs"]] == [str(tmp_path / "a.csv")]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_not_read_to_the_limit():
    p = run_cli("diagnose", "/dev/zero")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "Error: /dev/zero: not a regular file (a character device); give a file, a pipe, or - to read standard input"
    ]


def test_standard_input_is_still_read():
    with (SAMPLES / "overfit.csv").open("rb") as f:
        p = run_cli("diagnose", "-", "--format", "json", stdin=f)
    assert p.returncode == 0, p.stderr
    assert '"verdict": "overfitting"' in p.stdout


class Endless(io.RawIOBase):
    """A stream of zeros that never ends (what ``/dev/zero`` on standard input is), counting
    the bytes it handed out; past ``stop`` bytes the reader is reading without a limit."""

    def __init__(self, stop: int = 10 << 20) -> None:
        self.given = 0
        self.stop = stop

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        assert self.given < self.stop, "read on past the limit"
        n = min(len(b), 4096)
        b[:n] = bytes(n)
        self.given += n
        return n


def test_endless_standard_input_stops_one_byte_past_the_limit(monkeypatch):
    monkeypatch.setattr(registry, "MAX_BYTES", 100_000)
    monkeypatch.setattr(registry, "READ_CHUNK", 8192)
    raw = Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw)))
    with pytest.raises(InputError, match=r"^-: more than 1 GiB \(the limit\) to read$"):
        load_history("-")
    # BufferedReader reads ahead at most one buffer
    assert 100_001 <= raw.given <= 100_001 + io.DEFAULT_BUFFER_SIZE


def test_standard_input_at_the_limit_is_read(monkeypatch):
    data = (SAMPLES / "overfit.csv").read_bytes()
    monkeypatch.setattr(registry, "MAX_BYTES", len(data))
    monkeypatch.setattr(registry, "READ_CHUNK", 100)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert len(load_history("-")) == 80
    monkeypatch.setattr(registry, "MAX_BYTES", len(data) - 1)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with pytest.raises(InputError, match="more than 1 GiB"):
        load_history("-")


def test_the_limit_counts_bytes_read_not_the_size_reported(monkeypatch):
    # a file that reports 10 bytes (it grew after stat, or a /proc file says 0) is read only
    # to the limit
    monkeypatch.setattr(registry, "MAX_BYTES", 1000)
    stream = io.BytesIO(b"x" * 5000)
    with pytest.raises(InputError, match="^f: more than 1 GiB"):
        registry.read_limited(stream, "f", size_hint=10)
    assert stream.tell() == 1001
    assert registry.read_limited(io.BytesIO(b"y" * 1000), "f", size_hint=0) == b"y" * 1000


def test_the_number_of_series_is_bounded(tmp_path, monkeypatch):
    # linear in the series, but at ~50-100 us each a 200,000-key JSON took 15 s and a
    # 1 GiB one would take an hour: past MAX_COLUMNS a file is refused in one line
    from overfitdoc import history
    from overfitdoc.readers import jsonlike, textlog

    for module in (history, jsonlike, textlog):
        monkeypatch.setattr(module, "MAX_COLUMNS", 50)
    path = tmp_path / "wide.json"
    path.write_text(json.dumps({f"k{i}": [1.0, 2.0] for i in range(51)}))
    with pytest.raises(InputError, match=r"wide.json: 51 keys \(a training history has at most 50 series\)$"):
        load_history(path)
    path.write_text(json.dumps({f"k{i}": [1.0, 2.0] for i in range(50)}))
    assert len(load_history(path).columns) == 50
    path = tmp_path / "train.log"
    path.write_text("".join(f"epoch {e}: " + " ".join(f"k{e}_{i}={i}" for i in range(10)) + "\n" for e in range(6)))
    with pytest.raises(InputError, match="train.log: more than 50 different keys"):
        load_history(path)
    table = {"epoch": [0, 1]} | {f"m{i}": [1.0, 2.0] for i in range(50)}
    with pytest.raises(InputError, match=r"t.csv: 51 series \(a training history has at most 50\)"):
        history.from_table("t.csv", "csv", table)
