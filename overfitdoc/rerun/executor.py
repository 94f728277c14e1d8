"""Run many units (variant x seed) at once, so that K small variants cost far less than K runs.

Each of ``jobs`` worker threads takes the next unit and trains it; on a GPU each worker has
its own CUDA stream, so the kernels of different variants overlap on the device while the
threads overlap their Python and launch overhead (torch releases the GIL inside its
operations). Threads rather than processes: the data lives once on the device and is
shared; every unit has its own model, optimizer and random generators, so nothing is
shared that a run writes to. With ``jobs == 1`` the units run one after another in the
calling thread, through the same :func:`run_unit`. On a CPU each concurrent run gets its
share of the cores for torch's intra-op threads (:func:`threads_per_job`).

Stopping: Ctrl-C in the main thread (or a KeyboardInterrupt from a progress callback in any
thread) sets ``stop``; every running unit ends at its next batch and keeps the epochs it
finished (status ``partial``); units not started stay ``pending``. A second Ctrl-C while the
main thread waits for the running units stops the waiting: those units are ``partial`` too.

Timeouts (``timeout``, ``--timeout``): each run gets that many seconds from its start. Past
them it stops at its next batch (status ``timed_out``, its finished epochs kept). A run that
does not get there (stuck inside the spec's code) is abandoned :func:`abandon_after` seconds
later: it is marked ``timed_out``, its history is written as it stands, and a fresh worker
takes its place, so the other runs go on. With a timeout every unit runs in a worker thread,
also with ``jobs == 1``, so that the main thread can watch the deadlines.

Nothing ends a worker silently: an exception that escapes a run (a ``sys.exit`` in the spec's
code, an error writing its history) fails that run with the reason and the worker goes on
with the next; a unit still ``running`` when its worker has gone is ``failed`` (``partial``
when the re-run was interrupted). No unit is left ``running``.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable

import torch

from .prepare import Prepared
from .spec import _first_line, exit_call
from .trainer import GLOBAL_RNG, Trainer, Unit

#: at most this many concurrent runs on one GPU by default
MAX_GPU_JOBS = 8


def cpu_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def default_jobs(device: torch.device, n_units: int) -> int:
    """All units at once on a GPU (up to 8); one per CPU core on a CPU."""
    if device.type == "cuda":
        return max(1, min(n_units, MAX_GPU_JOBS))
    return max(1, min(n_units, cpu_cores()))


#: below this many multiply-adds per training batch (parameters x batch size), a CPU run
#: uses one intra-op thread
SMALL_STEP = 5e7


def threads_per_job(prep: Prepared, jobs: int) -> int:
    """torch's intra-op threads for each of ``jobs`` concurrent CPU runs: one for a small
    model (its operations are too small to split, and on a busy machine the threads'
    spin-waiting makes each step many times slower), else an equal share of the cores."""
    if prep.param_count * prep.batch_size < SMALL_STEP:
        return 1
    return max(1, cpu_cores() // max(1, jobs))


@contextlib.contextmanager
def cpu_threads(prep: Prepared, jobs: int):
    """Set torch's intra-op threads for the re-run on a CPU (restored afterwards)."""
    if prep.device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads_per_job(prep, jobs))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_unit(
    unit: Unit,
    prep: Prepared,
    stop: threading.Event,
    *,
    stream=None,
    on_epoch: Callable | None = None,
    on_done: Callable[[Unit], None] | None = None,
    keep_trainer: bool = False,
    keep_model: bool = True,
) -> Unit:
    """Train one unit (on ``stream`` when given); a failure is recorded, never raised.
    ``keep_model=False`` drops the trained model once its history is out (frees the GPU)."""
    ctx = torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext()
    trainer = None
    if unit.timeout is not None:
        unit.deadline = time.monotonic() + unit.timeout
    with ctx:
        try:
            trainer = Trainer(unit, prep)
            trainer.run(stop, on_epoch)
        except SystemExit as e:  # the spec's own code called sys.exit: this run fails, not overfitdoc
            unit.status = "failed"
            unit.error = f"the spec called {exit_call(e)} in training"
        except Exception as e:  # noqa: BLE001 - one run failing must not take the others down
            unit.status = "failed"
            unit.error = f"{type(e).__name__}: {_first_line(e)}"
        if stream is not None:
            stream.synchronize()
    if unit.abandoned:  # the re-run went on without it and wrote its history as it stood
        unit.status = "timed_out"
        return unit
    return hand_over(unit, trainer, on_done, keep_trainer, keep_model)


def hand_over(
    unit: Unit, trainer: Trainer | None, on_done: Callable[[Unit], None] | None, keep_trainer: bool, keep_model: bool
) -> Unit:
    """A unit whose training ended: keep its trainer when asked, tell ``on_done``, then drop the
    model unless it is kept (frees the GPU). Shared by the threaded and the stacked runs."""
    if keep_trainer:
        unit.trainer = trainer
    if on_done is not None:
        on_done(unit)
    if not keep_model and not keep_trainer:
        unit.model = None
    return unit


