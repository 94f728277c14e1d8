"""How a number is written in sentences (summaries, evidence, gate details): one place."""
from __future__ import annotations

import math


def fmt(x: float | None) -> str:
    """4 significant digits, no float noise; ``%.3g`` when tiny or huge (``1.2e-05``)."""
    if x is None or not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4g}"


def is_number(s: str) -> bool:
    """Whether a text cell parses as a float (``'1e-3'``, ``'nan'`` and ``'inf'`` do)."""
    try:
        float(s)
        return True
    except ValueError:
        return False
