"""The text-log reader: linear in the line's length, and the same pairs as the pattern it
replaced (a lazy key retried from every letter: 40,000 characters of ``x`` took 41 s)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

from overfitdoc import load_history
from overfitdoc.readers.textlog import EPOCH, pairs, parse_line

from .conftest import FIXTURES, ROOT

# the patterns the reader used before it scanned from separators (quadratic and cubic on long lines)
OLD_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)"
OLD_EPOCH = re.compile(r"\bepoch\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*/\s*\d+)?\]?", re.IGNORECASE)
OLD_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_ ./\-]*?)\s*(?:=|:)\s*(" + OLD_NUMBER + r")(?![\w.])", re.IGNORECASE)

PIECES = list("aeEinfty xX1239.-+/_=:=:\t,;#[]") + [
    "epoch",
    "Epoch ",
    "nan",
    "inf",
    "infinity",
    "loss",
    "val_loss",
    " 1e5",
    "1.5",
    "\u0131",  # dotless i: [A-Za-z] matches it under IGNORECASE
    "\u212a",  # Kelvin sign, likewise
]


def old_pairs(line: str) -> list[tuple[str, str]]:
    """The old pattern's pairs, each key cut after its last " - " (which separates fields);
    a key left without a letter to start it is no pair."""
    found = []
    for key, num in OLD_PAIR.findall(line):
        key = re.split(r"\s-\s", key)[-1]
        key = key[next((i for i, c in enumerate(key) if c.isalpha()), len(key)) :]
        if key:
            found.append((key, num))
    return found


def test_pairs_and_epoch_are_what_the_old_patterns_found_on_short_lines():
    rng = random.Random(16)
    for _ in range(20_000):
        line = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 30)))
        assert pairs(line) == old_pairs(line), line
        new, old = EPOCH.search(line), OLD_EPOCH.search(line)
        assert (new and (new.span(), new.group(1))) == (old and (old.span(), old.group(1))), line


KERAS = "".join(f"Epoch {e}/3 - loss: {1 - e / 10:.4f} - val_loss: {1 - e / 20:.4f}\n" for e in (1, 2, 3))
SUMMARY = "dense_1 Dense None 64 params 640 layer normalization / dropout - "

# each costs the old patterns from tens of seconds to hours; run in a subprocess so a
# regression fails on the timeout instead of hanging the suite
LONG_LINES = {
    "x": "x" * 40_000,
    "summary": (SUMMARY * (100_000 // len(SUMMARY))),
    "epoch-then-spaces": "epoch" + " " * 30_000 + "x",
    "separator-then-digits": "a: " + "1" * 50_000 + "x",
    "pairs": "a b: 1e5x " * 10_000,
    "epoch-digits": "epoch " + "9" * 5_000,
}

TIMER = """
import json, sys, time
from overfitdoc.readers.textlog import parse_line
out = {}
for name, line in json.loads(sys.stdin.read()).items():
    t = time.perf_counter()
    epoch, values = parse_line(line)
    out[name] = [time.perf_counter() - t, epoch, values]
print(json.dumps(out))
"""


def test_long_lines_are_parsed_in_linear_time():
    p = subprocess.run(
        [sys.executable, "-c", TIMER],
        input=json.dumps(LONG_LINES),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    for name, (seconds, _, _) in got.items():
        assert seconds < 1.0, f"{name}: {seconds:.2f} s"
    assert got["x"][1:] == [None, {}]
    assert got["epoch-digits"][1:] == [None, {}]  # 5,000 digits are no epoch (int() refuses 4,300)
    assert got["pairs"][2] == {}  # "1e5x" is no number


def test_a_log_with_a_100_kb_summary_line_reads_its_epochs(tmp_path):
    path = tmp_path / "train.log"
    path.write_text(KERAS[: KERAS.index("Epoch 2")] + SUMMARY * 1600 + "\n" + KERAS[KERAS.index("Epoch 2") :])
    p = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "diagnose", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    h = load_history(str(path))
    assert h.format == "text-log" and list(h.index) == [1, 2, 3]
    assert list(h.columns["val_loss"]) == [0.95, 0.9, 0.85]


def test_a_dotless_i_spelling_inf_is_not_a_number():
    assert parse_line("loss=\u0131nf val_loss=1") == (None, {"val_loss": 1.0})


def test_a_keras_progress_line_pairs_each_key_after_its_dash():
    # Keras 2's progress line: the time and step rate before " - loss" are no part of the key
    line = "313/313 [==============================] - 2s 5ms/step - loss: 0.3000 - val_loss: 0.4000"
    assert pairs(line) == [("loss", "0.3000"), ("val_loss", "0.4000")]
    assert parse_line("Epoch 3/10 - loss: 0.1 - val-loss: 0.2") == (3, {"loss": 0.1, "val-loss": 0.2})


def test_keras_fit_output_reads_one_row_per_epoch():
    # real model.fit output (tests/fixtures/trainers/make_fixtures.py keras): verbose=2 prints
    # "5/5 - 4s - 795ms/step - loss: ... - val_loss: ..." per epoch; verbose=1 into a file
    # prints "Epoch N/12" then a progress line per batch, the last with the epoch's values
    two = load_history(FIXTURES / "trainers" / "keras_verbose2.log")
    one = load_history(FIXTURES / "trainers" / "keras_verbose1.log")
    assert set(two.columns) == {"loss", "val_loss"}
    assert list(two.index) == list(range(1, 13))
    assert list(one.index) == list(two.index)
    for key in ("loss", "val_loss"):
        assert list(one.columns[key]) == list(two.columns[key])  # same seed, same numbers
    first = (FIXTURES / "trainers" / "keras_verbose2.log").read_text().splitlines()[1]
    assert first.endswith(f"loss: {two.columns['loss'][0]:.4f} - val_loss: {two.columns['val_loss'][0]:.4f}")


def test_keras_evaluate_after_fit_is_not_the_last_epoch():
    # real output (make_fixtures.py keras_evaluate): model.fit(verbose=2) for 12 epochs, then
    # model.evaluate on a test split prints "4/4 - 0s - 29ms/step - loss: 0.4855 - mae: 0.5556",
    # which named no epoch and took the place of epoch 12's training values
    log = FIXTURES / "trainers" / "keras_fit_evaluate.log"
    lines = log.read_text().splitlines()
    h = load_history(log)
    assert list(h.index) == list(range(1, 13))
    assert lines[-2].endswith(
        f"loss: {h.columns['loss'][-1]:.4f} - mae: {h.columns['mae'][-1]:.4f} - val_loss: "
        f"{h.columns['val_loss'][-1]:.4f} - val_mae: {h.columns['val_mae'][-1]:.4f}"
    )
    assert len(h.notes) == 1 and f"line {len(lines)} first" in h.notes[0] and "model.evaluate" in h.notes[0]


def test_progress_lines_before_an_epochs_validation_values_still_count(tmp_path):
    # Keras verbose=1: per-batch lines without validation come before the line that has it
    path = tmp_path / "train.log"
    path.write_text(
        "Epoch 1/2\n1/2 - loss: 0.9\n2/2 - loss: 0.8 - val_loss: 0.85\nEpoch 2/2\n1/2 - loss: 0.7\n"
        "2/2 - loss: 0.6 - val_loss: 0.7\n"
    )
    h = load_history(path)
    assert list(h.columns["loss"]) == [0.8, 0.6] and not h.notes
