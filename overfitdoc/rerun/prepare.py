"""From a :class:`~.spec.Spec` to everything a re-run needs, checked on the first batch:
the data on the device, the loss (and which default was chosen, and why), the metrics, what
the optimizer is, how the model's layers are called, and whether it can be made smaller.

Any mistake in the spec surfaces here as one :class:`~.spec.SpecError` line, before
training starts, never as a traceback from a worker thread.
"""

from __future__ import annotations

import copy
import dataclasses
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .data import DataError, Split, TensorSplit, fold_indices, pooled, subset, to_split
from .spec import DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, Spec, _first_line, exit_call

ACTIVATIONS = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Tanh,
    nn.Hardswish,
    nn.Hardtanh,
    nn.Softplus,
    nn.Softsign,
    nn.Tanhshrink,
)
WEIGHTED_LAYERS = (nn.Linear, nn.Bilinear, nn.LazyLinear, nn.modules.conv._ConvNd)


# ---------------------------------------------------------------- default losses and metrics


class TargetsLikeOutputs(nn.Module):
    """A loss whose targets take the outputs' shape and dtype (``(N,)`` targets for ``(N, 1)``
    outputs), as the default BCE-with-logits and MSE need."""

    def __init__(self, loss: nn.Module, label_smoothing: float = 0.0):
        super().__init__()
        self.loss = loss
        self.label_smoothing = label_smoothing

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if targets.shape != outputs.shape and targets.numel() == outputs.numel():
            targets = targets.reshape(outputs.shape)
        targets = targets.to(outputs.dtype)
        if self.label_smoothing:
            targets = targets * (1 - self.label_smoothing) + 0.5 * self.label_smoothing
        return self.loss(outputs, targets)


def multiclass_accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Share of samples whose largest output is the target class."""
    if targets.dim() == outputs.dim():  # class probabilities as targets
        targets = targets.argmax(dim=1)
    return (outputs.argmax(dim=1) == targets).float().mean()


def binary_accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Share of samples on the right side of logit 0 (probability 0.5)."""
    return ((outputs.reshape(-1) > 0) == (targets.reshape(-1) > 0.5)).float().mean()


# ---------------------------------------------------------------- what a re-run knows about the spec


@dataclass
class OptimizerInfo:
    """The spec's optimizer as built on the model: its class and per-group settings."""

    cls: type
    defaults: dict[str, Any]
    groups: list[dict[str, Any]]

    @property
    def name(self) -> str:
        return self.cls.__name__

    @property
    def lr(self) -> float:
        lr = self.groups[0].get("lr", DEFAULT_LR) if self.groups else DEFAULT_LR
        return float(lr)


@dataclass
class Prepared:
    """The spec, called and checked: data, loss, metrics, optimizer and model facts."""

    spec: Spec
    device: torch.device
    amp: bool
    epochs: int
    batch_size: int
    train: Split
    val: Split
    criterion: Callable
    loss_name: str
    loss_reason: str
    task: str  # multiclass | binary | regression | custom
    metrics: dict[str, Callable]
    input_kinds: tuple[str, ...]  # image | float | integer, one per input
    input_std: tuple[torch.Tensor | None, ...]
    optimizer: OptimizerInfo
    param_count: int
    smaller: dict[str, Any] | None = None  # model kwargs of the smaller model, when there is one
    smaller_reason: str = ""  # why not, when there is none
    smaller_param_count: int | None = None
    #: without such a keyword: the hidden layers module surgery halves (surgery.Resized)
    smaller_layers: list | None = None
    sample: tuple[torch.Tensor, ...] = ()  # two training samples' inputs, on the CPU (for surgery)
    notes: list[str] = field(default_factory=list)
    #: the loss of each validation sample (outputs, targets) -> (N,) tensor, when the loss is a
    #: torch loss module averaging over samples (:func:`per_sample_loss`); None otherwise
    sample_loss: Callable | None = None

    @property
    def n_train(self) -> int:
        return len(self.train)

    @property
    def effective_batch(self) -> int:
        return min(self.batch_size, self.n_train)

    @property
    def metric_name(self) -> str | None:
        """The metric shown next to the loss: the first one."""
        return next(iter(self.metrics), None)

    def build_model(self, seed: int, **kwargs) -> nn.Module:
        """A fresh model from the spec, its weights drawn from ``seed`` (on the CPU)."""
        torch.manual_seed(seed)
        m = self.spec.model_fn(**kwargs)
        if not isinstance(m, nn.Module):
            raise self.spec.fail(f"model({_kwargs(kwargs)}) returned a {type(m).__name__}, not a torch.nn.Module")
        return m

    def make_optimizer(self, params) -> torch.optim.Optimizer:
        params = list(params)
        if self.spec.optimizer_fn is None:
            return torch.optim.Adam(params, lr=DEFAULT_LR)
        return self.spec.optimizer_fn(params)

    def steps_per_epoch(self, batch_size: int) -> int:
        return self.train.steps(batch_size)


