"""Batched variants (``--batched``): the runs of a re-run that differ only in their training
recipe train as one stacked model, one forward and one backward pass for all of them.

How: the members' parameters are stacked (:func:`torch.func.stack_module_state`) into one
tensor per parameter with a leading member dimension, and each member's own module is
rebound onto its slice of that storage (``param.data`` is a view of its row). The forward pass
is :func:`torch.func.functional_call` of one skeleton of the module under :func:`torch.vmap`
over the members (each member on its own batch: its own data order); the backward pass of the
sum of the members' losses gives each member exactly its own gradient, in its row of the
stacked gradient, which becomes its parameters' ``.grad``. Everything else is the member's
own :class:`~.trainer.Trainer`, built as the threaded path builds it: its optimizer (the
spec's, or the one a fix made: AdamW for weight decay, a scaled learning rate), its training
loss (label smoothing), its gradient hooks (clipping), its schedulers (one-cycle, warm-up) and
callbacks (early stopping), its data-order generator, its history, its status. So a member
with its own learning rate or weight decay steps with its own optimizer on its own row, and
its history matches the threaded run's up to floating-point rounding (a batched matrix
product rounds differently from one; tests/test_rerun_batched.py checks it).

Who is stacked, decided per group and said in the output (``setup.batched``):

* a run is eligible when every fix of its variant changes only the recipe around an unchanged
  model and unchanged batches (:data:`BATCHABLE`); the others run threaded, with the fix's
  reason (:data:`NOT_BATCHABLE`);
* eligible runs are grouped by their data (a fold's own split), batch size and model structure
  (the same parameter and buffer names, shapes and dtypes, the same module classes); a group
  of one runs threaded (nothing to stack it with);
* a group runs stacked only when its model allows it: no BatchNorm keeping running statistics
  (they update in training mode), and one probe forward and backward pass under ``vmap`` with
  ``randomness="error"`` succeeds. A model that draws random numbers in its forward pass (its
  own ``nn.Dropout``) fails that probe: inside one stacked model the members could not each
  draw from their own seeded stream as the threaded path gives them (the pairing of the
  variants of one seed would be lost), so such a group runs threaded, with a one-line reason.

Early stopping inside a stack: a member that stops leaves the stack (the later passes index
only the members still training; its weights stay as they are), restores its best weights
and ends its history, while the others go on. Every member of a stack gets the stack's wall
time as its ``seconds``. Ctrl-C stops the stack at its next batch: its members are
``partial``; ``--timeout`` applies to the stack as to one run (its members started together).

On CUDA ``--batched`` is on by default (``--no-batched`` turns it off); on a CPU it is off
unless asked (:func:`enabled`): there, a stack is one thread of work, and the threaded path
already uses the cores.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from .executor import cpu_threads, hand_over
from .prepare import Prepared
from .spec import _first_line
from .trainer import Interrupted, TimedOut, TrainBatch, Trainer, Unit

#: the fixes a stacked member can take: each changes only the optimizer, the training loss,
#: the gradient before the step, the learning rate per step, or when training stops
BATCHABLE = frozenset(
    {
        "early-stopping",
        "weight-decay",
        "lower-lr",
        "higher-lr",
        "label-smoothing",
        "gradient-clipping",
        "lr-schedule",
        "warmup",
    }
)
#: why the other fixes run threaded
NOT_BATCHABLE = {
    "dropout": "adds dropout by forward hooks on its own model, which a stacked forward pass does not call",
    "smaller-model": "changes the model's architecture",
    "batch-norm": "changes the model's architecture (adds BatchNorm layers)",
    "data-augmentation": "changes each run's batches (noise, mixup, flips)",
    "smaller-batch": "changes the batch size",
    "swa": "validates an averaged copy of the model",
}


def enabled(batched: bool | None, device: torch.device) -> bool:
    """``--batched`` / ``--no-batched`` when given; by default on for CUDA only."""
    return batched if batched is not None else device.type == "cuda"


def fix_reason(unit: Unit) -> str | None:
    """Why this unit's variant cannot be a stacked member, or None when it can."""
    for fix in unit.variant.fixes:
        if fix.id not in BATCHABLE:
            return f"{fix.id} {NOT_BATCHABLE.get(fix.id, 'is not known to be batchable')}"
    return None


def structure(model: nn.Module) -> tuple:
    """What must be equal for two models to be stacked: module classes, parameter and buffer
    names, shapes, dtypes and whether they train."""
    return (
        tuple(type(m).__qualname__ for m in model.modules()),
        tuple((n, tuple(p.shape), p.dtype, p.requires_grad) for n, p in model.named_parameters()),
        tuple((n, tuple(b.shape), b.dtype) for n, b in model.named_buffers()),
    )


