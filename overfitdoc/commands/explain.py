"""`overfitdoc explain`: a remedy's full page, the list of remedies, or the docs pages."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import UsageError
from .common import fail


def explain_command(
    rule_id: Annotated[
        str | None, typer.Argument(metavar="ID", help="The remedy's id, e.g. early-stopping.", show_default=False)
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List every remedy with its id and title.")] = False,
    write_docs: Annotated[
        str | None,
        typer.Option(
            "--write-docs", metavar="DIR", help="Write every page (and an index) as markdown into DIR, e.g. docs/rules."
        ),
    ] = None,
) -> None:
    """Explain a remedy: what it does, when it helps and hurts, the fix in Keras, PyTorch and
    Lightning, and references.

    Example: overfitdoc explain early-stopping
    """
    from ..advice import UnknownRule, get_rule, rules

    if write_docs:
        from ..advice.docs import write_docs as write

        written = write(write_docs)
        typer.echo(f"wrote {len(written)} files to {write_docs}")
        return
    if list_:
        all_rules = rules()
        width = max(len(r.id) for r in all_rules)
        for r in all_rules:
            typer.echo(f"{r.id:<{width}}  {r.title}")
        return
    if not rule_id:
        fail(UsageError("give a rule id, or --list to see them"))
    try:
        rule = get_rule(rule_id)
    except UnknownRule:
        fail(UsageError(f"unknown rule '{rule_id}' (see overfitdoc explain --list)"))
    from ..advice.docs import render_page

    show_markdown(render_page(rule))


def show_markdown(text: str, stream=None) -> None:
    """Markdown rendered by rich on a terminal (paragraphs reflowed to its width, code blocks
    unwrapped); the raw Markdown when piped or written to a file, to paste or convert."""
    import sys

    out = stream if stream is not None else sys.stdout
    if not out.isatty():
        typer.echo(text, nl=False, file=out)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=out, highlight=False).print(Markdown(text, code_theme="ansi_dark"))


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
