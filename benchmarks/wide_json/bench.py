"""Benchmark: a JSON history with very many keys (columns).

Generates ``{"loss": [...], "val_loss": [...], "metric_0": [...], ...}`` with K keys for each
K asked (default 1,000, 10,000, 100,000), times ``overfitdoc.api.diagnose`` on it (reading,
pairing, the analysis) in this process, and prints the time per key and its ratio to the
smallest K's: linear work keeps the ratio near 1. It also counts how often each name is
normalised (``naming._normalise``): once per key since issue 16 (was ~24 times, and a
10^6-key file took 90-111 s). The files are SIMULATED: a speed test, not a diagnosis.

    python benchmarks/wide_json/bench.py [--keys 1000 10000 100000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def make_doc(keys: int) -> dict:
    doc = {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.95, 0.93, 0.94]}
    doc.update({f"metric_{i}": [1.0, 2.0, 3.0, 4.0] for i in range(keys - 2)})
    return doc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()

    from overfitdoc import naming
    from overfitdoc.api import diagnose

    real = naming._normalise
    calls = [0]

    def counted(name: str) -> str:
        calls[0] += 1
        return real(name)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        diagnose(str(ROOT / "sample_runs" / "overfit.csv"))  # warm: imports, registration
        for keys in sorted(args.keys):
            path = Path(tmp) / f"wide-{keys}.json"
            path.write_text(json.dumps(make_doc(keys)))
            times = []
            for _ in range(args.repeat):
                calls[0] = 0
                naming._normalise = counted
                try:
                    t = time.perf_counter()
                    d = diagnose(str(path))
                    times.append(time.perf_counter() - t)
                finally:
                    naming._normalise = real
            assert d.monitor is not None and d.monitor.metric == "loss", d.monitor
            rows.append((keys, min(times), calls[0]))
            print(
                f"{keys:>9,} keys  {min(times):8.3f} s  {min(times) / keys * 1e6:7.1f} us/key  "
                f"normalised {calls[0] / keys:.2f} times per key",
                flush=True,
            )
    base = rows[0][1] / rows[0][0]
    ratios = [(k, (t / k) / base) for k, t, _ in rows]
    for k, r in ratios:
        print(f"time per key at {k:,} keys / at {rows[0][0]:,} keys: {r:.2f}")
    if not args.no_write:
        write_results(args, rows, ratios)
    worst = max(r for _, r in ratios)
    print("target (time per key within 3x of the smallest file's):", "met" if worst <= 3 else "NOT met")
    return 0


def write_results(args, rows, ratios) -> None:
    import numpy as np

    lines = [
        "# Wide JSON benchmark",
        "",
        "Written by `python benchmarks/wide_json/bench.py` (the numbers below are from its last run;",
        "the files are simulated: a speed test of reading and diagnosing many columns).",
        "",
        f'* files: `{{"loss": [...], "val_loss": [...], "metric_N": [...]}}`, 4 epochs, {", ".join(f"{k:,}" for k, _, _ in rows)} keys',
        f"* machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
        f"numpy {np.__version__}",
        f"* best of {args.repeat} runs each, `overfitdoc.api.diagnose(path)` in process",
        "",
        "| keys | seconds | us per key | time per key / smallest file's | normalised per key |",
        "|---:|---:|---:|---:|---:|",
    ]
    for (k, t, c), (_, r) in zip(rows, ratios):
        lines.append(f"| {k:,} | {t:.3f} | {t / k * 1e6:.1f} | {r:.2f} | {c / k:.2f} |")
    lines += [
        "",
        "Target: the time per key stays within 3x of the smallest file's (linear work); each name",
        "is normalised once. Before issue 16 each name was normalised ~24 times and a 10^6-key file",
        "took 90-111 s. The machine is shared: single figures vary by tens of percent.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
