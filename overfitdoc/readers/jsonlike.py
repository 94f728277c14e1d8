"""JSON histories: Keras ``History.history`` dumps, PyTorch training-loop JSON in its common
layouts (a list of per-epoch objects, a dict of lists, either one under a key such as
``history``, nested per-split objects), and JSON Lines (one object per epoch)."""

from __future__ import annotations

import json
import math
from numbers import Number

from ..errors import InputError
from ..history import MAX_COLUMNS, History, from_table
from ..naming import normalise
from ..numbers import is_number as _numberish
from .registry import Input, NotThisFormat, reader

#: keys under which people keep the per-epoch list
CONTAINER_KEYS = (
    "history",
    "epochs",
    "log",
    "logs",
    "log_history",
    "records",
    "metrics",
    "results",
    "train_history",
    "training_history",
    "stats",
)
MAX_KEYS = 10_000


def flatten(record: dict, prefix: str = "", depth: int = 0) -> dict:
    """``{"train": {"loss": 1}}`` -> ``{"train.loss": 1}``; lists and text are dropped."""
    out: dict[str, float | None] = {}
    if depth > 4:
        return out
    for k, v in record.items():
        if isinstance(v, list):
            continue  # (first: a list is no Number, and the ABC check is slow on 10^5 keys)
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + ".", depth + 1))
        elif isinstance(v, bool) or v is None:
            out[key] = None
        elif isinstance(v, (int, float, Number)) or (isinstance(v, str) and _numberish(v)):
            out[key] = float(v)  # type: ignore[arg-type]  # a Number or a numeric string
    return out


def _records_to_table(records: list) -> dict[str, list]:
    rows = [flatten(r) for r in records if isinstance(r, dict)]
    if not rows:
        raise NotThisFormat("no per-epoch objects")
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
        if len(keys) > MAX_KEYS:
            raise NotThisFormat("too many keys for a training history")
    # a key a record does not hold was not logged there (None: an empty cell); a JSON null, a
    # value that could not be written, counts as a bad value as before
    return {k: [(math.nan if r[k] is None else r[k]) if k in r else None for r in rows] for k in keys}


def _is_series(v) -> bool:
    return (
        isinstance(v, list)
        and len(v) > 0
        and all((isinstance(x, Number) and not isinstance(x, bool)) or x is None for x in v)
    )


def _is_record_list(v) -> bool:
    return isinstance(v, list) and len(v) > 0 and sum(isinstance(x, dict) for x in v) >= 0.9 * len(v)


def _dict_of_lists_to_table(source: str, doc: dict) -> dict[str, list]:
    table: dict[str, list] = {}
    for k, v in doc.items():
        if _is_series(v):
            table[k] = [math.nan if x is None else float(x) for x in v]
        elif _is_record_list(v):
            # r018-style: a list of per-epoch metric dicts next to plain lists
            for sub, vals in _records_to_table(v).items():
                table[f"{k}.{sub}"] = vals
    if not table:
        raise NotThisFormat("no lists of numbers")
    lengths = {k: len(v) for k, v in table.items()}
    if len(set(lengths.values())) > 1:
        longest = max(lengths.values())
        short = [f"{k} has {n}" for k, n in lengths.items() if n != longest][:3]
        raise InputError(source, f"lists of different lengths ({', '.join(short)}; others have {longest})")
    return table


def _table_from_doc(inp: Input, doc) -> tuple[str, dict[str, list]]:
    if _is_record_list(doc):
        return "pytorch-json", _records_to_table(doc)
    if isinstance(doc, dict):
        if len(doc) > MAX_COLUMNS:
            raise InputError(inp.source, f"{len(doc):,} keys (a training history has at most {MAX_COLUMNS:,} series)")
        for key in CONTAINER_KEYS:
            for k in doc:
                if normalise(str(k)) == key and (_is_record_list(doc[k]) or isinstance(doc[k], dict)):
                    return _table_from_doc(inp, doc[k])
        table = _dict_of_lists_to_table(inp.source, doc)
        keras_style = not any(normalise(k) in ("epoch", "epochs") for k in table) and all(
            k.startswith("val_") or f"val_{k}" in table or normalise(k) in ("lr", "learning_rate") for k in table
        )
        return ("keras-history-json" if keras_style else "pytorch-json"), table
    raise NotThisFormat("JSON that is neither an object nor a list of objects")


@reader("json", "JSON: Keras History.history, PyTorch loop histories (list of epochs, dict of lists)", priority=40)
def read_json(inp: Input) -> History:
    doc = inp.json()
    fmt, table = _table_from_doc(inp, doc)
    base = 0 if fmt == "keras-history-json" else None
    return from_table(inp.source, fmt, table, epoch_base=base)


def json_lines(inp: Input) -> list[dict]:
    """Every line a JSON object (blank lines skipped); NotThisFormat otherwise."""
    lines = [ln for ln in inp.text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        raise NotThisFormat("not JSON Lines")
    records = []
    for n, ln in enumerate(lines, 1):
        try:
            obj = json.loads(ln)
        except RecursionError:  # as Input.json says it for a whole document
            raise InputError(inp.source, f"JSON nested too deeply (line {n})") from None
        except ValueError:
            if n == len(lines):
                break  # a last line cut off mid-write by a killed run
            raise NotThisFormat(f"line {n} is not JSON") from None
        if not isinstance(obj, dict):
            raise NotThisFormat(f"line {n} is not a JSON object")
        records.append(obj)
    return records


@reader("jsonl", "JSON Lines: one object per epoch (DETR/DeiT log.txt and custom loops)", priority=45)
def read_jsonl(inp: Input) -> History:
    records = json_lines(inp)
    return from_table(inp.source, "jsonl", _records_to_table(records))