def prepare(
    spec: Spec, device: torch.device, *, epochs: int | None = None, amp: bool = False, stage: list[str] | None = None
) -> Prepared:
    """Call data() and model(), place the data, choose the loss, check the first batch.
    ``stage`` gets the name of each call into the spec as it starts (what a --timeout names)."""
    stage = stage if stage is not None else []
    stage.append("data()")
    try:
        out = spec.data_fn()
    except SystemExit as e:
        raise spec.fail(f"the spec called {exit_call(e)} in data()") from None
    except Exception as e:  # noqa: BLE001 - the user's code: one line
        raise spec.fail(f"data() raised {type(e).__name__}: {_first_line(e)}") from None
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise spec.fail(
            f"data() must return (train, val): two torch Datasets or tuples of tensors (x, y), not {_describe(out)}"
        )
    if all(isinstance(part, torch.Tensor) for part in out):
        raise spec.fail(
            "data() must return (train, val), each a tuple (x, y) or a Dataset: "
            "return (x_train, y_train), (x_val, y_val), not two tensors"
        )
    try:
        train = to_split(out[0], "training", device)
        val = to_split(out[1], "validation", device)
    except DataError as e:
        raise spec.fail(f"data(): {e}") from None

    stage.append("model()")
    model = _model(spec)
    param_dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.get_default_dtype())
    train, val = _cast(train, param_dtype), _cast(val, param_dtype)
    model = model.to(device)
    batch_size = spec.batch_size or DEFAULT_BATCH_SIZE
    xs, y = train.head(min(batch_size, len(train), 64))
    stage.append("the model, loss and metrics on the first batch")
    criterion, loss_name, loss_reason, task, metrics, out_t = _check_first_batch(spec, model, xs, y, amp, device)
    vxs, vy = val.head(min(len(val), 8))
    try:
        with torch.no_grad():
            model.eval()
            vout = model(*vxs)
            criterion(vout.float(), vy)
    except Exception as e:  # noqa: BLE001
        raise spec.fail(
            f"the first validation batch does not fit the model or the loss: {_first_line(e)}; "
            "give the validation set the same shapes and types as the training set"
        ) from None
    stage.append("optimizer(params)" if spec.optimizer_fn else "the default optimizer")
    try:
        opt = (
            spec.optimizer_fn(list(model.parameters()))
            if spec.optimizer_fn
            else torch.optim.Adam(model.parameters(), lr=DEFAULT_LR)
        )
    except Exception as e:  # noqa: BLE001
        raise spec.fail(f"optimizer(params) raised {type(e).__name__}: {_first_line(e)}") from None
    if not isinstance(opt, torch.optim.Optimizer):
        raise spec.fail(f"optimizer(params) must return a torch.optim.Optimizer, not {_describe(opt)}")
    info = OptimizerInfo(
        type(opt), dict(opt.defaults), [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    )
    kinds, stds = _inputs(train)
    prep = Prepared(
        spec=spec,
        device=device,
        amp=amp,
        epochs=epochs or spec.epochs or DEFAULT_EPOCHS,
        batch_size=batch_size,
        train=train,
        val=val,
        criterion=criterion,
        loss_name=loss_name,
        loss_reason=loss_reason,
        task=task,
        metrics=metrics,
        input_kinds=kinds,
        input_std=stds,
        optimizer=info,
        param_count=sum(p.numel() for p in model.parameters()),
        sample=tuple(x[:2].cpu() for x in xs),
        sample_loss=per_sample_loss(criterion),
    )
    if spec.capacity_keyword is not None:
        stage.append(f"model({spec.capacity_keyword}=...) for the smaller model")
    _smaller(prep, model)
    return prep


# ---------------------------------------------------------------- re-splits: --val-fraction, --folds


def split_seed(purpose: str, seed: int = 0) -> int:
    """The seed of a re-split's random permutation: fixed, so every invocation splits alike."""
    return (seed * 1_000_003 + zlib.crc32(purpose.encode())) % (2**63 - 1)


def with_split(prep: Prepared, train: Split, val: Split) -> Prepared:
    """``prep`` on other training and validation samples (the augmentation's feature scale
    measured on the new training set)."""
    kinds, stds = _inputs(train)
    return dataclasses.replace(prep, train=train, val=val, input_kinds=kinds, input_std=stds, notes=list(prep.notes))


def _pool(prep: Prepared, option: str) -> Split:
    try:
        return pooled(prep.train, prep.val)
    except DataError as e:
        raise prep.spec.fail(f"{option}: {e}") from None


def val_fraction_split(prep: Prepared, fraction: float) -> Prepared:
    """``--val-fraction F``: the spec's training and validation samples pooled and split once
    at random (a permutation seeded by :func:`split_seed`, the same for every seed and variant)
    into round(F x N) validation samples and the rest for training."""
    pool = _pool(prep, f"--val-fraction {fraction:g}")
    n = len(pool)
    n_val = round(fraction * n)
    if not 1 <= n_val <= n - 1:
        raise prep.spec.fail(
            f"--val-fraction {fraction:g} of {n} pooled samples leaves {n_val} for validation and {n - n_val} for "
            "training; both need at least one"
        )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(split_seed("val-fraction")))
    return with_split(prep, subset(pool, order[n_val:].sort().values), subset(pool, order[:n_val].sort().values))


