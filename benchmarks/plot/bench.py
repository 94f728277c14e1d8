"""Plot benchmark: drawing 10 runs (the 10 sample runs, or them twice when fewer) against
baselines measured in the same run, reported as ratios. Target: 10 runs well under a few
seconds, from the command line with a cold start.

Two measurements, each interleaved with its baseline so that load changes hit both alike:

* cold, from the command line: `overfitdoc plot <10 runs> -o out.png` (10 PNG files) and
  `--compare` (one figure), against `python -c "import matplotlib.pyplot"`;
* warm, in one process: `plot_diagnoses` of the 10 diagnoses (PNG, SVG), against rendering
  one empty figure to PNG; this is the drawing alone, without reading or start-up.

Usage: python benchmarks/plot/bench.py [--repeat 7] [--write]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLES = ROOT / "sample_runs"
N_RUNS = 10


def inputs() -> list[Path]:
    runs = sorted(SAMPLES.glob("*.csv")) + sorted(SAMPLES.glob("*.json"))
    if not runs:
        sys.exit("no sample runs: run sample_runs/make_samples.py first")
    while len(runs) < N_RUNS:
        runs = runs + runs
    return runs[:N_RUNS]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def timed_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cold(runs: list[Path], out: Path, repeat: int) -> dict[str, list[float]]:
    py = sys.executable
    files = [str(p) for p in runs]
    commands = {
        '`python -c "import matplotlib.pyplot"` (baseline)': [py, "-c", "import matplotlib.pyplot"],
        f"`overfitdoc plot` {len(runs)} runs -> {len(runs)} PNG files": [
            py,
            "-m",
            "overfitdoc",
            "plot",
            *files,
            "-o",
            str(out / "run.png"),
        ],
        f"`overfitdoc plot --compare` {len(runs)} runs -> 1 PNG": [
            py,
            "-m",
            "overfitdoc",
            "plot",
            *files,
            "--compare",
            "-o",
            str(out / "cmp.png"),
        ],
        "`overfitdoc diagnose` 1 run (no plot)": [py, "-m", "overfitdoc", "diagnose", files[0]],
    }
    for cmd in commands.values():  # warm the file cache
        timed(cmd)
    times: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(repeat):
        for name, cmd in commands.items():
            times[name].append(timed(cmd))
    return times


def warm(runs: list[Path], out: Path, repeat: int) -> dict[str, list[float]]:
    sys.path.insert(0, str(ROOT))
    from matplotlib.figure import Figure

    from overfitdoc.api import diagnose
    from overfitdoc.render.plot import plot_diagnoses, render

    diagnoses = [diagnose(str(p)) for p in runs]

    def empty_figure():
        Figure(figsize=(8, 7.4), dpi=100).savefig(BytesIO(), format="png")

    calls = {
        "one empty 8x7.4 in figure to PNG (baseline)": empty_figure,
        f"`plot_diagnoses` {len(runs)} runs -> PNG": lambda: plot_diagnoses(diagnoses, out / "w.png"),
        f"`plot_diagnoses` {len(runs)} runs -> SVG": lambda: plot_diagnoses(diagnoses, out / "w.svg"),
        f"`plot_diagnoses --compare` {len(runs)} runs -> PNG": lambda: plot_diagnoses(
            diagnoses, out / "c.png", compare=True
        ),
    }
    for fn in calls.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeat):
        for name, fn in calls.items():
            times[name].append(timed_call(fn))
    del render
    return times


def table(times: dict[str, list[float]]) -> str:
    names = list(times)
    base = statistics.median(times[names[0]])
    rows = ["| what | median wall time | ratio to the baseline |", "|---|---|---|"]
    for name in names:
        t = statistics.median(times[name])
        rows.append(f"| {name} | {t * 1000:.0f} ms | {t / base:.2f} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--write", action="store_true", help="write RESULTS.md beside this script")
    args = ap.parse_args()
    runs = inputs()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        cold_table = table(cold(runs, out, args.repeat))
        warm_table = table(warm(runs, out, args.repeat))
    print("Cold, from the command line\n" + cold_table + "\n\nWarm, in one process\n" + warm_table)
    if args.write:
        import matplotlib

        listed = ", ".join(p.name for p in runs)
        (HERE / "RESULTS.md").write_text(
            "# Plot benchmark\n\n"
            f"`python benchmarks/plot/bench.py --write`: median of {args.repeat} interleaved runs each, on "
            f"{platform.system()} ({os.cpu_count()} CPUs, shared) with Python {sys.version.split()[0]} and "
            f"matplotlib {matplotlib.__version__}. The {len(runs)} runs: {listed}. "
            "Target: 10 runs well under a few seconds from a cold start.\n\n"
            "## Cold, from the command line\n\n"
            "Each command is a fresh process: start-up, reading, diagnosing, drawing and writing.\n\n"
            f"{cold_table}\n\n"
            "## Warm, in one process\n\n"
            "Drawing and writing only (the runs are diagnosed beforehand).\n\n"
            f"{warm_table}\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
