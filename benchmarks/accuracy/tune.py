"""Tune the analysis on the development half only (in process, for speed).

    python benchmarks/accuracy/tune.py [name=value ...]

Scores overfitdoc with ``Settings(**overrides)`` on the dev runs and prints the headline
figures; the test half is never read here (``run.py`` scores it once, for RESULTS.md).
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

import score as score_mod
import truth as truth_mod

from overfitdoc import diagnose
from overfitdoc.analysis import Settings
from overfitdoc.report import run_report

HERE = Path(__file__).resolve().parent


def evaluate(settings: Settings, split: str = "dev") -> dict:
    truths = {rid: t for rid, t in truth_mod.label_all(truth_mod.load_records()).items() if t.split == split}
    preds = {}
    for rid in truths:
        d = diagnose(str(HERE / "runs" / f"{rid}.csv"), settings=settings)
        preds[rid] = score_mod.prediction_from_contract(run_report(d))
    return score_mod.score_predictor(truths, preds)


def headline(s: dict) -> str:
    v, b, dv, r = s["verdict"], s["binary"], s["divergence"], s["regret"]
    med = lambda x: x["median"] if x and x.get("median") is not None else float("nan")  # noqa: E731
    return (
        f"acc {v['accuracy']:.3f} (strict {v['accuracy_strict']:.3f})  prec {b['precision']:.2f} rec {b['recall']:.2f}  "
        f"falarm good {b['false_alarm_good_fit']:.2f}  div err med {med(dv['error_abs'])} frac {med(dv['error_fraction']):.3f}  "
        f"range hit {dv['range_hit_rate_all'] or 0:.2f}  regret all med {med(r['all']['absolute']):.3g} mean {r['all']['absolute']['mean']:.4g} "
        f"overfit {med(r['overfitting']['absolute']):.4f}"
    )


def main() -> None:
    names = {f.name: f.type for f in fields(Settings)}
    overrides = {}
    for arg in sys.argv[1:]:
        k, v = arg.split("=")
        overrides[k] = {"int": int, "float": float, "bool": lambda x: x.lower() in ("1", "true")}.get(names[k], str)(v)
    s = evaluate(Settings(**overrides))
    print(headline(s))
    conf = s["verdict"]["confusion"]
    cols = s["verdict"]["columns"]
    print("truth \\ pred".ljust(16) + " ".join(c[:8].rjust(8) for c in cols))
    for t, row in conf.items():
        print(t[:15].ljust(16) + " ".join(str(row[c]).rjust(8) for c in cols))


if __name__ == "__main__":
    main()
