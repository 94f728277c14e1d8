"""Wall time of `overfitdoc rerun --batched` (CI size, CPU): one run, 6 runs threaded, 6 runs
stacked, measured in the same process one after another.

The 6 runs are the baseline and 5 variants that can all be stacked (early stopping, weight
decay, higher lr, label smoothing, a one-cycle schedule), 1 seed, so the ratios say what the
5 extra runs cost: 6.0 is no gain, 1.0 would make them free.

    python benchmarks/rerun/bench_batched.py                 # prints a markdown table
    python benchmarks/rerun/bench_batched.py --epochs 30 --repeat 5

Medians of ``--repeat`` rounds after one warm-up; in each round the three configurations
run in turn (so a load change on a shared machine hits all three alike).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from overfitdoc.rerun import rerun  # noqa: E402

FIVE = "early-stopping,weight-decay,higher-lr,label-smoothing,lr-schedule"
CONFIGS = {
    "1 run": dict(fixes="none", batched=False),
    "6 runs, threaded (--jobs auto)": dict(fixes=FIVE, batched=False),
    "6 runs, --batched": dict(fixes=FIVE, batched=True),
}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", default=str(ROOT / "examples" / "binary_mlp.py"))
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, list[float]] = {k: [] for k in CONFIGS}
    for kw in CONFIGS.values():  # warm-up
        rerun(args.spec, seeds=1, epochs=2, device="cpu", plot=False, **kw)
    for _ in range(args.repeat):
        for k, kw in CONFIGS.items():
            t0 = time.perf_counter()
            res = rerun(args.spec, seeds=1, epochs=args.epochs, device="cpu", plot=False, **kw)
            times[k].append(time.perf_counter() - t0)
            assert all(u.status == "done" for u in res.units)
            if kw["batched"]:
                assert res.report["setup"]["batched"]["stacks"][0]["runs"] == 6, res.report["setup"]["batched"]
    one = statistics.median(times["1 run"])
    print(f"device: cpu ({cpu_model()}), torch {torch.__version__}, Python {platform.python_version()}")
    print(f"spec {Path(args.spec).name}, {args.epochs} epochs, medians of {args.repeat}\n")
    print("| configuration | seconds (median) | ratio to 1 run |")
    print("|---|---|---|")
    for k, ts in times.items():
        m = statistics.median(ts)
        print(f"| {k} | {m:.2f} | {m / one:.2f} |")


if __name__ == "__main__":
    main()
