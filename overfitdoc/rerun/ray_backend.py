"""``rerun --backend ray``: every unit (variant x seed x fold) as one Ray task, on a local Ray
started here (``ray.init(num_cpus=...)``) or on an existing cluster (``--address``).

What travels: each unit is built in the driver exactly as for the threaded path (the same
initial weights, surgery, recipe), pickled with cloudpickle, and trained by
:func:`.executor.run_unit` in a Ray worker. The worker loads the spec **itself, by path**
(the same path on every node: a shared file system or the same checkout), calls data() and
prepares it once per worker process (cached), and re-splits it as the driver did
(``--val-fraction``, ``--folds``); a fingerprint of the data is checked against the driver's,
so a data() that returns other data in another process is one clear error, not silently other
numbers. Every unit seeds itself (:class:`.trainer.Trainer`), so the histories are the same
numbers as with ``--backend threads``.

Streaming: a small actor (:class:`_Sink`) collects each worker's per-epoch rows; the driver
polls it and writes each run's JSON history and the progress as epochs finish, as the
threaded path does. Each put waits for the actor (about a millisecond an epoch), so an epoch
a worker finished is in the driver's hands even when the worker is killed right after, and
all of a run's epochs are in before its result is read.

A killed worker (the node lost, the OOM killer, a segfault in an extension): Ray retries the
task (:data:`MAX_RETRIES` times). The retry **restarts the unit from its seed**, not from the
last epoch: resuming would need the optimizer, every fix's state (early stopping, SWA,
schedulers) and every random stream (data order, dropout, the spec's own generators) saved
after each epoch and restored exactly, and anything missed would make a killed run differ from
an unkilled one. Restarting costs the lost epochs again but gives the same numbers as a run
that was never killed. The epochs finished before the kill are kept: the history on disk never
loses them (the retry's epochs replace them one by one as it passes them), each retried epoch
is compared with the lost attempt's, and the run's notes say how many epochs were lost and
whether the retry reproduced them. When the retries are spent the run is ``failed`` with its
last attempt's finished epochs kept.

GPUs: when the cluster has GPUs and ``--device`` is not cpu, each task asks for
``num_gpus = 1 / jobs`` (``--jobs`` runs share a GPU; default :data:`.executor.MAX_GPU_JOBS`),
one CPU otherwise; the worker picks its device itself (``--device auto``: the GPU Ray gave it).
Not measured: no GPU was available while this was built.

Interrupt (Ctrl-C): the running tasks are cancelled (Ray raises KeyboardInterrupt in them);
they are ``partial`` with the epochs streamed so far, the others stay ``pending``. ``--timeout``
is checked by each run in its worker (it stops at its next batch, ``timed_out``); a run stuck
in the spec's code past it is cancelled by force from the driver.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..errors import UsageError
from .executor import MAX_GPU_JOBS, abandon_after, cpu_cores
from .prepare import Prepared
from .trainer import Unit

RAY_MISSING = "--backend ray needs Ray: pip install 'overfitdoc[ray]'"
#: how often Ray retries a unit whose worker died
MAX_RETRIES = 2
#: seconds between the driver's polls of the streamed epochs
POLL = 0.2
#: what a finished unit sends back (the rest of the Unit is the driver's)
RESULT_FIELDS = (
    "rows",
    "status",
    "error",
    "notes",
    "seconds",
    "kept_epoch",
    "kept_val_losses",
    "best_val_losses",
    "best_snapshot_epoch",
)
MODEL_FIELDS = ("model", "best_model", "last_model")


def require_ray():
    """The ray module, or a :class:`UsageError` naming the extra (one line, exit 2)."""
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker needs to prepare the spec as the driver did."""

    spec_path: str  # absolute
    device: str  # --device as given: a worker resolves "auto" on its own node
    epochs: int | None
    amp: bool
    val_fraction: float | None
    folds: int | None
    seeds: int


def fingerprint(prep: Prepared) -> int:
    """A CRC of the training and validation data (their first 256 samples), to check that a
    worker's data() gave what the driver's did."""
    crc = 0
    for split in (prep.train, prep.val):
        xs, y = split.head(min(len(split), 256))
        for t in (*xs, y):
            crc = zlib.crc32(t.detach().cpu().contiguous().numpy().tobytes(), crc)
        crc = zlib.crc32(str(len(split)).encode(), crc)
    return crc


_PREPARED: dict[WorkerSettings, tuple[Prepared, dict]] = {}  # per worker process


def _worker_prep(s: WorkerSettings) -> tuple[Prepared, dict]:
    """The spec loaded and prepared in this worker process (once), with its fold splits."""
    if s not in _PREPARED:
        from .prepare import fold_splits, prepare, val_fraction_split
        from .runner import resolve_device
        from .spec import load_spec

        spec = load_spec(s.spec_path)
        prep = prepare(spec, resolve_device(s.device), epochs=s.epochs, amp=s.amp)
        folds: dict = {}
        if s.val_fraction is not None:
            prep = val_fraction_split(prep, s.val_fraction)
        elif s.folds is not None:
            folds = fold_splits(prep, s.folds, s.seeds)
            prep = folds[0, 0]
        _PREPARED[s] = (prep, folds)
    return _PREPARED[s]