def fold_splits(prep: Prepared, folds: int, seeds: int) -> dict[tuple[int, int], Prepared]:
    """``--folds K``: for each seed, the pooled samples partitioned at random into K folds (a
    permutation seeded by :func:`split_seed` with the seed: a new partition per seed, repeated
    k-fold cross-validation); run (seed, k) validates on fold k and trains on the others."""
    pool = _pool(prep, f"--folds {folds}")
    n = len(pool)
    if n < folds:
        raise prep.spec.fail(f"--folds {folds}: only {n} pooled training and validation samples")
    out: dict[tuple[int, int], Prepared] = {}
    for seed in range(seeds):
        parts = fold_indices(n, folds, torch.Generator().manual_seed(split_seed("folds", seed)))
        for k, val_idx in enumerate(parts):
            train_idx = torch.cat([p for j, p in enumerate(parts) if j != k]).sort().values
            out[seed, k] = with_split(prep, subset(pool, train_idx), subset(pool, val_idx))
    return out


def per_sample_loss(criterion) -> Callable | None:
    """The loss of each sample, from a copy of ``criterion`` with ``reduction="none"``: for a
    torch loss module (or the default losses wrapping one) that averages, the mean of these is
    the validation loss. None for any other loss (a function, a sum, a custom module). The
    caller checks that their mean is the loss it logged (a class-weighted cross-entropy's is
    not) before using them."""
    inner = criterion.loss if isinstance(criterion, TargetsLikeOutputs) else criterion
    if not isinstance(inner, nn.modules.loss._Loss) or getattr(inner, "reduction", None) != "mean":
        return None
    unreduced = copy.deepcopy(inner)  # a copy: the criterion itself is shared by every run
    unreduced.reduction = "none"
    wrapped = None
    if isinstance(criterion, TargetsLikeOutputs):
        wrapped = TargetsLikeOutputs(unreduced, criterion.label_smoothing)

    def losses(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        per = (wrapped or unreduced)(outputs, targets)
        return per.reshape(per.shape[0], -1).mean(dim=1) if per.dim() > 1 else per

    return losses


def _model(spec: Spec) -> nn.Module:
    try:
        torch.manual_seed(0)
        m = spec.model_fn()
    except SystemExit as e:
        raise spec.fail(f"the spec called {exit_call(e)} in model()") from None
    except Exception as e:  # noqa: BLE001
        raise spec.fail(f"model() raised {type(e).__name__}: {_first_line(e)}") from None
    if not isinstance(m, nn.Module):
        raise spec.fail(f"model() must return a torch.nn.Module, not {_describe(m)}")
    if not any(True for _ in m.parameters()):
        raise spec.fail("model() returned a module with no parameters: nothing to train")
    return m


def _cast(split: Split, dtype: torch.dtype) -> Split:
    """float64 data (numpy's default) for a float32 model: cast once, here."""
    if not isinstance(split, TensorSplit):
        return split

    def c(t: torch.Tensor) -> torch.Tensor:
        return t.to(dtype) if t.is_floating_point() and t.dtype != dtype else t

    return TensorSplit(tuple(c(t) for t in split.inputs), c(split.targets), split.device, split.on_device)


def _check_first_batch(spec, model, xs, y, amp, device):
    model = copy.deepcopy(model).train()
    # the check must not move the random streams the re-run draws from
    with torch.random.fork_rng(devices=[torch.cuda.current_device()] if device.type == "cuda" else []):
        try:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
                out = model(*xs)
        except Exception as e:  # noqa: BLE001
            shapes = ", ".join(str(tuple(x.shape)) for x in xs)
            raise spec.fail(
                f"the model fails on the first training batch (inputs {shapes}): {_first_line(e)}; "
                "make model() accept what data() returns"
            ) from None
        if not isinstance(out, torch.Tensor):
            raise spec.fail(f"the model returned {_describe(out)}; it must return one tensor of outputs (logits)")
        out = out.float()
        criterion, name, reason, task = _choose_loss(spec, out, y)
        try:
            loss = criterion(out, y)
        except Exception as e:  # noqa: BLE001
            raise spec.fail(
                f"the loss ({name}) fails on the first batch: outputs {tuple(out.shape)} {str(out.dtype)[6:]}, "
                f"targets {tuple(y.shape)} {str(y.dtype)[6:]}: {_first_line(e)}; "
                "make model()'s output fit data()'s targets, or set `loss`"
            ) from None
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise spec.fail(f"the loss must return one number (a scalar tensor), not {_describe(loss)}")
        if not loss.requires_grad:
            raise spec.fail(
                "the loss does not depend on the model's parameters (no gradient); "
                "compute it from the model's outputs with torch operations"
            )
        loss.backward()
        metrics = _metrics(spec, task)
        for mname, fn in metrics.items():
            try:
                v = fn(out.detach(), y)
                float(v)
            except Exception as e:  # noqa: BLE001
                raise spec.fail(
                    f"metric {mname!r} fails on the first batch: {_first_line(e)}; "
                    "a metric is fn(outputs, targets) -> number"
                ) from None
    return criterion, name, reason, task, metrics, out


def _choose_loss(spec: Spec, out: torch.Tensor, y: torch.Tensor):
    """-> (criterion, name, why, task)."""
    user = spec.loss
    if user is not None:
        if isinstance(user, type) and issubclass(user, nn.Module):
            user = user()
        if isinstance(user, nn.CrossEntropyLoss | nn.NLLLoss):
            return user, type(user).__name__, "the spec's loss", "multiclass"
        if isinstance(user, nn.BCEWithLogitsLoss):
            return TargetsLikeOutputs(user), "BCEWithLogitsLoss", "the spec's loss", "binary"
        name = type(user).__name__ if isinstance(user, nn.Module) else getattr(user, "__name__", "loss")
        return (
            user,
            name,
            "the spec's loss",
            "regression" if isinstance(user, nn.MSELoss | nn.L1Loss | nn.SmoothL1Loss | nn.HuberLoss) else "custom",
        )
    integer = not y.is_floating_point() and y.dtype != torch.bool
    one_output = (out.dim() == 1 or out.shape[-1] == 1) and out.numel() == y.numel()
    binary = bool(((y == 0) | (y == 1)).all()) if y.numel() else False
    if integer and out.dim() >= 2 and out.shape[1] > 1:
        return nn.CrossEntropyLoss(), "cross-entropy", "default: integer targets", "multiclass"
    if one_output and binary:
        return (
            TargetsLikeOutputs(nn.BCEWithLogitsLoss()),
            "BCE-with-logits",
            "default: one output and 0/1 targets",
            "binary",
        )
    return (
        TargetsLikeOutputs(nn.MSELoss()),
        "MSE",
        "default: neither integer class targets nor one 0/1 output",
        "regression",
    )


def _metrics(spec: Spec, task: str) -> dict[str, Callable]:
    if spec.metrics is not None:
        return dict(spec.metrics)
    if task == "multiclass":
        return {"accuracy": multiclass_accuracy}
    if task == "binary":
        return {"accuracy": binary_accuracy}
    return {}


def _inputs(train: Split) -> tuple[tuple[str, ...], tuple[torch.Tensor | None, ...]]:
    """What each input is (image batch, other float tensor, integer ids) and, for float
    inputs, the per-feature standard deviation that scales the input-noise augmentation."""
    xs = train.held_inputs if isinstance(train, TensorSplit) else train.head(min(len(train), 4096))[0]
    kinds: list[str] = []
    stds: list[torch.Tensor | None] = []
    for x in xs:
        if not x.is_floating_point():
            kinds.append("integer")
            stds.append(None)
            continue
        kinds.append("image" if x.dim() == 4 else "float")
        std = x.float().std(dim=0) if x.shape[0] > 1 else torch.zeros_like(x[0], dtype=torch.float32)
        stds.append(torch.nan_to_num(std).to(train.device))
    return tuple(kinds), tuple(stds)


#: the smaller model's share of each hidden width (or of the `width`/`scale` keyword's default)
SHRINK = 0.5


def _smaller(prep: Prepared, model: nn.Module) -> None:
    """The kwargs of a half-size model, when model() takes ``width`` or ``scale``; else the
    hidden layers module surgery halves (:func:`.surgery.shrink`), or why it cannot."""
    from .surgery import CannotRebuild, shrink

    spec = prep.spec
    kw = spec.capacity_keyword
    if kw is None:
        try:
            small, prep.smaller_layers = shrink(copy.deepcopy(model).cpu(), prep.sample, SHRINK, 0)
        except CannotRebuild as e:
            prep.smaller_reason = (
                f"model() takes no `width` or `scale` keyword and cannot be rebuilt smaller: {e}; "
                "add a keyword (def model(width=1.0)) to let overfitdoc shrink it"
            )
            return
        n = sum(p.numel() for p in small.parameters())
        if n >= prep.param_count:
            prep.smaller_layers = None
            prep.smaller_reason = (
                f"model() takes no `width` or `scale` keyword, and its hidden layers are too narrow to halve "
                f"({n} parameters, no fewer than {prep.param_count})"
            )
            return
        prep.smaller_param_count = n
        return
    default = spec.capacity_default
    if isinstance(default, int) and not isinstance(default, bool):
        value: Any = max(1, int(default * SHRINK))
    elif isinstance(default, float) or default is None:
        value = SHRINK * default if isinstance(default, float) else SHRINK
    else:
        prep.smaller_reason = f"model()'s `{kw}` defaults to {default!r}; overfitdoc shrinks a number (int or float)"
        return
    try:
        small = prep.build_model(0, **{kw: value})
    except Exception as e:  # noqa: BLE001
        prep.smaller_reason = f"model({kw}={value!r}) raised {type(e).__name__}: {_first_line(e)}"
        return
    n = sum(p.numel() for p in small.parameters())
    if n >= prep.param_count:
        prep.smaller_reason = f"model({kw}={value!r}) has {n} parameters, no fewer than model()'s {prep.param_count}"
        return
    prep.smaller, prep.smaller_param_count = {kw: value}, n


def leaf_calls(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> list[tuple[str, nn.Module, int]]:
    """The model's leaf modules in the order one forward pass calls them, with the number of
    dimensions of each output (in eval mode, on a couple of samples): where dropout can go
    is read from this, not from the class."""
    calls: list[tuple[str, nn.Module, int]] = []
    names = {m: n for n, m in model.named_modules()}

    def record(mod, _inputs, output):
        calls.append((names[mod], mod, output.dim() if isinstance(output, torch.Tensor) else 0))

    handles = [m.register_forward_hook(record) for m in model.modules() if not any(True for _ in m.children())]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(*(x[:2] for x in inputs))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return calls


def _describe(v) -> str:
    if isinstance(v, torch.Tensor):
        return f"a tensor of shape {tuple(v.shape)}"
    if isinstance(v, (tuple, list)):
        return f"a {type(v).__name__} of {len(v)}"
    return f"a {type(v).__name__}"


def _kwargs(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
