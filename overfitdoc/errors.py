"""Typed errors raised by the library, and the exit codes the CLI maps them to.

The library never prints and never exits; the CLI turns these into one line on stderr and
the exit code below (sqlfluff keeps its exit codes in one place, so do we).
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1   # only `check`: a gate failed
EXIT_BAD_INPUT = 2     # bad usage, bad configuration, unreadable input
EXIT_INTERNAL = 3      # a bug in overfitdoc; never 1, so CI can trust 1 to mean "gate failed"
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's code for SIGINT (128 + 2), not a result


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


class UsageError(OverfitdocError):
    """Bad options or configuration (not tied to one input file)."""