def train_unit(payload: bytes, settings: WorkerSettings, expected: int, sink, key: int, keep_models: bool) -> bytes:
    """The Ray task's body: load and prepare the spec, unpickle the unit, train it with its
    epochs streamed to ``sink``; -> the pickled result fields."""
    import ray.cloudpickle as cloudpickle

    from .executor import run_unit
    from .spec import spec_environment

    attempt = uuid.uuid4().hex
    with spec_environment(settings.spec_path):
        try:
            prep, folds = _worker_prep(settings)
        except SystemExit as e:  # the spec's, at import, in data() or model()
            raise RuntimeError(f"the spec called sys.exit({e.code!r}) in the Ray worker") from None
        got = fingerprint(prep)
        if got != expected:
            raise RuntimeError(
                "data() returned other data in the Ray worker than in the driver; "
                "make it deterministic (seed it) or use --backend threads"
            )
        unit: Unit = cloudpickle.loads(payload)  # after load_spec: the spec's classes resolve
        if unit.fold is not None:
            unit.prep = folds[unit.seed, unit.fold]
        torch.set_num_threads(1)  # one CPU per task
        # each put waits for the actor (about a millisecond): an epoch counts as streamed only
        # once it is there, so a worker killed right after it has not lost it
        ray_get(sink.put.remote(key, attempt, 0, None))

        def on_epoch(u: Unit, epoch: int, logs: dict) -> None:
            ray_get(sink.put.remote(key, attempt, epoch, dict(u.rows[-1])))

        run_unit(unit, prep, threading.Event(), on_epoch=on_epoch, keep_model=keep_models)
    out: dict[str, Any] = {f: getattr(unit, f) for f in RESULT_FIELDS}
    if keep_models:
        out.update({f: getattr(unit, f) for f in MODEL_FIELDS})
    return cloudpickle.dumps(out)


def ray_get(ref):
    import ray

    return ray.get(ref)


class _Sink:
    """The Ray actor the workers send their epochs to; the driver drains it."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def put(self, key: int, attempt: str, epoch: int, row: dict | None) -> None:
        self.events.append((key, attempt, epoch, row))

    def drain(self) -> list[tuple]:
        out, self.events = self.events, []
        return out


@dataclass
class _Track:
    """The driver's view of one unit's task."""

    unit: Unit
    ref: Any
    attempt: str | None = None
    attempts: int = 0
    started: float | None = None
    lost_epochs: list[int] | None = None  # epochs finished by each killed attempt
    differed: bool = False


def connect(address: str | None, jobs: int):
    """``ray.init``: the cluster at ``address``, or a local Ray with ``jobs`` CPUs (default:
    this machine's cores); -> the ray module and a line saying where."""
    ray = require_ray()
    if ray.is_initialized():
        where = "an already started Ray"
    elif address:
        try:
            ray.init(address=address, log_to_driver=False, include_dashboard=False, logging_level=logging.ERROR)
        except Exception as e:  # noqa: BLE001 - one line, exit 2
            raise UsageError(f"--address {address}: cannot connect to the Ray cluster: {e}") from None
        where = f"the Ray cluster at {address}"
    else:
        ray.init(
            num_cpus=jobs or cpu_cores(), log_to_driver=False, include_dashboard=False, logging_level=logging.ERROR
        )
        where = "a local Ray"
    return ray, where


def execute(
    units: list[Unit],
    prep: Prepared,
    *,
    settings: WorkerSettings,
    jobs: int,
    stop: threading.Event,
    on_epoch: Callable | None = None,
    on_done: Callable[[Unit], None] | None = None,
    keep_models: bool = True,
    timeout: float | None = None,
    address: str | None = None,
) -> tuple[bool, dict]:
    """Train every pending unit as a Ray task; -> (interrupted, what the setup reports).
    Ray prints its workers' messages (a worker died, a task retried) on standard output: they
    go to standard error here, so that ``--format json`` stays one JSON object. A local Ray
    started here is shut down at the end."""
    started = not require_ray().is_initialized() and not address
    with contextlib.redirect_stdout(sys.stderr):
        ray, where = connect(address, jobs)
        try:
            return _execute(ray, where, units, prep, settings, jobs, stop, on_epoch, on_done, keep_models, timeout)
        finally:
            if started:
                ray.shutdown()


def _execute(
    ray, where, units, prep, settings, jobs, stop, on_epoch, on_done, keep_models, timeout
) -> tuple[bool, dict]:
    import ray.cloudpickle as cloudpickle

    resources = ray.cluster_resources()
    cpus, gpus = int(resources.get("CPU", 1)), float(resources.get("GPU", 0))
    options: dict = {"max_retries": MAX_RETRIES, "num_cpus": 1}
    share = jobs if jobs > 0 else MAX_GPU_JOBS
    if gpus > 0 and settings.device != "cpu":
        options.update(num_gpus=1.0 / share, num_cpus=0)
        at_once = int(gpus * share)
    else:
        at_once = cpus
    sink = ray.remote(num_cpus=0)(_Sink).remote()
    task = ray.remote(train_unit).options(**options)
    expected = fingerprint(prep)  # with --folds, fold 0 of seed 0: what a worker's prep is too
    tracks: dict[int, _Track] = {}
    pending = [u for u in units if u.status == "pending"]
    for u in pending:
        u.timeout = timeout
        own, u.prep = u.prep, None  # the worker has its own fold data
        payload = cloudpickle.dumps(u)
        u.prep = own
        ref = task.remote(payload, settings, expected, sink, len(tracks), keep_models)
        tracks[len(tracks)] = _Track(u, ref)
        if not keep_models:
            u.model = None
    by_ref = {t.ref: t for t in tracks.values()}
    waiting = set(by_ref)

    def events() -> None:
        for key, attempt, epoch, row in ray.get(sink.drain.remote()):
            _event(tracks[key], attempt, epoch, row, on_epoch)

    try:
        while waiting:
            done, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=POLL)
            events()
            for ref in done:
                waiting.discard(ref)
                _finish(by_ref[ref], ref, ray, cloudpickle, on_done)
            if timeout is not None:
                _overdue(tracks.values(), waiting, timeout, ray, on_done)
            if stop.is_set():
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        stop.set()
        for ref in waiting:
            ray.cancel(ref)
        events()
        for ref in waiting:
            t = by_ref[ref]
            if t.attempt is not None:
                t.unit.status = "partial"
                if on_done is not None and t.unit.rows:
                    on_done(t.unit)
    setup: dict[str, Any] = {
        "backend": "ray",
        "ray": {"where": where, "cpus": cpus, "gpus": gpus, "retries": MAX_RETRIES},
    }
    setup["jobs"] = min(at_once, len(pending)) if pending else at_once
    return stop.is_set(), setup


