"""``python -m tests.fuzz --cases 10000``: the fuzz campaign; prints the counts and each
distinct failure (replay one with ``--replay INDEX``). Exit 1 when anything failed."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict

from . import DEFAULT_SEED, check_cli, check_in_process, run_cases, summary
from .mutate import make_case


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    ap.add_argument("--cases", type=int, default=1000, help="in-process cases (default 1000)")
    ap.add_argument("--cli", type=int, default=None, help="CLI cases (default: cases / 16)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--start", type=int, default=0, help="first case index")
    ap.add_argument("--replay", type=int, default=None, help="run one case in this process and show it")
    ap.add_argument("--save", default=None, help="write the replayed case's bytes to this file")
    args = ap.parse_args(argv)

    if args.replay is not None:
        import tempfile

        case = make_case(args.seed, args.replay)
        print(case.label, f"{len(case.data)} bytes")
        if args.save:
            open(args.save, "wb").write(case.data)
        with tempfile.TemporaryDirectory() as d:
            print("in process:", check_in_process(case, d, plot=True))
        with tempfile.TemporaryDirectory() as d:
            print("CLI:", check_cli(case, d))
        return 0

    started = time.monotonic()
    last = [0.0]

    def progress(camp):
        now = time.monotonic()
        if now - last[0] > 15:
            last[0] = now
            print(f"  {len(camp.outcomes)} done, {len(camp.failures())} failures", file=sys.stderr, flush=True)

    indices = range(args.start, args.start + args.cases)
    camp = run_cases(indices, args.seed, jobs=args.jobs, progress=progress)
    n_cli = args.cli if args.cli is not None else max(1, args.cases // 16)
    step = max(1, args.cases // max(1, n_cli))
    cli_camp = run_cases(list(indices)[::step][:n_cli], args.seed, jobs=args.jobs, cli=True, progress=progress)
    took = time.monotonic() - started

    counts, cli_counts = summary(camp), summary(cli_camp)
    unexpected = counts["unexpected"] + counts["warning"]
    print(
        f"fuzz seed {args.seed}: {len(camp.outcomes)} in-process cases, {len(cli_camp.outcomes)} through the CLI, {took:.0f} s"
    )
    print(
        f"  in process: {counts['ok']} read, {counts['input-error']} InputError, "
        f"{counts['unexpected']} unexpected exceptions, {counts['warning']} warnings, {counts['hang']} hangs"
    )
    print(
        f"  CLI: {cli_counts['ok']} exit 0 or 2, {cli_counts['exit-3']} exit 3, {cli_counts['hang']} hangs, "
        f"{sum(v for k, v in cli_counts.items() if k not in ('ok', 'exit-3', 'hang'))} other failures"
    )
    for name, c in (("in-process", camp), ("CLI", cli_camp)):
        slowest = max(c.outcomes, key=lambda o: o.cpu, default=None)
        if slowest:
            print(
                f"  slowest {name} case: {slowest.cpu:.2f} s of CPU time, {slowest.seconds:.2f} s wall (case {slowest.index})"
            )
    groups = defaultdict(list)
    for o in camp.failures() + cli_camp.failures():
        key = "hang" if o.kind == "hang" else re.sub(r"\d+", "N", o.detail.splitlines()[0] if o.detail else "")[:140]
        groups[(o.kind, key)].append(o.index)
    for (kind, key), idx in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        more = f" (all: {', '.join(map(str, idx[:20]))}{' ...' if len(idx) > 20 else ''})" if len(idx) > 1 else ""
        print(f"  {len(idx):5d} {kind}: {key}  e.g. --replay {idx[0]}{more}")
    failed = unexpected + counts["hang"] + len(cli_camp.failures())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
