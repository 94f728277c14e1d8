"""The reader registry and format detection: :func:`reader` registers a reader function,
:func:`read_input` tries the registered readers in order of their ``priority`` (most
specific first) and the first that accepts the content wins.

The readers register when :mod:`overfitdoc.readers` imports their modules, which it does
before anything here can be called: importing this module imports the package first.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import InputError, PermissionDenied
from ..history import History
from ..naming import normalising_once

MAX_BYTES = 1 << 30  # 1 GiB: past that a "history" is not one
#: what every JSON document overfitdoc writes holds (its reports, check's, rerun's summary.json)
OWN_MARK = re.compile(r'"tool"\s*:\s*\{\s*"name"\s*:\s*"overfitdoc"')


class NotThisFormat(Exception):
    """Raised by a reader whose format the content is not; detection moves on."""


@dataclass(frozen=True)
class Reader:
    name: str
    description: str
    read: Callable[[Input], History]
    priority: int = 50
    directories: bool = False
    binary: bool = False


READERS: dict[str, Reader] = {}


def reader(name: str, description: str, *, priority: int = 50, directories: bool = False, binary: bool = False):
    """Register a reader function under a format name (lower priority is tried first)."""

    def register(fn: Callable[[Input], History]):
        READERS[name] = Reader(name, description, fn, priority, directories, binary)
        return fn

    return register


@dataclass
class Input:
    """One input as given by the user: its source name, its path (None for stdin), its bytes."""

    source: str
    path: Path | None
    data: bytes = b""
    is_dir: bool = False
    _cache: dict = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        """The content decoded (UTF-8, or UTF-16 after its byte-order mark), without any
        byte-order mark left at its start: a file written with two (a UTF-16 BOM, then the
        text's own) kept one, glued to the first header name (fuzz seed 16 case 2819)."""
        return self._decoded().lstrip("\ufeff")

    def _decoded(self) -> str:
        raw = self.data
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            # UTF-16 with a byte-order mark: what PowerShell's `>` writes
            try:
                return raw.decode("utf-16")
            except UnicodeDecodeError:
                raise InputError(self.source, "not valid UTF-16 text despite its byte-order mark") from None
        if b"\x00" in raw[:65536]:
            raise InputError(self.source, "binary data, not a text training log")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(self.source, f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})") from None

    @cached_property
    def stripped(self) -> str:
        return self.text.strip()

    def json(self):
        """The content parsed as one JSON document (cached); NotThisFormat when it is not."""
        if "json" not in self._cache:
            s = self.stripped
            if not s or s[0] not in "[{":
                self._cache["json"] = NotThisFormat("not a JSON document")
            else:
                try:
                    self._cache["json"] = json.loads(s)
                except RecursionError:
                    self._cache["json"] = InputError(self.source, "JSON nested too deeply")
                except json.JSONDecodeError as e:
                    self._cache["json"] = NotThisFormat(f"malformed JSON ({e.msg} at line {e.lineno} column {e.colno})")
                except ValueError as e:  # a number too long for int(), and other decoder refusals without a position
                    self._cache["json"] = NotThisFormat(f"malformed JSON ({e})")
        got = self._cache["json"]
        if isinstance(got, Exception):
            raise got
        return got


READ_CHUNK = 16 << 20


