"""Plain-text logs: the lines a training loop prints, one or more per epoch, holding
``Key=value`` or ``Key: value`` pairs, e.g.
``2023-05-15 22:50:17,398 INFO:Epoch 1: Train Loss=0.0717, Val Loss=0.0766`` or
``Epoch: 1, TrainLoss: 673.5184, ValLoss: 184.2612, LR: 0.000200``."""

from __future__ import annotations

import math
import re

from ..history import History, from_table
from .registry import Input, NotThisFormat, reader

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
EPOCH = re.compile(r"\bepoch\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*/\s*\d+)?\]?", re.IGNORECASE)
PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_ ./\-]*?)\s*(?:=|:)\s*(" + NUMBER + r")(?![\w.])", re.IGNORECASE)


def parse_line(line: str) -> tuple[int | None, dict[str, float]]:
    epoch = None
    m = EPOCH.search(line)
    if m:
        epoch = int(m.group(1))
        line = line[: m.start()] + " ; " + line[m.end() :]
    values = {}
    for key, num in PAIR.findall(line):
        key = key.strip(" .-/")
        if key and not key.isupper() or len(key) > 3:
            values[key] = float(num)
    return epoch, values


@reader("text-log", "plain-text logs of Key=value or Key: value lines per epoch", priority=70)
def read_text_log(inp: Input) -> History:
    rows: dict[int, dict[str, float]] = {}
    order: list[int] = []
    seen_lines = matched = 0
    for line in inp.text.splitlines():
        if not line.strip():
            continue
        seen_lines += 1
        epoch, values = parse_line(line)
        if not values:
            continue
        matched += 1
        key = epoch if epoch is not None else (order[-1] + 1 if order else 1)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key].update(values)
    if matched == 0 or matched < 0.3 * seen_lines or len(rows) < 1:
        raise NotThisFormat("no Key=value or Key: value lines")
    keys: dict[str, None] = {}
    for r in rows.values():
        keys.update(dict.fromkeys(r))
    table = {"epoch": [float(e) for e in order]}
    table.update({k: [rows[e].get(k, math.nan) for e in order] for k in keys})
    return from_table(inp.source, "text-log", table, index_column="epoch", dedupe=False)
