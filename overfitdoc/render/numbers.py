"""How numbers are shown: the same in every human-readable renderer."""
from __future__ import annotations

import math


def num(x, digits: int = 4) -> str:
    """A value as a person reads it: 4 significant digits, scientific only when tiny or huge."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    a = abs(x)
    if a != 0 and (a < 1e-3 or a >= 1e6):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def relative(x) -> str:
    """A relative gap in words: ``5% of the training value`` or ``40.2x the training value``."""
    if x is None:
        return "training value 0"
    return f"{x:.0%} of the training value" if abs(x) < 10 else f"{x:.3g}x the training value"


def epoch_range(rng) -> str:
    return "-" if not rng else (str(rng[0]) if rng[0] == rng[1] else f"{rng[0]}-{rng[1]}")
