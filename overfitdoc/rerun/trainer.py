"""One training run: a variant (the baseline, or fixes) with one seed.

The loop is deliberately plain, so that a fix reads as what it changes: the fixes install
themselves on the :class:`Trainer` through its extension points (``model`` hooks,
``optimizer``, ``train_criterion``, ``batch_transforms``, ``step_schedulers``,
``callbacks``, ``eval_model``) before the first epoch.

What is logged, per epoch, in Keras' names (``epoch`` from 1, as ``diagnose`` numbers epochs;
the callbacks and ``on_epoch`` get the same 1-based number):

* ``loss``: the spec's loss on the training batches as trained (augmented, mixed, with
  dropout), averaged over the epoch's samples. Label smoothing changes the gradient only,
  never this number, so every variant reports the same quantity;
* ``val_loss``: the spec's loss on the whole validation set in evaluation mode, the same
  function for every variant (for weight averaging, the averaged model's);
* ``<metric>`` / ``val_<metric>``: likewise; ``learning_rate``: of the first parameter group.

Nothing here synchronises with the GPU within an epoch: the sums stay on the device until
the epoch ends.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .prepare import Prepared

if TYPE_CHECKING:  # the fixes import this module for TrainBatch and Callback
    from .fixes import Recipe, Variant


class Interrupted(Exception):
    """Raised inside a run when the re-run was asked to stop (Ctrl-C, or another run's)."""


class TimedOut(Exception):
    """Raised inside a run at its first batch past its ``--timeout`` deadline (this run only)."""


@dataclass
class TrainBatch:
    """A training batch on its way to the model. ``mix`` is set by mixup: (other targets,
    weight of ``y``); the loss is then ``lam * L(y) + (1 - lam) * L(other)``."""

    inputs: tuple[torch.Tensor, ...]
    y: torch.Tensor
    mix: tuple[torch.Tensor, float] | None = None


@dataclass
class Unit:
    """One run of the re-run: a variant and a seed, and what came of it."""

    variant: Variant
    seed: int
    recipe: Recipe
    epochs: int = 0  # planned (a fix may stop earlier)
    model: nn.Module | None = None  # built before training; afterwards the final model
    rows: list[dict[str, float]] = field(default_factory=list)
    status: str = "pending"  # pending | running | done | partial | failed | timed_out
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    kept_epoch: int | None = None  # the epoch whose weights the run ends with
    history_path: str | None = None  # its PyTorch JSON history, once written
    csv_path: str | None = None  # its Keras CSV history, written when it ends
    trainer: Trainer | None = None  # kept only when the caller asks (tests, notebooks)
    timeout: float | None = None  # --timeout: the most seconds this run may take
    deadline: float | None = None  # time.monotonic() past which it stops (set when it starts)
    abandoned: bool = False  # did not return after its deadline: the re-run went on without it
    # snapshots (``rerun(snapshots=True)``, for scoring the weights elsewhere, e.g. on fresh
    # data): copies of the evaluated model at its best val_loss epoch (the first lowest, the
    # epoch ``best_epoch`` of the report) and after its last epoch, before a fix restores or
    # averages (``model`` is what the run ends with)
    fold: int | None = None  # --folds: the fold it validates on (from 0)
    prep: Prepared | None = None  # --folds: this fold's data; None: the re-run's
    # each validation sample's loss at the kept epoch and at the best epoch (when the loss
    # gives them: :func:`.prepare.per_sample_loss`): the judgement adds their sampling noise
    kept_val_losses: np.ndarray | None = None
    best_val_losses: np.ndarray | None = None
    snapshots: bool = False
    best_model: nn.Module | None = None
    best_snapshot_epoch: int | None = None
    last_model: nn.Module | None = None

    @property
    def label(self) -> str:
        fold = "" if self.fold is None else f", fold {self.fold}"
        return f"{self.variant.name} (seed {self.seed}{fold})"

    @property
    def file_stem(self) -> str:
        fold = "" if self.fold is None else f"-fold{self.fold}"
        return f"{self.variant.name}-seed{self.seed}{fold}"


class Callback:
    """Epoch hooks a fix can add (early stopping, weight averaging)."""

    def on_train_epoch_end(self, trainer: Trainer, epoch: int) -> None:
        """After the epoch's last step, before validation."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, float]) -> None:
        """After validation; ``logs`` holds the epoch's row."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last epoch (not after an interruption)."""


class GlobalRng:
    """Held by a run while it fetches and trains one batch (or validates) with the
    process-global generators set to its own states (see :meth:`Trainer.own_global_rng`):
    torch's global generator is one per process, not per thread, so concurrent runs that draw
    from it (nn.Dropout, a Dataset's random transforms, torch.rand in forward) take turns.
    A run abandoned past its --timeout while it holds it (stuck in the spec's code) is
    released by the executor (:meth:`revoke`), so the other runs go on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # a plain lock: another thread may release it (revoke)
        self._meta = threading.Lock()
        self.owner: Unit | None = None

    @contextlib.contextmanager
    def held(self, unit: Unit):
        if self.owner is unit:  # nested in this run's own turn
            yield
            return
        self._lock.acquire()
        with self._meta:
            self.owner = unit
        try:
            yield
        finally:
            self.revoke(unit)

    def revoke(self, unit: Unit) -> None:
        """End ``unit``'s turn, if it has it."""
        with self._meta:
            if self.owner is unit:
                self.owner = None
                self._lock.release()


GLOBAL_RNG = GlobalRng()


def stream_seed(seed: int, purpose: str) -> int:
    """A seed for one purpose (data order, dropout masks, mixup, ...) of one run: the same
    for every variant of a seed, independent between purposes."""
    return (seed * 1_000_003 + zlib.crc32(purpose.encode())) % (2**63 - 1)


class Trainer:
    """Trains ``unit.model`` under the unit's fixes; :meth:`run` fills ``unit.rows``."""

    def __init__(self, unit: Unit, prep: Prepared):
        prep = unit.prep if unit.prep is not None else prep  # a fold's own data (--folds)
        self.unit = unit
        self.prep = prep
        self.device = prep.device
        self.epochs = prep.epochs
        self.batch_size = unit.recipe.batch_size
        self.eval_batch_size = max(4 * self.batch_size, 256)
        self.model: nn.Module = unit.model.to(self.device)  # type: ignore[union-attr]
        self.optimizer: torch.optim.Optimizer = prep.make_optimizer(self.model.parameters())
        self.criterion = prep.criterion  # logged and validated with, for every variant
        self.train_criterion = prep.criterion  # what the gradient comes from
        self.metrics = prep.metrics
        self.batch_transforms: list[Callable[[TrainBatch], TrainBatch]] = []
        self.step_schedulers: list = []
        self.grad_hooks: list[Callable[[], None]] = []  # between backward() and step() (clipping)
        self.callbacks: list[Callback] = []
        self.eval_model: nn.Module = self.model
        self.final_model: nn.Module | None = None
        self.kept_epoch: int | None = None  # set by early stopping when it restores
        self.swa_model: nn.Module | None = None  # set by the swa fix
        self.dropout_handles: list = []  # set by the dropout fix
        self.clipped_steps: int | None = None  # set by the gradient-clipping fix
        self.stop_training = False
        self._best_epoch: int | None = None
        self._val_losses: np.ndarray | None = None  # of the last evaluation, per validation sample
        self.epoch = 0  # the epoch being trained, from 1 (0 before the first)
        self._t0 = time.perf_counter()  # when the run began (:meth:`begin`)
        self.steps = 0
        self.order_generator = torch.Generator().manual_seed(stream_seed(unit.seed, "data-order"))
        # this run's own states of the process-global generators (torch CPU and CUDA, numpy,
        # Python's random), seeded from its seed: the same for every variant of a seed
        g = stream_seed(unit.seed, "global")
        self._torch_state = torch.Generator().manual_seed(g).get_state()
        self._cuda_state = None
        if self.device.type == "cuda":
            self._cuda_state = torch.Generator(device=self.device).manual_seed(g).get_state()
        self._numpy_state = np.random.RandomState(g % 2**32).get_state()
        self._random_state = random.Random(g).getstate()
        # whether this run draws from the global generators: None while its first epoch is
        # watched (every batch and the validation under the lock, the states compared after
        # each), True once one did, False after a first epoch that drew nothing
        self.draws_globals: bool | None = None
        for fix in unit.variant.fixes:
            fix.install(self)

    # ------------------------------------------------------------ helpers for the fixes

    def generator(self, purpose: str) -> torch.Generator:
        """A generator on the training device for one purpose of this run."""
        return torch.Generator(device=self.device).manual_seed(stream_seed(self.unit.seed, purpose))

    def numpy_rng(self, purpose: str) -> np.random.Generator:
        """Host-side random numbers (e.g. mixup weights) that need no GPU round trip."""
        return np.random.default_rng(stream_seed(self.unit.seed, purpose))

    def autocast(self):
        if not self.prep.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def note(self, text: str) -> None:
        if text not in self.unit.notes:
            self.unit.notes.append(text)

    @property
    def lr(self) -> float:
        lr = self.optimizer.param_groups[0]["lr"]
        return float(lr)

    @contextlib.contextmanager
    def own_global_rng(self):
        """Run the body with the global generators (torch CPU and CUDA, numpy, Python's
        ``random``) set to this run's own states, and keep the states it leaves, under the lock
        (one run at a time), so that concurrent runs whose model or data draws from them
        (nn.Dropout and kin, a Dataset's random transforms) stay paired and reproducible with
        any --jobs. The first epoch is watched: a run that drew nothing from them in it runs
        the rest without the lock (it set them from its seed at its start,
        :meth:`seed_globals`, so a later first draw is still paired with --jobs 1)."""
        if self.draws_globals is False:
            yield
            return
        with GLOBAL_RNG.held(self.unit):
            self._set_globals()
            before = self._states() if self.draws_globals is None else None
            try:
                yield
            finally:
                self._torch_state = torch.get_rng_state()
                if self._cuda_state is not None:
                    self._cuda_state = torch.cuda.get_rng_state(self.device)
                self._numpy_state = np.random.get_state()
                self._random_state = random.getstate()
                if before is not None and not _same_states(before, self._states()):
                    self.draws_globals = True

    def _states(self) -> tuple:
        return (self._torch_state, self._cuda_state, self._numpy_state, self._random_state)

    def _set_globals(self) -> None:
        torch.set_rng_state(self._torch_state)
        if self._cuda_state is not None:
            torch.cuda.set_rng_state(self._cuda_state, self.device)
        np.random.set_state(self._numpy_state)
        random.setstate(self._random_state)

    def seed_globals(self) -> None:
        """Set the process-global generators to this run's seeded states (at its start)."""
        with GLOBAL_RNG.held(self.unit):
            self._set_globals()

    # ------------------------------------------------------------ the loop

    def run(self, stop: threading.Event, on_epoch: Callable[[Unit, int, dict], None] | None = None) -> Unit:
        """Train every epoch (or until a fix stops training), filling ``unit.rows``.

        A stop request (``stop`` set, or KeyboardInterrupt, also from ``on_epoch``) keeps the
        epochs done so far: the unit ends ``partial`` and ``stop`` is set for the others.
        The steps (:meth:`begin`, :meth:`train_epoch_end`, :meth:`record`, :meth:`complete`,
        :meth:`halted`, :meth:`settle`) are those a stacked run (:mod:`.batched`) takes for
        each of its members."""
        self.begin()
        try:
            for epoch in range(1, self.epochs + 1):
                self.epoch = epoch
                train_logs = self.train_epoch(stop)
                self.train_epoch_end(epoch)
                if self.record(epoch, {**train_logs, **self.evaluate(), "learning_rate": self.lr}, on_epoch):
                    break
            self.complete()
        except (Interrupted, KeyboardInterrupt, TimedOut) as e:
            self.halted(e, stop)
        finally:
            self.settle()
        return self.unit

    def begin(self) -> None:
        """The run starts: its status, its global generators' seeded states, its clock."""
        self.unit.status = "running"
        self.seed_globals()
        self._t0 = time.perf_counter()

    def train_epoch_end(self, epoch: int) -> None:
        """After the epoch's last step, before validation."""
        for cb in self.callbacks:
            cb.on_train_epoch_end(self, epoch)

    def record(self, epoch: int, logs: dict, on_epoch: Callable[[Unit, int, dict], None] | None) -> bool:
        """The epoch's row (training and validation ``logs``) is the run's; -> True when training stops here."""
        unit = self.unit
        if self.draws_globals is None:
            self.draws_globals = False  # a first epoch that drew nothing from them
        unit.rows.append({"epoch": epoch, **logs})
        self._track_best(epoch, logs["val_loss"])
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)
        if on_epoch is not None:
            on_epoch(unit, epoch, logs)
        if not math.isfinite(logs["loss"]):
            self.note(f"training loss became non-finite at epoch {epoch}; training stopped there")
            return True
        return self.stop_training

    def complete(self) -> None:
        """Training ended (every epoch, or a fix stopped it): the fixes' last word, status done."""
        if self.unit.snapshots:
            self.unit.last_model = _unwrapped_copy(self.eval_model)
        for cb in self.callbacks:
            cb.on_train_end(self)
        self.unit.status = "done"

    def halted(self, e: BaseException, stop: threading.Event) -> None:
        """Training was stopped from outside: interrupted (``partial``, and ``stop`` set for
        the others) or past its ``--timeout`` (``timed_out``); the finished epochs are kept."""
        unit = self.unit
        if isinstance(e, TimedOut):
            unit.status = "timed_out"
            n = len(unit.rows)
            unit.error = (
                f"timed out: stopped at --timeout {unit.timeout:g} s, in epoch {self.epoch} of {self.epochs}; "
                f"{n} finished epoch{'s' if n != 1 else ''} kept"
            )
            return
        unit.status = "partial"
        stop.set()

    def settle(self) -> None:
        """What the unit keeps: its time, the epoch of the weights it ends with, the model."""
        unit = self.unit
        unit.seconds = time.perf_counter() - self._t0
        unit.kept_epoch = (
            self.kept_epoch if self.kept_epoch is not None else (int(unit.rows[-1]["epoch"]) if unit.rows else None)
        )
        model = self.final_model if self.final_model is not None else self.eval_model
        unit.model = _unwrapped(model)
        if unit.kept_epoch is not None and unit.kept_epoch == self._best_epoch:
            unit.kept_val_losses = unit.best_val_losses
        elif unit.kept_epoch is not None and unit.rows and unit.kept_epoch == int(unit.rows[-1]["epoch"]):
            unit.kept_val_losses = self._val_losses

    def _track_best(self, epoch: int, val_loss: float) -> None:
        """When this epoch's val_loss is the lowest so far (the first lowest: the report's best
        epoch), keep its per-sample validation losses, and with snapshots a copy of the model."""
        best = self._best_epoch
        if not math.isfinite(val_loss) or (best is not None and not val_loss < self.unit.rows[best - 1]["val_loss"]):
            return
        self._best_epoch = epoch
        self.unit.best_val_losses = self._val_losses
        if self.unit.snapshots:
            self.unit.best_model = _unwrapped_copy(self.eval_model)
            self.unit.best_snapshot_epoch = epoch

    def objective(self, criterion, out: torch.Tensor, batch: TrainBatch) -> torch.Tensor:
        loss = criterion(out, batch.y)
        if batch.mix is not None:
            other, lam = batch.mix
            loss = lam * loss + (1.0 - lam) * criterion(out, other)
        return loss

    def train_epoch(self, stop: threading.Event) -> dict[str, float]:
        model = self.model
        model.train()
        sums = self.new_sums()
        batches = self.epoch_batches()
        while True:
            self.check_stop(stop)
            with self.own_global_rng():  # a Dataset's transforms draw while the batch is fetched
                item = next(batches, None)
                if item is None:
                    break
                batch = TrainBatch(*item)
                for transform in self.batch_transforms:
                    batch = transform(batch)
                with self.autocast():
                    out = model(*batch.inputs)
                out = out.float()
                loss = self.objective(self.train_criterion, out, batch)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
            self.step()
            self.add_batch(sums, out, batch, loss)
        return self.epoch_logs(sums)

    def epoch_batches(self):
        """This epoch's training batches, in the order of this run's data-order generator."""
        return self.prep.train.batches(self.batch_size, self.order_generator, drop_single=True)

    def check_stop(self, stop: threading.Event) -> None:
        """Before each batch: raise when the re-run is stopping or this run is past its deadline."""
        if stop.is_set():
            raise Interrupted
        if self.unit.deadline is not None and time.monotonic() > self.unit.deadline:
            raise TimedOut

    def step(self) -> None:
        """The gradients are in: the fixes' gradient hooks, the optimizer's step, the schedulers'."""
        self.before_step()
        self.optimizer.step()
        self.after_step()

    def before_step(self) -> None:
        """Between backward() and the optimizer's step: the fixes' gradient hooks (clipping)."""
        for hook in self.grad_hooks:
            hook()

    def after_step(self) -> None:
        """After the optimizer's step: the per-step schedulers, the step count."""
        for scheduler in self.step_schedulers:
            scheduler.step()
        self.steps += 1

    def new_sums(self) -> dict:
        """The epoch's running sums (on the device: no sync per batch)."""
        zero = torch.zeros((), device=self.device)
        return {"loss": zero.clone(), "metrics": {k: zero.clone() for k in self.metrics}, "seen": 0}

    @torch.no_grad()
    def add_batch(self, sums: dict, out: torch.Tensor, batch: TrainBatch, loss: torch.Tensor) -> None:
        """Add one trained batch's logged loss (the spec's, whatever loss the gradient came from) and metrics."""
        n = int(batch.y.shape[0])
        logged = loss if self.train_criterion is self.criterion else self.objective(self.criterion, out, batch)
        sums["loss"] += logged.detach() * n
        for k, fn in self.metrics.items():
            sums["metrics"][k] += _as_tensor(fn(out.detach(), batch.y), self.device) * n
        sums["seen"] += n

    @staticmethod
    def epoch_logs(sums: dict) -> dict[str, float]:
        seen = max(sums["seen"], 1)
        logs = {"loss": float(sums["loss"]) / seen}
        logs.update({k: float(v) / seen for k, v in sums["metrics"].items()})
        return logs

    @torch.no_grad()
    def evaluate(self, model: nn.Module | None = None) -> dict[str, float]:
        """The validation loss and metrics of ``model`` (default: ``eval_model``) on the whole set."""
        model = model if model is not None else self.eval_model
        was_training = model.training
        model.eval()
        outs, ys = [], []
        with self.own_global_rng():  # a DataLoader draws its base seed from torch's generator
            for inputs, y in self.prep.val.batches(self.eval_batch_size):
                with self.autocast():
                    out = model(*inputs)
                outs.append(out.float())
                ys.append(y)
        model.train(was_training)
        return self.eval_logs(outs, ys)

    @torch.no_grad()
    def eval_logs(self, outs: list[torch.Tensor], ys: list[torch.Tensor]) -> dict[str, float]:
        """The validation loss and metrics of the outputs ``outs`` of the validation batches (targets ``ys``)."""
        out = torch.cat(outs) if len(outs) > 1 else outs[0]
        y = torch.cat(ys) if len(ys) > 1 else ys[0]
        logs = {"val_loss": float(self.criterion(out, y))}
        self._val_losses = self._sample_losses(out, y, logs["val_loss"])
        for k, fn in self.metrics.items():
            logs[f"val_{k}"] = float(fn(out, y))
        return logs

    def _sample_losses(self, out: torch.Tensor, y: torch.Tensor, val_loss: float) -> np.ndarray | None:
        """Each validation sample's loss, when the loss gives them and their mean is ``val_loss``."""
        if self.prep.sample_loss is None or not math.isfinite(val_loss):
            return None
        per = self.prep.sample_loss(out, y).double().cpu().numpy()
        if per.shape != (int(y.shape[0]),) or not math.isclose(float(per.mean()), val_loss, rel_tol=1e-4, abs_tol=1e-7):
            return None
        return per

    def train_batches(self, batch_size: int | None = None):
        """The training set in order (no augmentation), e.g. to recompute BatchNorm statistics."""
        return self.prep.train.batches(batch_size or self.eval_batch_size)


def _same_states(a: tuple, b: tuple) -> bool:
    """Whether two (torch, CUDA, numpy, random) generator states are the same."""
    ta, ca, na, ra = a
    tb, cb, nb, rb = b
    return (
        torch.equal(ta, tb)
        and (ca is None or torch.equal(ca, cb))
        and na[0] == nb[0]
        and np.array_equal(na[1], nb[1])
        and na[2:] == nb[2:]
        and ra == rb
    )


def _unwrapped(model: nn.Module) -> nn.Module:
    """The averaged model's module for weight averaging, else the model itself."""
    return getattr(model, "module", model) if isinstance(model, torch.optim.swa_utils.AveragedModel) else model


def _unwrapped_copy(model: nn.Module) -> nn.Module:
    return copy.deepcopy(_unwrapped(model))


def _as_tensor(v, device: torch.device) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v.detach().float().reshape(())
    return torch.tensor(float(v), device=device)