def _event(t: _Track, attempt: str, epoch: int, row: dict | None, on_epoch: Callable | None) -> None:
    u = t.unit
    if attempt != t.attempt:  # the task (re)started
        if t.attempt is not None:
            t.lost_epochs = [*(t.lost_epochs or []), len(u.rows)]
        t.attempt, t.attempts, t.started = attempt, t.attempts + 1, time.monotonic()
        u.status = "running"
    if row is None:
        return
    if epoch <= len(u.rows):  # a retry re-training an epoch the lost attempt had finished
        t.differed = t.differed or u.rows[epoch - 1] != row
        u.rows[epoch - 1] = row
    else:
        u.rows.append(row)
    if on_epoch is not None:
        on_epoch(u, epoch, row)


def _finish(t: _Track, ref, ray, cloudpickle, on_done: Callable | None) -> None:
    u = t.unit
    try:
        out = cloudpickle.loads(ray.get(ref))
    except Exception as e:  # noqa: BLE001 - the worker died past its retries, or the task raised
        u.status = "failed"
        cause = getattr(e, "cause", None)
        reason = f"{type(cause).__name__}: {cause}" if isinstance(cause, Exception) else type(e).__name__
        if isinstance(e, ray.exceptions.WorkerCrashedError | ray.exceptions.NodeDiedError):
            reason = f"its Ray worker died {t.attempts} time{'s' if t.attempts != 1 else ''} (retries spent)"
        u.error = f"{reason.splitlines()[0]}; {len(u.rows)} finished epochs kept"
    else:
        for f, v in out.items():
            setattr(u, f, v)
    if t.lost_epochs:
        n = len(t.lost_epochs)
        same = "differently (the spec is not reproducible)" if t.differed else "identically"
        u.notes.append(
            f"its Ray worker died {n} time{'s' if n != 1 else ''} (after epoch"
            f"{'s' if n != 1 else ''} {', '.join(map(str, t.lost_epochs))}); retried from its seed, "
            f"the retry re-trained the lost epochs {same}"
        )
    if on_done is not None:
        on_done(u)


def _overdue(tracks, waiting: set, timeout: float, ray, on_done: Callable | None) -> None:
    """Cancel by force the runs stuck in the spec's code past their --timeout."""
    now = time.monotonic()
    for t in tracks:
        if t.ref in waiting and t.started is not None and now > t.started + timeout + abandon_after(timeout):
            ray.cancel(t.ref, force=True)
            waiting.discard(t.ref)
            u = t.unit
            u.status = "timed_out"
            n = len(u.rows)
            u.error = (
                f"timed out: did not return within --timeout {timeout:g} s (and {abandon_after(timeout):g} s "
                f"more to stop at a batch): its Ray task cancelled; {n} finished epoch{'s' if n != 1 else ''} kept"
            )
            if on_done is not None:
                on_done(u)
