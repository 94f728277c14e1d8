"""Step-level CSV logs as a hand-written loop writes them: a step (or iteration) column,
training every step, validation every N steps."""

from __future__ import annotations

from ..history import History, from_table
from ..naming import normalise
from .delimited import parse_delimited
from .registry import Input, NotThisFormat, reader
from .sparse import header_names, side_of

_STEP_COLUMNS = ("step", "global_step", "iteration", "iter", "steps", "train_step")


@reader("step-csv", "step-level CSV: a step column, training every step, validation every N steps", priority=36)
def read_step_csv(inp: Input) -> History:
    """A CSV with a step (or iteration) column and no epoch column, as a hand-written loop
    writes it: training logged every step, validation every N steps on the same or its own
    rows (empty cells elsewhere). The validation points are the analysis points; the training
    value of each is the mean of the steps logged since the previous one."""
    names = header_names(inp)
    norm = [normalise(n) for n in names]
    if not names or not names[0] or names[0].startswith("Unnamed:"):
        raise NotThisFormat("an unnamed first column (a pandas index)")
    steps = [n for n, m in zip(names, norm) if m in _STEP_COLUMNS]
    if not steps or any(m in ("epoch", "epochs") for m in norm):
        raise NotThisFormat("no step column, or an epoch column too")
    if not any(side_of(n)[0] in ("val", "test") for n in names):
        raise NotThisFormat("no validation column")
    cols = parse_delimited(inp)
    return from_table(inp.source, "step-csv", cols, index_column=steps[0], unit="step")
