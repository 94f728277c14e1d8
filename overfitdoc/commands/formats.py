"""`overfitdoc formats`: the input formats overfitdoc reads, in detection order."""

from __future__ import annotations

import typer


def formats_command() -> None:
    """List the input formats, in the order detection tries them.

    Example: overfitdoc formats
    """
    from ..readers import formats

    for r in formats():
        typer.echo(f"{r.name:<18} {r.description}")


def register(app: typer.Typer) -> None:
    app.command("formats")(formats_command)
