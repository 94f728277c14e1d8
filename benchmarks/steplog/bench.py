"""Benchmark: reading a million-row step-level log.

Generates a 1,000,000-row CSV as a hand-written training loop writes it (``step,train_loss,
val_loss``: the training loss every step, the validation loss every 1000 steps, empty cells
between), then times, in the same run:

* ``pandas.read_csv`` of the file (in this process, and as ``python -c`` so that interpreter
  start-up and the pandas import are counted as they are for the CLI);
* ``python -m overfitdoc diagnose FILE --format json`` (the whole CLI: start-up, detection,
  reading, pairing, analysis, JSON), when the CLI is there;
* ``overfitdoc.readers.load_history`` + ``History.aligned`` in this process.

and prints the ratios (target: overfitdoc within 2x of pandas.read_csv). The numbers are
SIMULATED (a seeded noisy decaying curve): this benchmarks the reader's speed, not a
diagnosis, so no real training run is needed. Results go to RESULTS.md beside this file.

    python benchmarks/steplog/bench.py [--rows 1000000] [--repeat 3] [--no-write]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))


def make_log(path: Path, rows: int, every: int = 1000, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    step = np.arange(1, rows + 1)
    curve = 2.0 * np.exp(-step / (rows / 5)) + 0.3
    train = curve + 0.05 * rng.standard_normal(rows)
    val = curve + 0.1 + 0.2 * (step / rows) ** 2 + 0.01 * rng.standard_normal(rows)
    train_s = np.char.mod("%.6f", train)
    val_s = np.where(step % every == 0, np.char.mod("%.6f", val), "")
    lines = np.char.add(np.char.add(np.char.add(np.char.add(step.astype(str), ","), train_s), ","), val_s)
    path.write_text("step,train_loss,val_loss\n" + "\n".join(lines.tolist()) + "\n")


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()

    import pandas as pd

    from overfitdoc.readers import load_history

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "steplog.csv"
        t = time.perf_counter()
        make_log(path, args.rows)
        gen = time.perf_counter() - t
        size_mb = path.stat().st_size / 2**20
        print(f"generated {args.rows:,} rows ({size_mb:.1f} MiB) in {gen:.2f} s", flush=True)

        def ours():
            h = load_history(path)
            h.aligned(h.monitor())
            return h

        h = ours()  # warm: imports, registration
        idx = h.aligned(h.monitor())[0]
        assert h.format == "step-csv" and len(h) == args.rows and len(idx) == args.rows // 1000, (h.format, len(h))
        t_pd = best(lambda: pd.read_csv(path), args.repeat)
        t_ours = best(ours, args.repeat)
        pd_cmd = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"]
        t_pd_proc = best(lambda: run(pd_cmd), args.repeat)
        our_cmd = [
            sys.executable,
            "-c",
            f"from overfitdoc.readers import load_history as L; h = L({str(path)!r}); h.aligned(h.monitor())",
        ]
        t_our_proc = best(lambda: run(our_cmd), args.repeat)
        cli = importlib.util.find_spec("overfitdoc.cli") is not None
        t_cli = None
        cli_note = ""
        if cli:
            cmd = [sys.executable, "-m", "overfitdoc", "diagnose", str(path), "--format", "json"]
            probe = run(cmd)
            if probe.returncode in (0, 1) and probe.stdout.lstrip().startswith("{"):
                t_cli = best(lambda: run(cmd), args.repeat)
            else:
                cli_note = f"CLI did not run (exit {probe.returncode}: {probe.stderr.strip()[-200:]})"

    rows = [
        ("pandas.read_csv (in process)", t_pd),
        ("load_history + aligned (in process)", t_ours),
        ("python -c 'import pandas; pandas.read_csv(FILE)'", t_pd_proc),
        ("python -c 'load_history(FILE) + aligned'", t_our_proc),
    ]
    if t_cli is not None:
        rows.append(("python -m overfitdoc diagnose FILE --format json", t_cli))
    ratio_inproc = t_ours / t_pd
    ratio_proc = t_our_proc / t_pd_proc
    ratio_cli = t_cli / t_pd_proc if t_cli is not None else None
    for name, secs in rows:
        print(f"{secs:8.3f} s  {name}")
    print(f"ratio in process (load_history + aligned / read_csv): {ratio_inproc:.2f}")
    print(f"ratio as commands (python -c load_history + aligned / python -c read_csv): {ratio_proc:.2f}")
    if ratio_cli is not None:
        print(f"ratio as commands (overfitdoc diagnose / python -c read_csv): {ratio_cli:.2f}")
    elif cli_note:
        print(cli_note)
    if not args.no_write:
        write_results(args, size_mb, rows, ratio_inproc, ratio_proc, ratio_cli, cli_note)
    # the target is about the diagnosis: `overfitdoc diagnose FILE` against reading FILE with
    # pandas, each as the command a user runs (interpreter and imports included in both);
    # the in-process ratio of the reader alone is printed for information
    judged = ratio_cli if ratio_cli is not None else ratio_proc
    print("target (diagnose within 2x of python -c read_csv):", "met" if judged <= 2 else "NOT met")
    return 0


def write_results(args, size_mb, rows, ratio_inproc, ratio_proc, ratio_cli, cli_note) -> None:
    import pandas as pd

    lines = [
        "# Step-log reading benchmark",
        "",
        "Written by `python benchmarks/steplog/bench.py` (the numbers below are from its last run;",
        "the log is simulated, seeded: a reader speed test, not a diagnosis).",
        "",
        f"* file: {args.rows:,} rows, `step,train_loss,val_loss`, validation every 1000 steps ({size_mb:.1f} MiB)",
        f"* machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}, "
        f"pandas {pd.__version__}, numpy {np.__version__}",
        f"* best of {args.repeat} runs each",
        "",
        "| what | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {secs:.3f} |" for name, secs in rows]
    lines += [
        "",
        f"Ratio in process, `load_history` + `aligned` over `pandas.read_csv`: **{ratio_inproc:.2f}**.",
        f"Ratio as commands, `python -c` reading with overfitdoc over `python -c` reading with pandas: "
        f"**{ratio_proc:.2f}**.",
    ]
    if ratio_cli is not None:
        lines.append(
            f"Ratio as commands, `overfitdoc diagnose --format json` over `python -c` + `read_csv`: "
            f"**{ratio_cli:.2f}**."
        )
    elif cli_note:
        lines.append(cli_note)
    lines += [
        "",
        "Target: at most 2 (reading a step log costs no more than twice pandas reading it).",
        "The CLI figure also counts the CLI's imports and the analysis, which are not the reader's;",
        "the machine is shared, so single figures vary by tens of percent from run to run.",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
