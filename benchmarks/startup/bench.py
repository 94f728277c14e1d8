"""Start-up benchmark: one `overfitdoc diagnose` of a 100-epoch history against
`python -c "import pandas"`, measured in the same run, reported as a ratio (target < 1.5).

The history is a real training log: `history_100_epochs.csv` is byte-exact
runs/detect/train7/results.csv from github.com/Kiran261101/dental-xray-ai at commit
0d590001d0b8 (Ultralytics YOLO, 100 epochs).

Usage: python benchmarks/startup/bench.py [--repeat 15] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HISTORY = HERE / "history_100_epochs.csv"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--write", action="store_true", help="write RESULTS.md beside this script")
    args = ap.parse_args()
    baseline = [sys.executable, "-c", "import pandas"]
    variants = {
        "diagnose (text)": [sys.executable, "-m", "overfitdoc", "diagnose", str(HISTORY)],
        "diagnose --format json": [sys.executable, "-m", "overfitdoc", "diagnose", str(HISTORY), "--format", "json"],
    }
    for cmd in [baseline, *variants.values()]:  # warm the file cache
        timed(cmd)
    times: dict[str, list[float]] = {"import pandas": [], **{k: [] for k in variants}}
    for _ in range(args.repeat):  # interleaved, so load changes hit all alike
        times["import pandas"].append(timed(baseline))
        for name, cmd in variants.items():
            times[name].append(timed(cmd))
    base = statistics.median(times["import pandas"])
    rows = ["| command | median wall time | ratio to `import pandas` |", "|---|---|---|"]
    for name, ts in times.items():
        rows.append(f"| {name} | {statistics.median(ts) * 1000:.0f} ms | {statistics.median(ts) / base:.2f} |")
    table = "\n".join(rows)
    print(table)
    if args.write:
        (HERE / "RESULTS.md").write_text(
            "# Start-up benchmark\n\n`python benchmarks/startup/bench.py --write`: median of "
            f"{args.repeat} interleaved runs each, on {sys.platform} with Python "
            f"{sys.version.split()[0]}. Target: ratio below 1.5.\n\n{table}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
