"""Plain-text logs: the lines a training loop prints, one or more per epoch, holding
``Key=value`` or ``Key: value`` pairs, e.g.
``2023-05-15 22:50:17,398 INFO:Epoch 1: Train Loss=0.0717, Val Loss=0.0766`` or
``Epoch: 1, TrainLoss: 673.5184, ValLoss: 184.2612, LR: 0.000200``.
A line without an epoch belongs to the epoch last named (Keras prints ``Epoch 3/12`` on a
line of its own, then a progress line per batch, the last holding the epoch's values, which
win); in a log that never names one, each such line is the next epoch. Once a line has given
the named epoch its validation values, a later line without an epoch and without any
validation value is not that epoch's training (Keras prints ``model.evaluate(...)``'s
``4/4 - 0s - loss: 0.49`` after the last epoch): it is left out, with a note.

A line is scanned in time linear in its length (a 100 KB model-summary line is read like a
short one): the epoch pattern has no two adjacent ambiguous repeats, the number is atomic,
and a pair is found from its separator: ``=`` or ``:`` followed by a number, then the key
walked back from it, up to a `` - `` (a hyphen between spaces separates fields, as in Keras's
progress line ``313/313 [====] - 2s 5ms/step - loss: 0.3 - val_loss: 0.4``). That finds what
``([A-Za-z][A-Za-z0-9_ ./\\-]*?)\\s*[=:]\\s*(NUMBER)(?![\\w.])`` (re.IGNORECASE) finds with
``findall`` (with the key cut after its last `` - ``), which retried its lazy key from every letter of a long run (quadratic)."""

from __future__ import annotations

import math
import re
import string

from ..errors import InputError
from ..history import MAX_COLUMNS, History, from_table
from ..naming import is_held_out
from .registry import Input, NotThisFormat, reader

NUMBER = r"(?>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?))"
EPOCH = re.compile(r"\bepoch\b\s*+(?:[:=#]\s*+)?(?:\[\s*+)?(\d++)(?:\s*+/\s*+\d++)?\]?", re.IGNORECASE)
# a separator with the number after it: where a pair ends
VALUE = re.compile(r"[=:]\s*+(" + NUMBER + r")(?![\w.])", re.IGNORECASE)
# what [A-Za-z] and [A-Za-z0-9_ ./\-] match under re.IGNORECASE (4 non-ASCII letters among them)
KEY_START = frozenset(string.ascii_letters + "\u0130\u0131\u017f\u212a")
KEY_CHARS = KEY_START | frozenset(string.digits + "_ ./-")
MAX_EPOCH_DIGITS = 15  # past that the number is no epoch (and int() of 4300+ digits raises)


def pairs(line: str) -> list[tuple[str, str]]:
    """Every ``(key, number)`` pair of ``line``, left to right, in one pass."""
    found = []
    resume = 0  # where the previous pair ended: a key starts at or after it
    # (a number holds no separator, so the matches the regex engine finds one after another
    # are every separator followed by a number: none is skipped)
    for m in VALUE.finditer(line):
        end = m.start()
        while end > resume and line[end - 1].isspace():
            end -= 1
        start = end
        while start > resume and line[start - 1] in KEY_CHARS and not _field_break(line, start - 1):
            start -= 1
        while start < end and line[start] not in KEY_START:
            start += 1
        if start == end:
            continue
        found.append((line[start:end], m.group(1)))
        resume = m.end()
    return found


def _field_break(line: str, i: int) -> bool:
    """A hyphen between whitespace (``" - "``) separates fields, never joins a key: Keras's
    ``313/313 [====] - 2s 5ms/step - loss: 0.3`` has the key ``loss``."""
    return line[i] == "-" and 0 < i < len(line) - 1 and line[i - 1].isspace() and line[i + 1].isspace()


def parse_line(line: str) -> tuple[int | None, dict[str, float]]:
    epoch = None
    # (a case-blind regex search is slow on a megabyte line: look for the word first)
    m = EPOCH.search(line) if "epoch" in line.lower() else None
    if m:
        if len(m.group(1)) <= MAX_EPOCH_DIGITS:
            epoch = int(m.group(1))
        line = line[: m.start()] + " ; " + line[m.end() :]
    values = {}
    for key, num in pairs(line):
        key = key.strip(" .-/")
        if key and not key.isupper() or len(key) > 3:
            try:
                values[key] = float(num)
            except ValueError:  # "ınf": IGNORECASE lets a dotless i spell inf; float() does not
                continue
    return epoch, values


@reader("text-log", "plain-text logs of Key=value or Key: value lines per epoch", priority=70)
def read_text_log(inp: Input) -> History:
    rows: dict[int, dict[str, float]] = {}
    order: list[int] = []
    seen_lines = matched = 0
    named = None  # the epoch the last line naming one named: later lines without one belong to it
    closed = False  # the named epoch has its validation values: an epoch-less training-only line is not its
    left_out: list[int] = []
    kinds: dict[str, bool] = {}  # key -> a validation key (each key is judged once, not on every line)
    for number, line in enumerate(inp.text.splitlines(), 1):
        if not line.strip():
            continue
        seen_lines += 1
        epoch, values = parse_line(line)
        if epoch is not None:
            named, closed = epoch, False
        if not values:
            continue
        matched += 1
        if named is not None:  # (a line naming an epoch has just reopened it: closed is False)
            held_out = any(kinds[k] if k in kinds else kinds.setdefault(k, is_held_out(k)) for k in values)
            if closed and not held_out:
                left_out.append(number)
                continue
            closed = held_out or closed
        key = named if named is not None else (order[-1] + 1 if order else 1)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key].update(values)
    if matched == 0 or matched < 0.3 * seen_lines or len(rows) < 1:
        raise NotThisFormat("no Key=value or Key: value lines")
    keys: dict[str, None] = {}
    for r in rows.values():
        keys.update(dict.fromkeys(r))
        if len(keys) > MAX_COLUMNS:
            raise InputError(inp.source, f"more than {MAX_COLUMNS:,} different keys (a training log has fewer)")
    table = {"epoch": [float(e) for e in order]}
    table.update({k: [rows[e].get(k, math.nan) for e in order] for k in keys})
    notes: tuple[str, ...] = ()
    if left_out:
        notes = (
            f"{len(left_out)} line(s) after an epoch's validation values, naming no epoch and no validation "
            f"metric, left out as not training (line {left_out[0]} first: model.evaluate output?)",
        )
    return from_table(inp.source, "text-log", table, index_column="epoch", dedupe=False, notes=notes)
