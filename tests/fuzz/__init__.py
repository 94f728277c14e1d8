"""The fuzz suite: seeded bad inputs made from the project's own fixtures (:mod:`.mutate`).

In process, reading (``load_history``), the analysis, advice, the report and every renderer
may raise only :class:`~overfitdoc.errors.InputError` on a bad input; anything else, a numpy
warning, or a case past its time budget is a failure. A sample goes through the CLI in a
subprocess: never exit 3, never a traceback or a warning on stderr, never a hang.

``python -m tests.fuzz --cases 10000`` runs the campaign (see ``__main__``); ``test_fuzz.py``
runs a few hundred cases in the test suite.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .mutate import ROOT, Case, make_case

DEFAULT_SEED = 16
# A case's budget is CPU time, its own (the worker's, or the CLI subprocess's): past it, the
# case hangs. Wall-clock time on a machine shared with other work would count their load too:
# a 26 MB case that takes 6 s alone took over 10 s beside them. The wall clock is the safety
# net for a case that blocks without computing (a read that waits forever): past WALL_FACTOR
# times the budget it is killed and counted as a hang.
CASE_BUDGET_S = 10.0  # in process
CLI_BUDGET_S = 30.0
WALL_FACTOR = 3
PLOT_EVERY = 25  # one case in PLOT_EVERY is also drawn with matplotlib


@dataclass
class Outcome:
    index: int
    kind: str  # "ok", "input-error", "unexpected", "warning", "hang", "exit-3", "traceback"
    detail: str = ""
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # CPU time of the case's own work


def check_in_process(case: Case, workdir: str, plot: bool = False) -> Outcome:
    """Read, diagnose, advise, report and render one case; classify what happened."""
    from overfitdoc.errors import InputError

    path = Path(workdir) / case.name
    path.write_bytes(case.data)
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _pipeline(str(path), workdir, plot)
            kind, detail = "ok", ""
        except InputError as e:
            kind, detail = "input-error", e.reason
        except BaseException as e:  # noqa: BLE001  (RecursionError, MemoryError, ... all count)
            if isinstance(e, KeyboardInterrupt):
                raise
            tb = traceback.extract_tb(e.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            kind, detail = "unexpected", f"{type(e).__name__}: {str(e)[:200]} ({where})"
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    bad = [w for w in caught if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))]
    if kind != "unexpected" and bad:
        w = bad[0]
        kind, detail = "warning", f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
    if kind in ("ok", "input-error") and cpu > CASE_BUDGET_S:
        kind, detail = "hang", f"{cpu:.1f} s of CPU time (the budget is {CASE_BUDGET_S:.0f} s)"
    return Outcome(case.index, kind, detail, seconds, cpu)


def _pipeline(path: str, workdir: str, plot: bool) -> None:
    from rich.console import Console

    from overfitdoc.advice import advise
    from overfitdoc.api import diagnose
    from overfitdoc.readers import load_history
    from overfitdoc.render.json import render_json
    from overfitdoc.render.markdown import render_markdown
    from overfitdoc.render.text import print_text
    from overfitdoc.report import report, run_report

    h = load_history(path)
    d = diagnose(h)
    run = run_report(d, advise(d, top=5))
    rep = report([run])
    render_json(rep)
    render_markdown(rep, {})
    for enc in ("utf-8", "ascii"):
        buf = io.TextIOWrapper(io.BytesIO(), encoding=enc, errors="strict")
        print_text(rep, {0: d}, Console(file=buf, width=100, color_system=None), chart=True)
        buf.flush()
    if plot:
        from overfitdoc.render.plot import plot_diagnoses

        plot_diagnoses([d], os.path.join(workdir, "out.png"))


def check_cli(case: Case, workdir: str, budget: float = CLI_BUDGET_S) -> Outcome:
    """``overfitdoc diagnose`` on the case in a subprocess: exit 0 or 2, a clean stderr."""
    path = Path(workdir) / case.name
    path.write_bytes(case.data)
    start, children = time.perf_counter(), _children_cpu()
    env = dict(os.environ, NO_COLOR="1", PYTHONWARNINGS="default")
    try:
        p = subprocess.run(
            [sys.executable, "-m", "overfitdoc", "diagnose", str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=budget * WALL_FACTOR,
        )
    except subprocess.TimeoutExpired:
        return Outcome(case.index, "hang", f"CLI past {budget * WALL_FACTOR:.0f} s", time.perf_counter() - start)
    seconds, cpu = time.perf_counter() - start, _children_cpu() - children

    def out(kind: str, detail: str = "") -> Outcome:
        return Outcome(case.index, kind, detail, seconds, cpu)

    err = p.stderr.decode("utf-8", "replace")
    if p.returncode not in (0, 2):
        return out("exit-3" if p.returncode == 3 else f"exit-{p.returncode}", err[-300:])
    if "Traceback" in err or "Warning" in err:
        return out("traceback", err[-300:])
    if p.returncode == 2 and len(err.strip().splitlines()) != 1:
        return out("traceback", "exit 2 without exactly one line: " + err[-300:])
    if cpu > budget:
        return out("hang", f"CLI took {cpu:.1f} s of CPU time (the budget is {budget:.0f} s)")
    return out("ok")


def _children_cpu() -> float:
    """CPU time of the finished child processes so far (0 where ``resource`` is missing)."""
    try:
        import resource
    except ImportError:
        return 0.0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------ worker processes


def _worker(conn, seed: int, cli: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="overfitdoc-fuzz-") as workdir:
        while True:
            index = conn.recv()
            if index is None:
                return
            case = make_case(seed, index)
            sub = os.path.join(workdir, str(index))
            os.makedirs(sub, exist_ok=True)
            try:
                if cli:
                    out = check_cli(case, sub)
                else:
                    out = check_in_process(case, sub, plot=index % PLOT_EVERY == 0)
            finally:
                for f in os.listdir(sub):
                    os.unlink(os.path.join(sub, f))
                os.rmdir(sub)
            conn.send(out)


@dataclass
class Campaign:
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(o.kind == kind for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind not in ("ok", "input-error")]


def run_cases(
    indices, seed: int = DEFAULT_SEED, *, jobs: int = 2, cli: bool = False, budget: float | None = None, progress=None
) -> Campaign:
    """Run the cases in ``jobs`` worker processes. A case past its CPU budget is a hang (see
    CASE_BUDGET_S); one past ``budget`` seconds of wall clock (default: WALL_FACTOR times the
    CPU budget) is a hang too, its worker killed and replaced."""
    budget = budget or (CLI_BUDGET_S * WALL_FACTOR + 5 if cli else CASE_BUDGET_S * WALL_FACTOR)
    ctx = mp.get_context("spawn" if sys.platform == "win32" else "fork")
    todo = list(indices)
    camp = Campaign(seed)
    workers: list[list] = []  # [process, conn, index or None, started]

    def start():
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, seed, cli), daemon=True)
        proc.start()
        return [proc, parent, None, 0.0]

    workers = [start() for _ in range(max(1, jobs))]
    try:
        while todo or any(w[2] is not None for w in workers):
            for w in workers:
                if w[2] is None and todo:
                    w[2], w[3] = todo.pop(0), time.monotonic()
                    w[1].send(w[2])
            for k, w in enumerate(workers):
                if w[2] is None:
                    continue
                if w[1].poll(0.01):
                    try:
                        out = w[1].recv()
                    except EOFError:
                        out = Outcome(w[2], "unexpected", "worker died (killed by the OS?)")
                        w[0].join(1)
                        workers[k] = w = start()
                    camp.outcomes.append(out)
                    w[2] = None
                    if progress:
                        progress(camp)
                elif not w[0].is_alive() or time.monotonic() - w[3] > budget:
                    kind = "hang" if w[0].is_alive() else "unexpected"
                    camp.outcomes.append(
                        Outcome(w[2], kind, f"past {budget:.0f} s" if kind == "hang" else "worker died")
                    )
                    w[0].kill()
                    w[0].join()
                    workers[k] = start()
                    if progress:
                        progress(camp)
    finally:
        for w in workers:
            try:
                w[1].send(None)
            except OSError:
                pass
            w[0].join(2)
            if w[0].is_alive():
                w[0].kill()
    camp.outcomes.sort(key=lambda o: o.index)
    return camp


def summary(camp: Campaign) -> Counter:
    return Counter(o.kind for o in camp.outcomes)
