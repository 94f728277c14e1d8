"""Typed errors raised by the library, and the exit codes the CLI maps them to.

The library never prints and never exits; the CLI turns these into one line on stderr and
the exit code below (sqlfluff keeps its exit codes in one place, so do we).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1  # only `check`: a gate that could be applied failed
EXIT_BAD_INPUT = 2  # bad usage, bad configuration, an input that could not be read or judged
EXIT_INTERNAL = 3  # a bug in overfitdoc; never 1, so CI can trust 1 to mean "gate failed"
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's code for SIGINT (128 + 2), not a result
EXIT_TERMINATED = 143  # SIGTERM (128 + 15), handled as Ctrl-C is (``rerun`` writes its summary)


def exit_code(
    errors: int = 0,
    undiagnosable: int = 0,
    gates_failed: int = 0,
    *,
    interrupted: bool = False,
    terminated: bool = False,
) -> int:
    """The exit code of every command once its inputs are dealt with: the one policy.

    * ``errors``: inputs that could not be read (for ``rerun``: runs that failed);
    * ``undiagnosable``: inputs that were read but cannot be judged for what the command was
      asked: no validation series, no pair named by ``--monitor``, or (``check``) a gate the
      run lacks the measurement for, such as a ``--min-val`` metric it does not log;
    * ``gates_failed``: ``check`` gates that were applied and failed.

    143 when stopped by SIGTERM, 130 when interrupted (Ctrl-C); else 2 when any input could not be read or judged (2 wins over 1: a
    gate that could not be applied is not a failed gate, and a CI job must not read it as
    one); else 1 when a gate failed; else 0.

    The other codes are decided before or outside a command's results: bad usage or
    configuration exits 2 before anything is read (:attr:`OverfitdocError.exit_code`), and an
    exception that escapes a command is a bug in overfitdoc, 3 (``cli.main``).
    """
    if terminated:
        return EXIT_TERMINATED
    if interrupted:
        return EXIT_INTERRUPTED
    if errors or undiagnosable:
        return EXIT_BAD_INPUT
    return EXIT_GATE_FAILED if gates_failed else EXIT_OK


class OverfitdocError(Exception):
    """Base class of every error overfitdoc reports to the user as one line."""

    exit_code = EXIT_BAD_INPUT


class InputError(OverfitdocError):
    """An input file that could not be read or understood.

    ``source`` is the path as the user gave it; ``reason`` says what is wrong, in a few words.
    """

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class PermissionDenied(InputError):
    """An input, or a file or folder inside an input directory, that may not be read.

    ``path``: what could not be read, when it is not the input itself (a TensorBoard run's
    ``validation/``): the reason names it."""

    def __init__(self, source: str, path: str | None = None):
        self.path = path if path and path != source else None
        super().__init__(source, "permission denied" + (f" ({self.path})" if self.path else ""))


class UsageError(OverfitdocError):
    """Bad options or configuration (not tied to one input file)."""
