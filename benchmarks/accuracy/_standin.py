"""A stand-in predictor with the contract's JSON shape, to test the benchmark without the tool.

``python benchmarks/accuracy/_standin.py FILE.csv ...`` prints one schema-1 report for Keras
CSVLogger files (``epoch,...,loss,...,val_loss``), deciding naively:

* recommended/best/divergence epoch = argmin of ``val_loss`` (range: 3 epochs either side);
* ``unstable`` if a loss is non-finite; ``overfitting`` if the final ``val_loss`` is more than
  10% above its minimum; ``still_improving`` if the minimum is in the last tenth of the run
  and the loss fell by more than 3% over that tenth; ``not_learning`` if the final training
  loss is above 90% of the first one; else ``good_fit``.

It is a baseline for plumbing, not a contender: run.py scores it as "standin".
"""

from __future__ import annotations

import csv
import json
import math
import sys


def read_keras_csv(path: str) -> dict[str, list[float]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {key: [float(row[key]) for row in rows] for key in rows[0]} if rows else {}


def diagnose(path: str) -> dict:
    try:
        cols = read_keras_csv(path)
        epochs, train, val = cols["epoch"], cols["loss"], cols["val_loss"]
    except (OSError, KeyError, ValueError) as exc:
        return {"source": path, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    base = int(epochs[0])
    finite = [(v, i) for i, v in enumerate(val) if math.isfinite(v)]
    best = min(finite)[1] if finite else 0
    n = len(val)
    k = max(3, n // 10)
    if not all(math.isfinite(x) for x in train + val):
        verdict = "unstable"
    elif val[-1] > 1.1 * val[best]:
        verdict = "overfitting"
    elif best >= n - 1 - k and n > k and val[n - 1 - k] > 1.03 * val[-1]:
        verdict = "still_improving"
    elif train[-1] > 0.9 * train[0]:
        verdict = "not_learning"
    else:
        verdict = "good_fit"
    overfit = verdict == "overfitting"
    return {
        "source": path,
        "ok": True,
        "format": "keras-csv",
        "epoch_base": base,
        "epochs": n,
        "monitor": {"metric": "loss", "train": "loss", "val": "val_loss", "mode": "min"},
        "series": ["loss"],
        "best_epoch": best + base,
        "best_val": val[best] if finite else None,
        "recommended_epoch": best + base,
        "divergence_epoch": best + base if overfit else None,
        "divergence_range": [max(best - 3, 0) + base, min(best + 3, n - 1) + base] if overfit else None,
        "epochs_past_best": n - 1 - best,
        "verdict": verdict,
        "confidence": 0.5,
        "summary": f"stand-in: {verdict}",
        "advice": [],
    }


def main(argv: list[str]) -> int:
    runs = [diagnose(path) for path in argv]
    report = {"schema_version": 1, "tool": {"name": "standin", "version": "0"}, "runs": runs}
    print(json.dumps(report, allow_nan=False, default=str))
    return 2 if any(not r["ok"] for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
