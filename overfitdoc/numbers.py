"""How a number is written, in every output: one place.

Two formats, because the reports already printed (the golden files, the README's transcripts)
use both and a report's numbers must not change between releases:

* :func:`fmt` writes a number inside a sentence: the analysis' summaries and the advice's
  evidence. 4 significant digits; ``%.3g`` below 1e-3 or from 1e5 on (``1.2e-05``).
* :func:`num` writes a number as a value on its own: the cells of the terminal and markdown
  tables (``diagnose``, ``check``, ``rerun``), the plots' labels and the details of a
  ``check`` gate. ``-`` for None, integers as they are; 4 significant digits; ``%.3e`` below
  1e-3 or from 1e6 on (``1.200e-05``).

A relative gap (the final gap over the final training value) is phrased by
:func:`relative_gap` alone: ``5% of the training value``, ``40.2x the training value``.
"""

from __future__ import annotations

import math

#: where :func:`relative_gap` switches from a percentage to a multiple, by default
TIMES_FROM = 10.0


def fmt(x: float | None) -> str:
    """A number in a sentence: 4 significant digits, no float noise; ``%.3g`` when tiny or huge
    (below 1e-3, from 1e5 on: ``1.2e-05``). None and non-finite values as Python writes them."""
    if x is None or not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4g}"


def num(x: float | int | bool | None, digits: int = 4) -> str:
    """A number as a table cell or a gate's value: ``digits`` significant digits, ``%.3e``
    only when tiny or huge (below 1e-3, from 1e6 on); ``-`` for None; integers and booleans
    as they are."""
    if x is None:
        return "-"
    if isinstance(x, (bool, int)):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e6):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def pct(x: float) -> str:
    """A share as a whole percentage (``0.712`` -> ``71%``); a multiple from 10 on (``40.2x``)."""
    return f"{x:.0%}" if abs(x) < TIMES_FROM else f"{x:.3g}x"


def relative_gap(x: float | None, *, times_from: float = TIMES_FROM, whole_times: bool = False) -> str:
    """A relative gap (gap over the training value) in words.

    By default, as the reports' "final gap" row writes it: ``5% of the training value``, from
    10 on ``40.2x the training value``; None (a training value of 0): ``training value 0``.
    The analysis' summaries write it the same way (a gap of 7 million percent is read as
    ``7.07e+04x``); the advice's evidence says multiples from 2 on, in whole numbers
    (``times_from=2, whole_times=True``: ``40x the training value``)."""
    if x is None:
        return "training value 0"
    if abs(x) < times_from:
        return f"{x:.0%} of the training value"
    return f"{x:.0f}x the training value" if whole_times else f"{x:.3g}x the training value"


def epoch_range(rng: tuple[int, int] | list[int] | None) -> str:
    """An epoch range as a cell: ``12-18``, ``12`` when it is one epoch, ``-`` when none."""
    return "-" if not rng else (str(rng[0]) if rng[0] == rng[1] else f"{rng[0]}-{rng[1]}")


def is_number(s: str) -> bool:
    """Whether a text cell parses as a float (``'1e-3'``, ``'nan'`` and ``'inf'`` do)."""
    try:
        float(s)
        return True
    except ValueError:
        return False
