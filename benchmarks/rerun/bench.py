"""Wall time of `overfitdoc rerun`: the baseline alone against the baseline plus 5 variants.

Each variant of the 5 trains as many steps as the baseline (weight decay, dropout, label
smoothing, data augmentation, a one-cycle schedule), so the ratio measures what running them
side by side costs: 6.0 means no gain from concurrency, 1.0 means the variants were free.
Target on a GPU: 6 runs in at most twice the time of one (ratio <= 2).

    python benchmarks/rerun/bench.py                   # CPU, and CUDA when available
    python benchmarks/rerun/bench.py --epochs 30 --repeat 3 --markdown

Times are medians of ``--repeat`` runs after one warm-up, measured around the library call
(data placement and the first-batch check included, Python start-up and imports excluded).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from overfitdoc.rerun import rerun  # noqa: E402
from overfitdoc.rerun.executor import cpu_cores  # noqa: E402

FIVE = "weight-decay,dropout,label-smoothing,data-augmentation,lr-schedule"


def timed(spec: str, fixes: str, *, device: str, epochs: int, jobs: int, amp: bool, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = rerun(spec, fixes=fixes, seeds=1, epochs=epochs, device=device, jobs=jobs, amp=amp, out_dir=None)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        assert all(u.status == "done" for u in res.units), [(u.label, u.status, u.error) for u in res.units]
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(ROOT / "examples" / "binary_mlp.py"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--markdown", action="store_true", help="print a markdown table for RESULTS.md")
    args = ap.parse_args()

    configs = [("cpu", 0, False), ("cpu", 1, False)]
    if torch.cuda.is_available():
        configs += [("cuda", 0, False), ("cuda", 1, False), ("cuda", 0, True)]
    rows = []
    for device, jobs, amp in configs:
        timed(args.spec, "none", device=device, epochs=2, jobs=jobs, amp=amp, repeat=1)  # warm-up
        one = timed(args.spec, "none", device=device, epochs=args.epochs, jobs=jobs, amp=amp, repeat=args.repeat)
        six = timed(args.spec, FIVE, device=device, epochs=args.epochs, jobs=jobs, amp=amp, repeat=args.repeat)
        jobs_used = jobs or (min(6, 8) if device == "cuda" else min(6, cpu_cores()))
        rows.append(
            (device + (" bf16" if amp else ""), "auto" if jobs == 0 else str(jobs), jobs_used, one, six, six / one)
        )
        print(
            f"{rows[-1][0]:<10} jobs {rows[-1][1]:>4} ({jobs_used}): baseline {one:6.2f} s, "
            f"baseline + 5 variants {six:6.2f} s, ratio {six / one:4.2f}",
            flush=True,
        )

    if args.markdown:
        gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
        print()
        print(
            f"Spec `{Path(args.spec).relative_to(ROOT)}`, {args.epochs} epochs, 1 seed; median of {args.repeat}. "
            f"torch {torch.__version__}, Python {platform.python_version()}, {cpu_cores()} CPU cores "
            f"(os.cpu_count {os.cpu_count()}), GPU: {gpu}."
        )
        print()
        print("| device | --jobs | concurrent runs | baseline alone (s) | baseline + 5 variants (s) | ratio |")
        print("|---|---|---|---|---|---|")
        for dev, jobs, used, one, six, ratio in rows:
            print(f"| {dev} | {jobs} | {used} | {one:.2f} | {six:.2f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