def model_reason(model: nn.Module) -> str | None:
    """Why this model cannot be stacked before any probe: BatchNorm with running statistics."""
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            return f"the model's {type(m).__name__} ({name or 'the model'}) updates running statistics in training mode"
    return None


@dataclass
class Group:
    """Runs that could share a stack: same data, batch size and model structure."""

    units: list[Unit]
    reason: str | None = None  # why it runs threaded after all


@dataclass
class Plan:
    """Which runs train stacked, which threaded and why (``setup.batched`` in the report)."""

    stacks: list[list[Unit]] = field(default_factory=list)
    threaded: list[tuple[Unit, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Per stack its variants, seeds and number of runs; per variant and reason the seeds
        that ran threaded (in the order the runs were planned)."""
        threaded: dict[tuple[str, str], list[int]] = {}
        for u, r in self.threaded:
            seeds = threaded.setdefault((u.variant.name, r), [])
            if u.seed not in seeds:
                seeds.append(u.seed)
        return {
            "stacks": [
                {
                    "variants": list(dict.fromkeys(u.variant.name for u in s)),
                    "seeds": sorted({u.seed for u in s}),
                    "runs": len(s),
                }
                for s in self.stacks
            ],
            "threaded": [{"variant": v, "seeds": seeds, "reason": r} for (v, r), seeds in threaded.items()],
        }


def plan(units: list[Unit], prep: Prepared) -> Plan:
    """Group the pending units into stacks (:func:`probe`-checked) and say why the rest run threaded."""
    out = Plan()
    groups: dict[tuple, Group] = {}
    for u in units:
        if u.status != "pending":  # the baseline of seed 0 that --fixes auto diagnosed
            out.threaded.append((u, "trained alone first, to choose the fixes from its diagnosis"))
            continue
        reason = fix_reason(u)
        if reason is not None:
            out.threaded.append((u, reason))
            continue
        assert u.model is not None
        key = (id(u.prep) if u.prep is not None else None, u.recipe.batch_size, structure(u.model))
        groups.setdefault(key, Group([])).units.append(u)
    for g in groups.values():
        if len(g.units) < 2:
            g.reason = "alone in its group: nothing to stack it with"
        else:
            g.reason = model_reason(g.units[0].model) or probe(g.units, g.units[0].prep or prep)  # type: ignore[arg-type]
        if g.reason is None:
            out.stacks.append(g.units)
        else:
            out.threaded += [(u, g.reason) for u in g.units]
    return out


def _vmapped(skeleton: nn.Module, n_inputs: int, *, shared_inputs: bool):
    """The stacked forward pass: (stacked params, stacked buffers, *inputs) -> (members, ...) outputs."""

    def forward(params, buffers, *inputs):
        return torch.func.functional_call(skeleton, (params, buffers), inputs)

    dims = (0, 0, *([None if shared_inputs else 0] * n_inputs))
    return torch.vmap(forward, in_dims=dims, randomness="error")


def probe(units: list[Unit], prep: Prepared) -> str | None:
    """One forward and backward pass of two stacked copies of the model on the first training
    samples, in training and evaluation mode; -> why it cannot be stacked, or None."""
    try:
        models = [copy.deepcopy(u.model).to(prep.device) for u in units[:2]]  # type: ignore[union-attr]
        params, buffers = torch.func.stack_module_state(models)
        skeleton = copy.deepcopy(models[0]).to("meta")
        xs, _ = prep.train.head(min(len(prep.train), max(2, units[0].recipe.batch_size)))
        fwd = _vmapped(skeleton, len(xs), shared_inputs=True)
        skeleton.train()
        fwd(params, buffers, *xs).float().sum().backward()
        skeleton.eval()
        with torch.no_grad():
            fwd(params, buffers, *xs)
    except Exception as e:  # noqa: BLE001 - any failure means: run these threaded
        text = _first_line(e)
        if "random" in text.lower():
            return (
                "the model draws random numbers in its forward pass (its own nn.Dropout or the like): one stacked "
                "model cannot give each run its own seeded stream"
            )
        return f"vmap cannot run this model ({type(e).__name__}: {text})"
    return None


ADAM_FAMILY = (torch.optim.Adam, torch.optim.AdamW)
#: group settings a stacked step does not implement (it falls back to each member's own step)
UNSUPPORTED_SETTINGS = ("amsgrad", "maximize", "capturable", "differentiable", "fused")


class StackedStep:
    """One optimizer step for every member at once, on the stacked parameters: Adam, AdamW
    (decoupled or coupled weight decay) and SGD (momentum, dampening, Nesterov), with each
    member's own settings read from its own optimizer's parameter groups at every step (so its
    schedulers, which set those groups' ``lr``, drive it) as per-member columns broadcast over
    the stacked tensors. The arithmetic is torch's single-tensor update, in the same order of
    operations, so a member steps as its own optimizer would, up to the rounding of its
    settings to the parameters' dtype. The moments live here, not in the members' optimizers."""

    def __init__(self, kind: str, params: dict[str, torch.Tensor], groups: list[dict[str, dict]]):
        self.kind = kind
        self.params = params
        self.groups = groups  # per member: parameter name -> its group in the member's optimizer
        self.steps = dict.fromkeys(params, 0)
        self.state: dict[str, dict[str, torch.Tensor]] = {}
        self._cache: dict = {}  # this step's settings columns

    @classmethod
    def make(cls, trainers: list[Trainer], members: list[dict[str, nn.Parameter]], params) -> StackedStep | None:
        """The stacked step of these members' optimizers, or None when one of them is not
        one this implements (then each member steps its own optimizer)."""
        kinds = set()
        groups: list[dict[str, dict]] = []
        for t, named in zip(trainers, members):
            opt = t.optimizer
            kind = "adam" if type(opt) in ADAM_FAMILY else "sgd" if type(opt) is torch.optim.SGD else None
            if kind is None:
                return None
            kinds.add(kind)
            where = {id(p): g for g in opt.param_groups for p in g["params"]}
            if len(where) != sum(len(g["params"]) for g in opt.param_groups) or set(where) != {
                id(p) for p in named.values()
            }:
                return None  # a parameter twice, or the optimizer's parameters are not the model's
            mine = {name: where[id(p)] for name, p in named.items()}
            for g in mine.values():
                if any(g.get(k) for k in UNSUPPORTED_SETTINGS) or isinstance(g["lr"], torch.Tensor):
                    return None
            groups.append(mine)
        if len(kinds) != 1:
            return None
        kind = kinds.pop()
        if kind == "sgd":
            shapes = {(bool(g["momentum"]), bool(g["nesterov"])) for m in groups for g in m.values()}
            if len(shapes) != 1:
                return None
        return cls(kind, params, groups)

    def _columns(self, name: str, step: int, like: torch.Tensor) -> tuple[list[torch.Tensor], tuple[bool, bool]]:
        """Each member's settings for parameter ``name``, one (members, 1, ...) tensor per
        setting (made once per step for the members' groups), and whether any member has a
        coupled / a decoupled weight decay."""
        groups = tuple(member[name] for member in self.groups)
        key = (tuple(id(g) for g in groups), step, like.dtype)
        hit = self._cache.get(key)
        if hit is None:
            rows = [self._row(g, step) for g in groups]
            flags = (any(r[-2] != 0 for r in rows), any(r[-1] != 1 for r in rows))
            hit = self._cache[key] = (torch.tensor(rows, dtype=like.dtype, device=like.device), flags)
        cols, flags = hit
        shape = (cols.shape[0], *([1] * (like.dim() - 1)))
        return [c.reshape(shape) for c in cols.unbind(1)], flags

    def _row(self, g: dict, step: int) -> tuple[float, ...]:
        """One member's settings for a step; the last two: coupled weight decay, decay factor."""
        lr, wd = float(g["lr"]), float(g.get("weight_decay", 0.0) or 0.0)
        if self.kind == "sgd":
            return (-lr, float(g["momentum"]), 1 - float(g["dampening"]), wd, 1.0)
        b1, b2 = (float(b) for b in g["betas"])
        decoupled = bool(g.get("decoupled_weight_decay", False))
        return (
            1 - b1,
            b2,
            1 - b2,
            -(lr / (1 - b1**step)),
            (1 - b2**step) ** 0.5,
            float(g["eps"]),
            0.0 if decoupled else wd,
            1 - lr * wd if decoupled else 1.0,
        )

    @torch.no_grad()
    def step(self) -> None:
        self._cache = {}
        for name, p in self.params.items():
            grad = p.grad
            if grad is None:
                continue
            self.steps[name] += 1
            t = self.steps[name]
            if self.kind == "adam":
                self._adam(name, p, grad, t)
            else:
                self._sgd(name, p, grad, t)

    def _adam(self, name: str, p: torch.Tensor, grad: torch.Tensor, t: int) -> None:
        (c1, b2, c2, neg_step, bc2_sqrt, eps, coupled, decay), (any_coupled, any_decoupled) = self._columns(name, t, p)
        if name not in self.state:
            self.state[name] = {"m": torch.zeros_like(p), "v": torch.zeros_like(p)}
        m, v = self.state[name]["m"], self.state[name]["v"]
        if any_coupled:
            grad = torch.addcmul(grad, p, coupled)
        if any_decoupled:
            p.mul_(decay)
        m.lerp_(grad, c1)
        v.mul_(b2).addcmul_(grad * c2, grad)
        denom = (v.sqrt() / bc2_sqrt).add_(eps)
        p.addcdiv_(m * neg_step, denom)

    def _sgd(self, name: str, p: torch.Tensor, grad: torch.Tensor, t: int) -> None:
        (neg_lr, momentum, undamped, wd, _), (any_wd, _) = self._columns(name, t, p)
        if any_wd:
            grad = torch.addcmul(grad, p, wd)
        g0 = self.groups[0][name]
        if g0["momentum"]:
            buf = self.state.get(name, {}).get("buf")
            if buf is None:
                buf = grad.clone()
                self.state[name] = {"buf": buf}
            else:
                buf.mul_(momentum).addcmul_(grad, undamped)
            grad = torch.addcmul(grad, buf, momentum) if g0["nesterov"] else buf
        p.addcmul_(grad, neg_lr)


class Stack:
    """The members of one stack: their trainers, and the stacked parameters they are views of."""

    def __init__(self, units: list[Unit], prep: Prepared):
        self.prep = units[0].prep or prep
        device = self.prep.device
        models = [u.model.to(device) for u in units]  # type: ignore[union-attr]
        self.params, self.buffers = torch.func.stack_module_state(models)
        for i, m in enumerate(models):  # each member's own module: views of its row
            for name, p in m.named_parameters():
                p.data = self.params[name].data[i]
            for name in dict(m.named_buffers()):
                owner, _, attr = name.rpartition(".")
                m.get_submodule(owner)._buffers[attr] = self.buffers[name][i]
        self.members = [dict(m.named_parameters()) for m in models]
        self.skeleton = copy.deepcopy(models[0]).to("meta")
        self.trainers = [Trainer(u, prep) for u in units]  # their optimizers and fixes, on the rebound modules
        for t in self.trainers:
            # a step with no gradients (nothing moves): a scheduler made on this optimizer sees
            # it stepped before its own first step, as in the threaded loop
            t.optimizer.step()
        self.stepper = StackedStep.make(self.trainers, self.members, self.params)
        n_inputs = len(self.prep.train.head(1)[0])
        self.train_forward = _vmapped(self.skeleton, n_inputs, shared_inputs=False)
        self.eval_forward = _vmapped(self.skeleton, n_inputs, shared_inputs=True)

    def rows(self, alive: list[int]):
        """The stacked parameters of the members still training (all of them: no copy)."""
        if len(alive) == len(self.trainers):
            return self.params, self.buffers
        idx = torch.tensor(alive, device=self.prep.device)
        return {k: v[idx] for k, v in self.params.items()}, {k: v[idx] for k, v in self.buffers.items()}

    def train_epoch(self, alive: list[int], stop: threading.Event) -> list[dict[str, float]]:
        trainers = [self.trainers[i] for i in alive]
        lead = trainers[0]
        sums = [t.new_sums() for t in trainers]
        batches = [t.epoch_batches() for t in trainers]
        self.skeleton.train()
        while True:
            for t in trainers:
                t.check_stop(stop)
            items = []
            for t, it in zip(trainers, batches):
                with t.own_global_rng():
                    items.append(next(it, None))
            if items[0] is None:
                break
            got = [TrainBatch(*item) for item in items]  # type: ignore[misc]
            inputs = tuple(torch.stack(xs) for xs in zip(*(b.inputs for b in got)))
            params, buffers = self.rows(alive)
            with lead.autocast():
                out = self.train_forward(params, buffers, *inputs)
            out = out.float()
            losses = [t.objective(t.train_criterion, out[j], b) for j, (t, b) in enumerate(zip(trainers, got))]
            for p in self.params.values():
                p.grad = None
            torch.stack(losses).sum().backward()
            for i, t in zip(alive, trainers):
                for name, p in self.members[i].items():
                    grad = self.params[name].grad
                    p.grad = None if grad is None else grad[i]
                t.before_step()
            if self.stepper is not None:
                self.stepper.step()  # every row: those of members that ended are no one's any more
            for t in trainers:
                if self.stepper is None:
                    t.optimizer.step()
                t.after_step()
            for j, t in enumerate(trainers):
                t.add_batch(sums[j], out[j], got[j], losses[j])
        return [t.epoch_logs(s) for t, s in zip(trainers, sums)]

    @torch.no_grad()
    def evaluate(self, alive: list[int]) -> list[dict[str, float]]:
        trainers = [self.trainers[i] for i in alive]
        params, buffers = self.rows(alive)
        self.skeleton.eval()
        outs: list[list[torch.Tensor]] = [[] for _ in trainers]
        ys = []
        for inputs, y in self.prep.val.batches(trainers[0].eval_batch_size):
            with trainers[0].autocast():
                out = self.eval_forward(params, buffers, *inputs).float()
            for j in range(len(trainers)):
                outs[j].append(out[j])
            ys.append(y)
        return [t.eval_logs(o, ys) for t, o in zip(trainers, outs)]

    def release(self, i: int) -> None:
        """Member ``i`` is done: its module gets storage of its own (a copy of its row)."""
        model = self.trainers[i].unit.model
        for p in self.members[i].values():
            p.data = p.data.clone()
        if model is not None:
            for name, b in list(model.named_buffers()):
                owner, _, attr = name.rpartition(".")
                model.get_submodule(owner)._buffers[attr] = b.clone()


def run_stack(
    units: list[Unit],
    prep: Prepared,
    stop: threading.Event,
    *,
    on_epoch: Callable | None = None,
    on_done: Callable[[Unit], None] | None = None,
    keep_trainer: bool = False,
    keep_model: bool = True,
) -> None:
    """Train ``units`` as one stack; failures are recorded on the units, never raised."""
    try:
        stack = Stack(units, prep)
    except Exception as e:  # noqa: BLE001 - a run failing must not take the others down
        for u in units:
            u.status, u.error = "failed", f"could not be stacked: {type(e).__name__}: {_first_line(e)}"
        return
    epochs = stack.trainers[0].epochs
    alive = list(range(len(units)))
    ended: list[int] = []

    def end(i: int) -> None:
        t = stack.trainers[i]
        t.settle()
        stack.release(i)
        hand_over(t.unit, t, on_done, keep_trainer, keep_model)
        ended.append(i)

    for t in stack.trainers:
        t.begin()
    try:
        for epoch in range(1, epochs + 1):
            for i in alive:
                stack.trainers[i].epoch = epoch
            train_logs = stack.train_epoch(alive, stop)
            for i in alive:
                stack.trainers[i].train_epoch_end(epoch)
            val_logs = stack.evaluate(alive)
            stopping = []
            for i, tl, vl in zip(alive, train_logs, val_logs):
                t = stack.trainers[i]
                if t.record(epoch, {**tl, **vl, "learning_rate": t.lr}, on_epoch):
                    stopping.append(i)
            for i in stopping:
                alive.remove(i)
                stack.trainers[i].complete()
                end(i)
            if not alive:
                break
        for i in alive:
            stack.trainers[i].complete()
    except (Interrupted, KeyboardInterrupt, TimedOut) as e:
        for i in alive:
            stack.trainers[i].halted(e, stop)
    except Exception as e:  # noqa: BLE001 - reported on the runs still training, the others are done
        for i in alive:
            u = stack.trainers[i].unit
            u.status, u.error = "failed", f"{type(e).__name__} in the stacked runs: {_first_line(e)}"
    for i in alive:
        if i not in ended:
            try:
                end(i)
            except KeyboardInterrupt:
                stop.set()
            except Exception as e:  # noqa: BLE001 - writing its history failed: the run fails with the reason
                u = stack.trainers[i].unit
                u.status, u.error = "failed", f"the run stopped on {type(e).__name__}: {_first_line(e)}"


def execute_batched(
    units: list[Unit],
    prep: Prepared,
    *,
    stop: threading.Event,
    on_epoch: Callable | None = None,
    on_done: Callable[[Unit], None] | None = None,
    keep_trainers: bool = False,
    keep_models: bool = True,
    timeout: float | None = None,
) -> tuple[dict, bool]:
    """Train the stackable pending units, stack by stack; the rest stay ``pending`` for the
    threaded executor. -> (``setup.batched``: which ran stacked, which not and why; whether
    the re-run was interrupted)."""
    p = plan(units, prep)
    with cpu_threads(prep, 1):
        for members in p.stacks:
            if stop.is_set():
                break
            for u in members:
                u.timeout = timeout
                u.deadline = None if timeout is None else time.monotonic() + timeout
            run_stack(
                members,
                prep,
                stop,
                on_epoch=on_epoch,
                on_done=on_done,
                keep_trainer=keep_trainers,
                keep_model=keep_models,
            )
    return p.to_dict(), stop.is_set()
