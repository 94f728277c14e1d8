"""Writing outputs: always atomically (a temporary file in the same folder, then a rename),
so a reader never sees half a file and a failure never leaves one behind.

A writer killed outright (SIGKILL, a power cut) leaves its temporary file, ``.NAME.XXXXXXXX.tmp``
beside ``NAME``; the final file is the old one, intact. The next write of ``NAME`` removes
those its writers left: each writer holds an exclusive ``flock`` on its temporary file from
just after creating it until it is renamed into place, and the kernel drops the lock when the
process dies, however it dies. A temporary file of that name whose lock can be taken has no
live writer, and only those are removed: a write in progress (another overfitdoc writing the
same output) keeps its lock and its file. A writer checks, once it holds its lock, that its
file is still there under its name (one removed in the instant between its creation and the
lock is replaced by a new one). Where there is no ``flock`` (Windows) or the file system
refuses locks, nothing is removed. Only files of exactly that pattern (the name, a dot, 8 of
``tempfile``'s letters, ``.tmp``) that are regular files the user may open are considered."""

from __future__ import annotations

import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: writes stay atomic; stale temporary files are not cleaned
    fcntl = None  # type: ignore[assignment]

CHUNK = 1 << 20  # payloads are written in pieces of this size


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically; one-line UsageError when the path is bad.

    What is not a regular file is written into, never replaced: a device, a FIFO
    (``-o /dev/null``, ``--junit /dev/stdout``, which renaming would replace, as root, in
    ``/dev``); a symbolic link is followed, the file it names replaced and the link kept."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        try:
            with open(path, "wb") as fh:
                fh.write(payload)
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
        return
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory")
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: folder {folder} does not exist")
    try:
        fd, tmp, locked = _locked_temp(target, folder)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_payload(fh, payload)
            fh.flush()
            os.fsync(fh.fileno())
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode of a new file
            if locked:  # renamed while locked: a cleaner never takes a file about to be renamed
                os.replace(tmp, target)
        if not locked:
            os.replace(tmp, target)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    remove_stale_temps(target)


def _write_payload(fh, payload: bytes) -> None:
    """Write ``payload`` to the open temporary file, a piece at a time (tests slow this down
    to kill a writer half-way)."""
    for start in range(0, len(payload), CHUNK):
        fh.write(payload[start : start + CHUNK])


def _temp_pattern(name: str) -> re.Pattern[str]:
    """The names ``tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp")`` gives: 8 characters
    of its alphabet (lower-case letters, digits, underscore) between them."""
    return re.compile(re.escape(f".{name}.") + r"[a-z0-9_]{8}\.tmp")


def _locked_temp(target: Path, folder: Path) -> tuple[int, str, bool]:
    """A new temporary file beside ``target``: its descriptor, its path, and whether it is
    locked (see the module's documentation). OSError when it cannot be created."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        if fcntl is None:
            return fd, tmp, False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: written all the same, never cleaned
            return fd, tmp, False
        try:
            if os.path.samestat(os.fstat(fd), os.lstat(tmp)):
                return fd, tmp, True
        except FileNotFoundError:
            pass
        os.close(fd)  # a cleaner took it before the lock: make another


def remove_stale_temps(target: str | os.PathLike) -> list[str]:
    """Remove the temporary files that killed writers of ``target`` left beside it (see the
    module's documentation for how a writer is known to be gone); returns their paths. Never
    raises: what cannot be examined or removed is left."""
    if fcntl is None:
        return []
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    pattern = _temp_pattern(target.name)
    removed = []
    try:
        names = [n for n in os.listdir(folder) if pattern.fullmatch(n)]
    except OSError:
        return []
    for name in names:
        stale = os.path.join(folder, name)
        try:
            fd = os.open(stale, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:  # gone, a link, or another user's
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # held: its writer is alive (or no locks here): leave it
                continue
            if os.path.samestat(st, os.lstat(stale)):
                os.unlink(stale)
                removed.append(stale)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def check_writable_folder(folder: str | os.PathLike, label: str) -> None:
    """UsageError ``"<label>: <why>"`` unless a file can be created in ``folder`` (a
    read-only folder or file system): said before the work whose outputs would go there."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".overfitdoc-probe.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"{label}: {e.strerror or e}") from None
    os.close(fd)
    os.unlink(tmp)


def refuse_inputs_as_outputs(
    outputs: Iterable[tuple[str, str | os.PathLike | None]], inputs: Iterable[str | os.PathLike | None]
) -> None:
    """UsageError when an output is one of the inputs: the same path once resolved (links,
    ``..``), or the same file (``os.path.samefile``: a hard link) when both exist. ``-`` as an
    input is standard input: the output may not be the file it was redirected from.

    ``outputs``: ``(option, path)`` pairs (``("--junit", "run.csv")``), a None path unset;
    ``inputs``: the files read, once directories are expanded (an output inside an input
    directory is fine unless it is itself read). Every command's one check, before it writes.
    """
    ins = [os.fspath(p) for p in inputs if p is not None]
    for option, out in outputs:
        if out is None:
            continue
        out = os.fspath(out)
        for inp in ins:
            if _same_file(out, inp):
                shown = "standard input" if inp == "-" else inp
                same = "" if inp == out else f" ({shown})"
                raise UsageError(f"{option} {out}: is one of the inputs{same}; overfitdoc never writes over its inputs")


def _same_file(out: str, inp: str) -> bool:
    try:
        if inp == "-":
            return os.path.samestat(os.fstat(sys.stdin.fileno()), os.stat(out))
        if os.path.realpath(out) == os.path.realpath(inp):
            return True
        return os.path.exists(out) and os.path.exists(inp) and os.path.samefile(out, inp)
    except (OSError, ValueError, AttributeError):  # no such file, no standard input (tests): not the same
        return False


class GuardedStdout:
    """Standard output for the length of a command (``cli.main`` installs it).

    A reader that stopped reading (``overfitdoc check ... | head -n 1``): the rest goes to
    /dev/null (Python's recipe for ``BrokenPipeError``, in the signal module's documentation)
    and the command carries on to its real exit code, where rich and click would exit 1, the
    code of a failed gate. Any other failure to write (a full disk) is a one-line UsageError,
    exit 2; standard output is sent to /dev/null first, so that nothing fails again at exit.
    Everything else is the wrapped stream's."""

    def __init__(self, stream):
        self._stream = stream
        self.broken = False
        self._error: UsageError | None = None

    def write(self, s: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(s)
            except OSError as e:
                self._failed(e)
                if not s:  # click probes a stream with write("") inside ``except Exception``,
                    return 0  # which would swallow the error: the next call raises it
        self._raise()
        return len(s)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except OSError as e:
                self._failed(e)
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def _failed(self, e: OSError) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self._stream.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):  # a stream without a descriptor
            pass
        if not isinstance(e, BrokenPipeError):
            self._error = UsageError(f"cannot write to standard output: {e.strerror or e}")

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old
