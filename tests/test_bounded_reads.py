"""Every read is bounded: a named pipe or a device is refused in one line instead of blocking
or reading forever, and the 1 GiB limit counts the bytes actually read (standard input,
``/dev/zero``, a file that grows), not the size a file reports."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
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


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_named_pipe_with_no_writer_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    p = run_cli("diagnose", str(fifo))  # blocked forever in open() before
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"Error: {fifo}: not a regular file (a named pipe); give a file, or - to read standard input"
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_not_read_to_the_limit():
    p = run_cli("diagnose", "/dev/zero")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "Error: /dev/zero: not a regular file (a character device); give a file, or - to read standard input"
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
