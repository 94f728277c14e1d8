"""Writing outputs: always atomically (a temporary file in the same folder, then a rename),
so a reader never sees half a file and a failure never leaves one behind."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError


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
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode of a new file
        os.replace(tmp, target)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


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
