"""Delimited text: Keras CSVLogger, a pandas ``DataFrame(history.history).to_csv``, and the
CSV files people write by hand. Comma, semicolon, tab or pipe; padded fields; CRLF."""

from __future__ import annotations

import io

import numpy as np

from ..errors import InputError
from ..history import MAX_COLUMNS, History, from_table
from ..naming import normalise
from ..numbers import is_number as _is_number
from .registry import Input, NotThisFormat, reader

SEPARATORS = (",", ";", "\t", "|")


def sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        raise NotThisFormat("no separator in the first line")
    return sep


SMALL = 4 << 20  # below 4 MB the csv module is quicker than importing pandas


def parse_delimited(inp: Input) -> dict[str, np.ndarray]:
    """The file as named columns (numeric where the column is numeric, else text), parsed
    once per input whichever reader asks (the trainer readers and this one share it).

    Raises NotThisFormat when the content is not a table with a text header. Small files are
    parsed with the csv module, large ones with pandas' C parser; both give the same columns.
    """
    if "delimited" not in inp._cache:
        try:
            inp._cache["delimited"] = _parse(inp)
        except (NotThisFormat, InputError) as e:
            inp._cache["delimited"] = e
    got = inp._cache["delimited"]
    if isinstance(got, Exception):
        raise got
    return got


def first_line(text: str) -> str:
    """The first non-empty line, without splitting the rest (a step log has millions)."""
    start = 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip() or end < 0:
            return line.strip()
        start = end + 1


def _parse(inp: Input) -> dict[str, np.ndarray]:
    text = inp.text
    first = first_line(text)
    sep = sniff_separator(first)
    header = [h.strip() for h in first.split(sep)]
    if sum(1 for h in header if h) < 2:
        raise NotThisFormat("fewer than two named columns")
    if len(header) > MAX_COLUMNS:  # (before the look at every cell: 2 s for 400,000)
        why = f"{len(header):,} columns (a training log has at most {MAX_COLUMNS:,})"
        if inp.stripped[:1] in ("{", "["):  # JSON that failed to parse: let its reason stand
            raise NotThisFormat(why)
        raise InputError(inp.source, why)
    if any(_is_number(h) for h in header if h):
        raise NotThisFormat("the first line is data, not a header")
    cols = _parse_small(inp, text, sep) if len(text) < SMALL else _parse_large(inp, first, sep)
    if not cols or not len(next(iter(cols.values()))):
        raise InputError(inp.source, "a header but no rows")
    numeric = [c for c, v in cols.items() if v.dtype.kind in "fiu" or _mostly_numbers(v)]
    if len(numeric) < 2:
        raise NotThisFormat("fewer than two numeric columns")
    return cols


def _parse_small(inp: Input, text: str, sep: str) -> dict[str, np.ndarray]:
    import csv

    csv.field_size_limit(max(csv.field_size_limit(), SMALL))  # a field is at most the whole (small) file
    try:
        rows = [
            r
            for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
            if r and any(c.strip() for c in r)
        ]
    except csv.Error as e:
        raise InputError(inp.source, f"malformed CSV ({e})") from None
    header = [h.strip() for h in rows[0]]
    width = len(header)
    body = rows[1:]
    for n, r in enumerate(body, 2):
        if len(r) > width and any(c.strip() for c in r[width:]):
            raise InputError(inp.source, f"malformed CSV (row {n} has {len(r)} fields, the header has {width})")
    cols = {}
    for j, name in enumerate(header):
        if name in cols:
            name = f"{name}.{j}"
        cols[name] = np.array([r[j].strip() if j < len(r) else "" for r in body], dtype=object)
    return cols


def _parse_large(inp: Input, first: str, sep: str) -> dict[str, np.ndarray]:
    """pandas' C parser, on the raw bytes when they are UTF-8 (no decoded copy), else on the
    text. An explicit ``nan`` must stay apart from an empty cell (a bad value, not a missing
    one), so a file that writes ``nan`` is read as text cells and :func:`_numeric` decides."""
    import pandas as pd

    raw = inp.data
    utf8 = not raw.startswith((b"\xff\xfe", b"\xfe\xff"))
    padded = (sep + " ") in first or (sep + " ") in inp.text[:4096]
    # (numbers and separators deleted first: searching what is left is several times faster)
    explicit_nan = (
        b"nan" in raw.translate(None, b"0123456789.,;|\t\r\n -+eE").lower() if utf8 else "nan" in inp.text.lower()
    )
    options = dict(na_filter=False) if explicit_nan else {}
    source = io.BytesIO(raw) if utf8 else io.StringIO(inp.text)
    try:
        frame = pd.read_csv(
            source,
            sep=sep,
            skipinitialspace=padded,
            engine="c",
            skip_blank_lines=True,
            low_memory=False,
            **(dict(encoding="utf-8-sig") if utf8 else {}),
            **options,
        )
    except pd.errors.ParserError as e:
        raise InputError(inp.source, f"malformed CSV ({str(e).strip().splitlines()[-1]})") from None
    except (ValueError, UnicodeDecodeError, pd.errors.EmptyDataError) as e:
        raise NotThisFormat(f"not a table ({e})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return {c: frame[c].to_numpy() for c in frame.columns}


def _mostly_numbers(values: np.ndarray) -> bool:
    vals = [v for v in values[:50] if isinstance(v, str) and v.strip()]
    return bool(vals) and sum(_is_number(v) for v in vals) >= 0.8 * len(vals)


@reader("csv", "delimited text: Keras CSVLogger, pandas history CSV, hand-written CSV", priority=60)
def read_csv(inp: Input) -> History:
    cols = parse_delimited(inp)
    names = list(cols)
    fmt = "csv"
    index_column = None
    epoch_base = None
    if names[0] == "" or names[0].startswith("Unnamed:"):
        # pandas wrote its index: an unnamed first column holding the 0-based epoch
        fmt, index_column = "pandas-csv", names[0]
    elif normalise(names[0]) == "epoch" and any(n.startswith("val_") and n[4:] in cols for n in names):
        fmt = "keras-csv"
    elif not any(normalise(n) in ("epoch", "epochs", "step") for n in names) and any(
        n.startswith("val_") and n[4:] in cols for n in names
    ):
        fmt = "pandas-csv"  # to_csv(index=False): row order is the epoch
        epoch_base = 0
    return from_table(inp.source, fmt, cols, index_column=index_column, epoch_base=epoch_base)
