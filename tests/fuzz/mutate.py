"""A seeded mutator over the project's own fixtures (``tests/fixtures`` and ``sample_runs``).

Every case is a pure function of ``(seed, index)``: :func:`make_case` regenerates it anywhere,
so a worker process is sent a number, and a failure is replayed from the two numbers it prints.
"""

from __future__ import annotations

import codecs
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = (ROOT / "tests" / "fixtures", ROOT / "sample_runs")
MAX_SEED_BYTES = 400_000

NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
BAD_NUMBERS = (
    b"nan",
    b"NaN",
    b"inf",
    b"-inf",
    b"Infinity",
    b"1e308",
    b"-1e308",
    b"1e309",
    b"99999999999999999999999999",
    b"1e-320",
    b"",
    b"null",
    b"0",
    b"-0",
    b"1e400",
)


@dataclass(frozen=True)
class Case:
    seed: int
    index: int
    name: str  # the file name the case is written under (the seed's own name)
    origin: str  # the seed, relative to the repository
    steps: tuple[str, ...]  # the mutations applied, in order
    data: bytes

    @property
    def label(self) -> str:
        return f"seed={self.seed} case={self.index} {self.origin} [{', '.join(self.steps)}]"


def seed_files() -> list[Path]:
    """Every fixture file small enough to mutate, in a stable order."""
    out = []
    for d in SEED_DIRS:
        for p in sorted(d.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size <= MAX_SEED_BYTES:
                out.append(p)
    return out


_SEEDS: list[tuple[str, str, bytes]] | None = None


def seeds() -> list[tuple[str, str, bytes]]:
    global _SEEDS
    if _SEEDS is None:
        _SEEDS = [(p.name, str(p.relative_to(ROOT)), p.read_bytes()) for p in seed_files()]
    return _SEEDS


# ------------------------------------------------------------------ byte-level mutations


def truncate(rng: random.Random, b: bytes) -> bytes:
    return b[: rng.randrange(len(b) + 1)] if b else b


def flip_bytes(rng: random.Random, b: bytes) -> bytes:
    if not b:
        return b
    arr = bytearray(b)
    for _ in range(rng.randint(1, 8)):
        arr[rng.randrange(len(arr))] = rng.randrange(256)
    return bytes(arr)


def swap_delimiters(rng: random.Random, b: bytes) -> bytes:
    seps = [b",", b";", b"\t", b"|", b" ", b":", b"="]
    a, c = rng.sample(seps, 2)
    if rng.random() < 0.5:
        return b.replace(a, c)
    lines = b.split(b"\n")
    i = rng.randrange(len(lines))
    lines[i] = lines[i].replace(a, c)
    return b"\n".join(lines)


def inject_numbers(rng: random.Random, b: bytes) -> bytes:
    spans = [m.span() for m in NUMBER.finditer(b)]
    if not spans:
        return b
    bad = rng.choice(BAD_NUMBERS)
    chosen = set(rng.sample(range(len(spans)), min(len(spans), rng.choice((1, 3, 10, 1000)))))
    alternate = rng.random() < 0.3  # +-1e308 alternating, the overflow in every difference
    out, last = [], 0
    for k, (s, e) in enumerate(spans):
        out.append(b[last:s])
        if k in chosen or alternate:
            out.append((b"1e308" if k % 2 else b"-1e308") if alternate else bad)
        else:
            out.append(b[s:e])
        last = e
    out.append(b[last:])
    return b"".join(out)


def _lines(b: bytes) -> list[bytes]:
    return b.split(b"\n")


def duplicate_header(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    lines.insert(rng.randrange(1, len(lines) + 1), lines[0])
    return b"\n".join(lines)


def drop_header(rng: random.Random, b: bytes) -> bytes:
    return b"\n".join(_lines(b)[1:])


def duplicate_rows(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    for _ in range(rng.randint(1, 20)):
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"\n".join(lines)


def shuffle_rows(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    head, body = lines[:1], lines[1:]
    rng.shuffle(body)
    return b"\n".join(head + body)


def drop_rows(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    keep = [ln for ln in lines if rng.random() > 0.3]
    return b"\n".join(keep)


def add_bom(rng: random.Random, b: bytes) -> bytes:
    return codecs.BOM_UTF8 + b


def to_utf16(rng: random.Random, b: bytes) -> bytes:
    text = b.decode("utf-8", errors="replace")
    enc = rng.choice(("utf-16", "utf-16-le", "utf-16-be"))
    return text.encode(enc)


def to_latin1(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    i = rng.randrange(len(lines))
    lines[i] = lines[i] + "épochs \u00b5".encode("latin-1")
    return b"\n".join(lines)


def line_endings(rng: random.Random, b: bytes) -> bytes:
    b = b.replace(b"\r\n", b"\n")
    kind = rng.choice((b"\r", b"\r\n", b"\n\r", b"stray"))
    if kind == b"stray":
        lines = _lines(b)
        i = rng.randrange(len(lines))
        j = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:j] + b"\r" + lines[i][j:]
        return b"\n".join(lines)
    return b.replace(b"\n", kind)


def long_line(rng: random.Random, b: bytes) -> bytes:
    n = rng.choice((10_000, 100_000, 300_000))
    unit = rng.choice((b"a", b"1", b"loss=1 ", b"a b ", b"epoch ", b"x" * 7 + b"=", b"a.", b"-", b",", b'"'))
    line = (unit * (n // len(unit) + 1))[:n]
    lines = _lines(b)
    lines.insert(rng.randrange(len(lines) + 1), line)
    return b"\n".join(lines)


def quoted_newline(rng: random.Random, b: bytes) -> bytes:
    lines = _lines(b)
    i = rng.randrange(len(lines))
    field = rng.choice((b'"a\nb"', b'"' + b"x" * 200_000 + b'"', b'"unterminated', b'"a""b"'))
    lines[i] = lines[i] + b"," + field
    return b"\n".join(lines)


def deep_json(rng: random.Random, b: bytes) -> bytes:
    depth = rng.choice((50, 1000, 100_000))
    if rng.random() < 0.5:
        return b"[" * depth + b + b"]" * depth
    return b'{"history": ' * depth + b + b"}" * depth


def many_keys(rng: random.Random, b: bytes) -> bytes:
    n = rng.choice((1000, 20_000, 200_000))
    body = ",".join(f'"k{i}": [{i}, {i + 1}]' for i in range(n))
    return ("{" + body + ', "loss": [1, 0.5], "val_loss": [1, 0.7]}').encode()


# ------------------------------------------------------------------ structural JSON edits


def _random_value(rng: random.Random):
    return rng.choice(
        (None, True, "x", "1.5", [], {}, [1, "a"], {"loss": 1}, 1e308, -1e308, 10**30, float("nan"), 0, [None])
    )


def _walk(doc, rng: random.Random, depth: int = 0):
    """A random container inside ``doc``."""
    node = doc
    for _ in range(rng.randint(0, 4)):
        kids = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        kids = [k for k in kids if isinstance(k, (dict, list))]
        if not kids:
            break
        node = rng.choice(kids)
    return node


def json_edit(rng: random.Random, b: bytes) -> bytes:
    try:
        doc = json.loads(b.decode("utf-8-sig"))
    except RecursionError:  # deep_json made it: left as it is
        return b
    except (ValueError, UnicodeDecodeError):
        try:
            doc = [json.loads(ln) for ln in b.decode("utf-8", "replace").splitlines() if ln.strip()]
        except (ValueError, RecursionError):
            return b
    for _ in range(rng.randint(1, 4)):
        node = _walk(doc, rng)
        op = rng.randrange(7)
        if isinstance(node, dict) and node:
            k = rng.choice(list(node))
            if op == 0:
                del node[k]
            elif op == 1:
                node[k] = _random_value(rng)
            elif op == 2:
                node[rng.choice(("epoch", "val_loss", "loss", "Epoch", "step", "history", k + "_2"))] = node[k]
            elif op == 3:
                node[k] = {"train": node[k], "val": node[k]}
            else:
                node[str(rng.random())] = _random_value(rng)
        elif isinstance(node, list) and node:
            i = rng.randrange(len(node))
            if op == 0:
                del node[i]
            elif op == 1:
                node[i] = _random_value(rng)
            elif op in (2, 3):
                node.extend(node[: rng.randint(1, len(node))])  # duplicated rows
            elif op == 4:
                rng.shuffle(node)
            else:
                node.insert(i, _random_value(rng))
    if rng.random() < 0.2:
        doc = {"history": doc, "config": {"log": b[:2000].decode("utf-8", "replace")}}
    try:
        if rng.random() < 0.2:
            return "\n".join(json.dumps(r) for r in (doc if isinstance(doc, list) else [doc])).encode()
        return json.dumps(doc, allow_nan=True).encode()
    except RecursionError:
        return b


MUTATIONS = {
    f.__name__: f
    for f in (
        truncate,
        flip_bytes,
        swap_delimiters,
        inject_numbers,
        inject_numbers,
        duplicate_header,
        drop_header,
        duplicate_rows,
        shuffle_rows,
        drop_rows,
        add_bom,
        to_utf16,
        to_latin1,
        line_endings,
        long_line,
        quoted_newline,
        deep_json,
        many_keys,
        json_edit,
        json_edit,
    )
}
WEIGHTS = {name: 1 for name in MUTATIONS}
WEIGHTS.update(inject_numbers=4, json_edit=4, duplicate_rows=2, truncate=2, flip_bytes=2, deep_json=0.3, many_keys=0.2)


def make_case(seed: int, index: int) -> Case:
    rng = random.Random(f"{seed}:{index}")
    name, origin, data = rng.choice(seeds())
    names = list(MUTATIONS)
    weights = [WEIGHTS[n] for n in names]
    steps = tuple(rng.choices(names, weights, k=rng.choice((1, 1, 1, 2, 2, 3))))
    for step in steps:
        data = MUTATIONS[step](rng, data)
    return Case(seed, index, name, origin, steps, data)