def execute(
    units: list[Unit],
    prep: Prepared,
    *,
    jobs: int,
    stop: threading.Event,
    on_epoch: Callable | None = None,
    on_done: Callable[[Unit], None] | None = None,
    keep_trainers: bool = False,
    keep_models: bool = True,
    timeout: float | None = None,
) -> bool:
    """Train every pending unit; -> True when the re-run was interrupted. ``timeout``: the
    most seconds each run may take (see the module docstring)."""
    pending = [u for u in units if u.status == "pending"]
    for u in pending:
        u.timeout = timeout
    with cpu_threads(prep, jobs):
        return _execute(
            pending,
            prep,
            jobs=jobs,
            stop=stop,
            timeout=timeout,
            kw=dict(on_epoch=on_epoch, on_done=on_done, keep_trainer=keep_trainers, keep_model=keep_models),
        )


def abandon_after(timeout: float) -> float:
    """Seconds past its deadline after which a run that has not stopped at a batch is
    abandoned: a quarter of the timeout, at least 2 s (one batch may be slow)."""
    return max(2.0, 0.25 * timeout)


def lost(unit: Unit, e: BaseException) -> None:
    """An exception escaped the run (after training: writing its history, the caller's
    callback): the run failed, with the reason."""
    if unit.abandoned:
        return
    unit.status = "failed"
    unit.error = f"the run stopped on {type(e).__name__}: {_first_line(e)}"


def _settle(pending: list[Unit], stop: threading.Event) -> None:
    """No unit stays ``running`` once its worker is gone."""
    for u in pending:
        if u.status == "running":
            if stop.is_set():
                u.status = "partial"
            else:
                u.status = "failed"
                u.error = u.error or "its worker thread ended without finishing it"


def _execute(
    pending: list[Unit], prep: Prepared, *, jobs: int, stop: threading.Event, timeout: float | None, kw: dict
) -> bool:
    if timeout is None and (jobs <= 1 or len(pending) <= 1):
        for u in pending:
            if stop.is_set():
                break
            try:
                run_unit(u, prep, stop, **kw)
            except KeyboardInterrupt:  # in on_done, between units
                stop.set()
            except Exception as e:  # noqa: BLE001 - reported on the run, the others go on
                lost(u, e)
        _settle(pending, stop)
        return stop.is_set()

    cuda = prep.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(prep.device)  # the data was placed on the default stream
    lock = threading.Lock()
    queue = iter(pending)
    current: dict[threading.Thread, Unit] = {}  # what each worker is training
    on_done = kw.get("on_done")

    def worker() -> None:
        stream = torch.cuda.Stream(prep.device) if cuda else None
        me = threading.current_thread()
        while not stop.is_set():
            with lock:
                unit = next(queue, None)
                if unit is None:
                    return
                current[me] = unit
            try:
                run_unit(unit, prep, stop, stream=stream, **kw)
            except KeyboardInterrupt:
                stop.set()
            except BaseException as e:  # noqa: BLE001 - a worker never dies silently
                lost(unit, e)
            with lock:
                current.pop(me, None)
                if unit.abandoned:
                    return  # a fresh worker took this one's place

    threads: list[threading.Thread] = []
    left: set[threading.Thread] = set()  # workers stuck in an abandoned run: not waited for

    def spawn() -> None:
        t = threading.Thread(target=worker, name=f"overfitdoc-rerun-{len(threads)}", daemon=True)
        threads.append(t)
        t.start()

    def overdue() -> None:
        """Abandon the runs stuck past their deadline; a fresh worker for each."""
        assert timeout is not None
        now = time.monotonic()
        with lock:
            stuck = [
                (t, u)
                for t, u in current.items()
                if u.deadline is not None and now > u.deadline + abandon_after(timeout) and not u.abandoned
            ]
            for t, u in stuck:
                u.abandoned = True
                GLOBAL_RNG.revoke(u)  # stuck in its turn with the global generators: the others go on
                u.status = "timed_out"
                n = len(u.rows)
                u.error = (
                    f"timed out: did not return within --timeout {timeout:g} s (and {abandon_after(timeout):g} s "
                    f"more to stop at a batch): abandoned; {n} finished epoch{'s' if n != 1 else ''} kept"
                )
                del current[t]
                left.add(t)
        for _, u in stuck:
            if on_done is not None:
                try:
                    on_done(u)  # its history as it stands
                except Exception as e:  # noqa: BLE001
                    u.error = f"{u.error}; its history could not be written: {type(e).__name__}: {_first_line(e)}"
            if not stop.is_set():
                spawn()

    def wait() -> None:
        while True:
            with lock:
                alive = [t for t in threads if t.is_alive() and t not in left]
            if not alive:
                return
            alive[0].join(0.1)  # a timed join lets Ctrl-C reach the main thread
            if timeout is not None:
                overdue()

    for _ in range(min(jobs, len(pending))):
        spawn()
    try:
        wait()
    except KeyboardInterrupt:
        stop.set()
        try:
            wait()
        except KeyboardInterrupt:
            pass  # a second one: stop waiting for the runs (they are left as partial)
    _settle(pending, stop)
    return stop.is_set()