def read_limited(stream, source: str, size_hint: int = 0) -> bytes:
    """Every byte of ``stream`` up to :data:`MAX_BYTES`, counting what is read (a size the
    file reports is only a hint); one byte past the limit is an InputError, not a read on
    to the end of ``/dev/zero``."""
    parts = [stream.read(min(size_hint, MAX_BYTES) + 1)]
    total = len(parts[0])
    while parts[-1] and total <= MAX_BYTES:
        chunk = stream.read(min(READ_CHUNK, MAX_BYTES + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    if total > MAX_BYTES:
        raise InputError(source, "more than 1 GiB (the limit) to read")
    return parts[0] if len(parts) == 1 else b"".join(parts)


PIPE_IDLE_S = 30.0  # a pipe that gives no byte for this long is given up (OVERFITDOC_PIPE_TIMEOUT)


def pipe_idle_seconds() -> float:
    """How long a pipe may give nothing before it is given up: ``OVERFITDOC_PIPE_TIMEOUT``
    seconds when set to a positive number, else :data:`PIPE_IDLE_S`."""
    try:
        got = float(os.environ.get("OVERFITDOC_PIPE_TIMEOUT", ""))
    except ValueError:
        return PIPE_IDLE_S
    return got if got > 0 and math.isfinite(got) else PIPE_IDLE_S


def read_pipe(fd: int, source: str) -> bytes:
    """Every byte of the pipe open (without blocking) on ``fd``, up to :data:`MAX_BYTES`, until
    its writers close it. A pipe that gives no byte for :func:`pipe_idle_seconds` (a FIFO that
    no writer ever opened, a writer that stalls) is an InputError, not a wait forever: a pipe
    is read for a log that exists (``<(zcat log.gz)``), not for a training still running."""
    import select

    idle = pipe_idle_seconds()
    poller = select.poll() if hasattr(select, "poll") else None
    if poller is None:  # no poll (Windows has no FIFOs to name): read as a blocking stream
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as stream:
            return read_limited(stream, source)
    poller.register(fd, select.POLLIN)
    parts: list[bytes] = []
    total = 0
    while True:
        # no event: nothing written and no writer came and went (before any writer opens it
        # a FIFO reads as at its end, so only a read after an event may end it)
        if not poller.poll(idle * 1000):
            got = f"after {total:,} bytes " if total else ""
            raise InputError(source, f"a pipe that gave no data {got}for {idle:g} s (is anything writing to it?)")
        try:
            chunk = os.read(fd, min(READ_CHUNK, MAX_BYTES + 1 - total))
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            raise InputError(source, "more than 1 GiB (the limit) to read")


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int, pipes: bool = False) -> str | None:
    """Why a file of this mode is not read (None for a regular file, or a pipe with ``pipes``)."""
    if stat.S_ISREG(mode) or (pipes and stat.S_ISFIFO(mode)):
        return None
    kind = next((what for test, what in _NOT_REGULAR if test(mode)), "not a file")
    return f"not a regular file ({kind}); give a file, a pipe, or - to read standard input"


def open_input(source: str) -> Input:
    """Read the bytes of a path, or of standard input for ``-``, with one-line errors.

    Regular files are read, and pipes named as the input: a FIFO, or the ``/dev/fd/N`` of
    ``overfitdoc diagnose <(zcat log.csv.gz)`` (see :func:`read_pipe`: a pipe with no writer
    is given up after :func:`pipe_idle_seconds`). A device such as ``/dev/zero``, which never
    ends, or a socket is refused. The file is opened without blocking and checked on its
    descriptor, so a path swapped for something else meanwhile is judged as what it is.
    Standard input is read up to the same limit, counted in bytes read."""
    if source == "-":
        return Input(source, None, read_limited(sys.stdin.buffer, source))
    path = Path(source)
    try:
        if not path.exists():
            raise InputError(source, "no such file")
        if path.is_dir():
            return Input(source, path, is_dir=True)
        return Input(source, path, read_path(path, source, pipes=True))
    except PermissionError as e:
        raise denied(source, e.filename) from None
    except IsADirectoryError:
        return Input(source, path, is_dir=True)
    except OSError as e:
        raise InputError(source, f"cannot read ({e.strerror or e})") from None


def read_path(path: Path, source: str, pipes: bool = False) -> bytes:
    """The bytes of the regular file ``path`` (or, with ``pipes``, of a pipe: see
    :func:`read_pipe`), bounded (see :func:`open_input`); an InputError naming ``source`` for
    another kind of file or one past the limit, OSError as it comes. Only a pipe the user
    named is read: one met inside a directory is refused, never waited on."""
    why = _not_regular(path.stat().st_mode, pipes)
    if why:
        raise InputError(source, why)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        why = _not_regular(st.st_mode, pipes)
        if why:
            raise InputError(source, why)
        if stat.S_ISFIFO(st.st_mode):
            return read_pipe(fd, source)
        if st.st_size > MAX_BYTES:
            raise InputError(source, f"file too large ({st.st_size / 2**30:.1f} GiB; the limit is 1 GiB)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return read_limited(f, source, st.st_size)


def formats() -> list[Reader]:
    """Every registered reader, in detection order."""
    return sorted(READERS.values(), key=lambda r: (r.priority, r.name))


@np.errstate(all="ignore")  # an overflow or NaN in the data is the data's, reported as such
@normalising_once()
def read_input(inp: Input, input_format: str | None = None) -> History:
    """Detect the format of ``inp`` (or use ``input_format``) and read it.

    A file or folder that may not be read, the input or one inside it (a TensorBoard run's
    ``validation/``, a log in a directory), is :class:`~overfitdoc.errors.PermissionDenied`
    for the input, naming what could not be read."""
    try:
        return _read_input(inp, input_format)
    except PermissionDenied as e:
        if e.source == inp.source:
            raise
        raise denied(inp.source, e.path or e.source) from None
    except PermissionError as e:
        raise denied(inp.source, e.filename) from None


def denied(source: str, filename) -> PermissionDenied:
    """``source`` may not be read because of ``filename`` (a PermissionError's): named by the
    folder that blocks it, the first from ``source`` down that may not be listed (a file
    looked for inside an unreadable folder is that folder's fault), else by ``filename``."""
    if not filename:
        return PermissionDenied(source)
    path = Path(os.fspath(filename))
    top = len(Path(source).parts)
    blocked = path
    for folder in path.parents:
        if len(folder.parts) < top:
            break
        try:
            with os.scandir(folder):
                pass
        except PermissionError:
            blocked = folder
        except OSError:
            pass
    return PermissionDenied(source, str(blocked))


def _read_input(inp: Input, input_format: str | None = None) -> History:
    if input_format:
        if input_format not in READERS:
            raise InputError(inp.source, f"unknown input format '{input_format}' (known: {', '.join(sorted(READERS))})")
        candidates = [READERS[input_format]]
    else:
        candidates = formats()
    reasons = []
    if inp.is_dir:
        candidates = [r for r in candidates if r.directories]
        if not candidates:
            raise InputError(
                inp.source,
                "is a directory, not a training log"
                if not input_format
                else f"is a directory; the {input_format} reader reads files",
            )
    else:
        if input_format and not [r for r in candidates if not r.directories]:
            raise InputError(inp.source, f"the {input_format} reader reads directories, and this is a file")
        candidates = [r for r in candidates if not r.directories]
        if not inp.data.strip():
            raise InputError(inp.source, "empty file")
        for r in [r for r in candidates if r.binary]:  # binary formats first (TensorBoard events)
            try:
                return r.read(inp)
            except NotThisFormat as e:
                reasons.append(f"{r.name}: {e}")
        candidates = [r for r in candidates if not r.binary]
        _ = inp.text  # binary and encoding errors first, whatever the text reader
        own = own_output(inp)
        if own:
            raise InputError(inp.source, f"{own} (overfitdoc's own output), not a training log")
    for r in candidates:
        try:
            return r.read(inp)
        except NotThisFormat as e:
            reasons.append(f"{r.name}: {e}")
    if input_format:
        why = reasons[0].split(": ", 1)[1] if reasons else "it did not recognise the content"
        raise InputError(inp.source, f"not a {input_format} file ({why})")
    # the most telling reason: a JSON-looking file that fails to parse says so
    json_reason = next((r for r in reasons if "malformed JSON" in r), None)
    supported = ", ".join(r.name for r in formats())
    detail = json_reason.split(": ", 1)[1] if json_reason else "no reader recognised the content"
    raise InputError(inp.source, f"{detail}; supported formats: {supported}")


def looks_own(head: str) -> bool:
    """The first characters of a file hold the mark of overfitdoc's JSON outputs."""
    return head.lstrip("\ufeff \t\r\n").startswith("{") and OWN_MARK.search(head) is not None


def own_output(inp: Input) -> str | None:
    """What ``inp`` is when overfitdoc wrote it, judged by its content, not its name: a JSON
    object whose ``tool`` is ``{"name": "overfitdoc", ...}`` beside a ``schema_version``
    (``diagnose --format json``, ``check --format json``, ``rerun``'s ``summary.json``).
    None for anything else (a training log)."""
    if not looks_own(inp.stripped[:65536]):
        return None
    try:
        doc = inp.json()
    except (NotThisFormat, InputError):
        return None
    if not isinstance(doc, dict) or "schema_version" not in doc:
        return None
    tool = doc.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "overfitdoc":
        return None
    if doc.get("command") == "rerun":
        return "the summary of an overfitdoc rerun"
    return "an overfitdoc report"


def load_history(path: str | os.PathLike, input_format: str | None = None) -> History:
    """Read a training history from a file path (or ``"-"`` for standard input).

    >>> h = load_history("sample_runs/overfit.csv")          # doctest: +SKIP
    >>> h.format, [p.metric for p in h.pairs]                  # doctest: +SKIP
    ('keras-csv', ['accuracy', 'loss'])
    """
    return read_input(open_input(os.fspath(path)), input_format)
