"""Module surgery on a copy of the spec's model: the fixes that change the network itself
(``smaller-model`` without a ``width`` keyword, ``batch-norm``) rebuild or wrap its layers
here, never by editing the user's class.

What a layer is and where it sits is read from one forward pass on two training samples (in
evaluation mode, :func:`.prepare.leaf_calls`): the leaf modules in the order they are called.
The weighted layers (``nn.Linear``, ``nn.Conv1d/2d/3d``) in that order are the network's
layers; the last one called makes the output, the others are hidden.

:func:`shrink` scales every hidden layer's width (its ``out_features`` or ``out_channels``)
by a factor (rounded down, at least 1) and keeps the output layer's; each layer after it gets
the input size it now receives: the model is rebuilt by one shape-propagating forward pass in
which every resized layer (and every norm layer, ``nn.PReLU`` with one weight per channel) is
built from the tensor that reaches it. Flattening between a convolution and a linear layer
therefore works as it does in the model (``in_features`` = channels x positions). The rebuilt
layers draw fresh weights from the seed given (their shapes differ from the baseline's); the
modules whose input did not change keep theirs.

:func:`add_batch_norm` wraps every hidden weighted layer whose next call is not already a
norm layer in ``nn.Sequential(layer, BatchNorm)``: ``BatchNorm1d`` after a linear layer (its
output (N, features)) or a ``Conv1d``, ``BatchNorm2d``/``3d`` after ``Conv2d``/``3d``; so the
normalisation sits between the layer and its activation. The baseline's weights stay; a batch
norm starts at weight 1 and bias 0, as torch builds it.

Both check the result by a forward pass on the same samples (the output's shape must be the
original's) and raise :class:`CannotRebuild` with one line naming what they cannot rebuild: a
layer called twice in one pass, a ``forward()`` that fails on the rebuilt layers (it reads a
layer's attributes, or hard-codes a width in ``view``); :func:`shrink` also a layer kind it
does not resize (an LSTM, attention, ``nn.Bilinear``, a grouped or transposed convolution) and
a parameter outside those layers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .prepare import leaf_calls
from .spec import _first_line

#: the layers whose width is scaled: out_features / out_channels, and the input size after them
RESIZED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
#: modules with one parameter per channel, rebuilt for the channels that reach them
PER_CHANNEL = (
    nn.modules.batchnorm._BatchNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.PReLU,
)
BATCH_NORM_FOR: dict[type, type[nn.Module]] = {
    nn.Linear: nn.BatchNorm1d,
    nn.Conv1d: nn.BatchNorm1d,
    nn.Conv2d: nn.BatchNorm2d,
    nn.Conv3d: nn.BatchNorm3d,
}
ONLY = "overfitdoc rebuilds Linear, ungrouped Conv1d/2d/3d and norm layers only"
NORMS = (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm, nn.LayerNorm, nn.GroupNorm)


class CannotRebuild(Exception):
    """The model cannot be rebuilt; the message says what (one line)."""


@dataclass(frozen=True)
class Resized:
    """One weighted layer whose width changed."""

    name: str
    kind: str  # the class name: Linear, Conv2d
    before: int
    after: int


def width(m: nn.Module) -> int:
    return int(getattr(m, "out_features" if isinstance(m, nn.Linear) else "out_channels"))


def scaled(w: int, factor: float) -> int:
    return max(1, int(w * factor))


def sample(inputs: tuple[torch.Tensor, ...], model: nn.Module) -> tuple[torch.Tensor, ...]:
    """The first two samples, on the model's device."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    return tuple(x[:2].to(device) for x in inputs)


def _layers(
    model: nn.Module, xs, resize: bool
) -> tuple[list[tuple[str, nn.Module, int]], list[tuple[str, nn.Module, int]]]:
    """-> (the leaf calls, the weighted ones in call order); CannotRebuild for a model whose
    layers are called twice, or (``resize``: to change widths) whose parameters are not all in
    layers this module can rebuild."""
    names = {id(m): n for n, m in model.named_modules(remove_duplicate=False)}
    known = RESIZED + PER_CHANNEL + (nn.Embedding,)
    for name, m in model.named_modules() if resize else ():
        label = f"{name or 'the model'} ({type(m).__name__})"
        if isinstance(m, nn.modules.conv._ConvNd) and (not isinstance(m, RESIZED) or m.groups != 1):
            what = "a grouped convolution" if isinstance(m, RESIZED) else "a transposed convolution"
            raise CannotRebuild(f"{label} is {what}; {ONLY}")
        own = [p for p, _ in m.named_parameters(recurse=False)]
        if own and not isinstance(m, known):
            if any(True for _ in m.children()):
                raise CannotRebuild(f"{label} has parameters of its own ({', '.join(own[:3])}); {ONLY}")
            raise CannotRebuild(f"{label} is a layer overfitdoc does not resize; {ONLY}")
    try:
        calls = leaf_calls(model, xs)
    except Exception as e:  # noqa: BLE001 - the user's forward()
        raise CannotRebuild(f"its forward() fails on two samples ({_line(e)})") from None
    seen: set[int] = set()
    for _, m, _ in calls:
        if isinstance(m, RESIZED + PER_CHANNEL) and id(m) in seen:
            raise CannotRebuild(f"{names[id(m)]} ({type(m).__name__}) is called twice in one forward pass")
        seen.add(id(m))
    weighted: list[tuple[str, nn.Module, int]] = [(n, m, d) for n, m, d in calls if isinstance(m, RESIZED)]
    if len(weighted) < 2:
        raise CannotRebuild("it has fewer than two Linear or Conv layers: no hidden layer to resize")
    return calls, weighted


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, attr = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, attr, new)


def _check(model: nn.Module, xs, shape: torch.Size) -> None:
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(*xs)
    except CannotRebuild:
        raise
    except Exception as e:  # noqa: BLE001 - the user's forward() on the rebuilt layers
        raise CannotRebuild(f"its forward() fails on the rebuilt layers ({_line(e)})") from None
    finally:
        model.train(was)
    if not isinstance(out, torch.Tensor) or out.shape != shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise CannotRebuild(
            f"the rebuilt model returns {got} for {xs[0].shape[0]} samples, not {tuple(shape)}: its forward() "
            "depends on the old widths"
        )


def _line(e: BaseException) -> str:
    return f"{type(e).__name__}: {_first_line(e)}"


def _output_shape(model: nn.Module, xs) -> torch.Size:
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(*xs)
    except Exception as e:  # noqa: BLE001 - the user's forward()
        raise CannotRebuild(f"its forward() fails on two samples ({_line(e)})") from None
    finally:
        model.train(was)
    if not isinstance(out, torch.Tensor):
        raise CannotRebuild(f"its forward() returns a {type(out).__name__}, not a tensor")
    return out.shape


class _Build(nn.Module):
    """A placeholder that builds its module from the first tensor that reaches it."""

    def __init__(self, build: Callable[[torch.Tensor], nn.Module]):
        super().__init__()
        self.build = build
        self.built: nn.Module | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.built is None:
            self.built = self.build(x)
        return self.built(x)


def _fits(old: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``old`` takes ``x`` as it is (then it is kept, with its weights)."""
    if isinstance(old, nn.Linear):
        return x.shape[-1] == old.in_features
    if isinstance(old, nn.modules.conv._ConvNd):
        return x.shape[1] == old.in_channels
    if isinstance(old, nn.LayerNorm):
        return tuple(x.shape[-len(old.normalized_shape) :]) == tuple(old.normalized_shape)
    if isinstance(old, nn.GroupNorm):
        return x.shape[1] == old.num_channels
    if isinstance(old, nn.PReLU):
        return old.num_parameters == 1 or x.shape[1] == old.num_parameters
    return x.shape[1] == getattr(old, "num_features", None)


def _like(old: nn.Module, x: torch.Tensor, out: int | None) -> nn.Module:
    """``old`` when it takes ``x`` and keeps its width, else a new module of its kind and
    settings for the input ``x`` (``out``: its new width)."""
    if out is None and _fits(old, x):
        return old
    kw: dict[str, Any] = {"device": x.device, "dtype": next(old.parameters(), x).dtype}
    if isinstance(old, nn.Linear):
        return nn.Linear(x.shape[-1], out or old.out_features, bias=old.bias is not None, **kw)
    if isinstance(old, nn.modules.conv._ConvNd):
        conv: Any = type(old)
        return conv(
            x.shape[1],
            out or old.out_channels,
            old.kernel_size,
            stride=old.stride,
            padding=old.padding,
            dilation=old.dilation,
            bias=old.bias is not None,
            padding_mode=old.padding_mode,
            **kw,
        )
    if isinstance(old, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)):
        norm: Any = type(old)
        return norm(
            x.shape[1],
            eps=old.eps,
            momentum=old.momentum,
            affine=old.affine,
            track_running_stats=old.track_running_stats,
            **kw,
        )
    if isinstance(old, nn.LayerNorm):
        k = len(old.normalized_shape)
        return nn.LayerNorm(
            tuple(x.shape[-k:]),
            eps=old.eps,
            elementwise_affine=old.elementwise_affine,
            bias=old.bias is not None,
            **kw,
        )
    if isinstance(old, nn.GroupNorm):
        if x.shape[1] % old.num_groups:
            raise CannotRebuild(f"GroupNorm({old.num_groups} groups) cannot normalise {x.shape[1]} channels")
        return nn.GroupNorm(old.num_groups, x.shape[1], eps=old.eps, affine=old.affine, **kw)
    assert isinstance(old, nn.PReLU)
    n = 1 if old.num_parameters == 1 else x.shape[1]
    return nn.PReLU(n, init=float(old.weight.detach().reshape(-1)[0]), **kw)


def shrink(
    model: nn.Module, inputs: tuple[torch.Tensor, ...], factor: float, seed: int
) -> tuple[nn.Module, list[Resized]]:
    """A copy of ``model`` with every hidden Linear/Conv layer's width scaled by ``factor``
    (rounded down, at least 1), the input and output sizes kept; the rebuilt layers' weights drawn
    from ``seed``. -> (the copy, what changed). :class:`CannotRebuild` when it cannot."""
    xs = sample(inputs, model)
    calls, weighted = _layers(model, xs, resize=True)
    shape = _output_shape(model, xs)
    new = copy.deepcopy(model)
    modules = dict(new.named_modules())
    output_layer = weighted[-1][0]
    changes: list[Resized] = []
    placeholders: list[tuple[str, _Build]] = []
    for name, m, _ in calls:
        if not isinstance(m, RESIZED + PER_CHANNEL):
            continue
        target = modules[name]
        out = None
        if isinstance(m, RESIZED) and name != output_layer:
            out = scaled(width(m), factor)
            changes.append(Resized(name, type(m).__name__, width(m), out))

        def build(x, old=target, out=out):
            return _like(old, x, out)

        ph = _Build(build)
        _replace(new, name, ph)
        placeholders.append((name, ph))
    with torch.random.fork_rng(devices=[]):  # the new weights from the seed; the global streams left alone
        torch.manual_seed(seed)
        _check(new, xs, shape)
    for name, ph in placeholders:
        if ph.built is None:
            raise CannotRebuild(f"{name} was not called when the model was rebuilt")
        _replace(new, name, ph.built)
    new.train(model.training)
    _check(new, xs, shape)
    return new, changes


def add_batch_norm(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[nn.Module, list[str]]:
    """A copy of ``model`` with a batch norm after every hidden Linear/Conv layer that has none
    yet (see the module docstring). -> (the copy, the names of the layers wrapped).
    :class:`CannotRebuild` when it cannot, or when every hidden layer has a norm already."""
    xs = sample(inputs, model)
    calls, weighted = _layers(model, xs, resize=False)
    shape = _output_shape(model, xs)
    new = copy.deepcopy(model)
    modules = dict(new.named_modules())
    order = [n for n, _, _ in calls]
    wrapped: list[str] = []
    for name, m, dims in weighted[:-1]:
        i = order.index(name)
        if i + 1 < len(calls) and isinstance(calls[i + 1][1], NORMS):
            continue  # normalised already
        if isinstance(m, nn.Linear) and dims != 2:
            raise CannotRebuild(f"{name} (Linear) returns {dims}-D tensors; BatchNorm1d normalises (N, features) only")
        target = modules[name]
        bn = BATCH_NORM_FOR[type(m)](width(m), device=target.weight.device, dtype=target.weight.dtype)
        _replace(new, name, nn.Sequential(target, bn))
        wrapped.append(name)
    if not wrapped:
        raise CannotRebuild("every hidden layer is already followed by a norm layer")
    _check(new, xs, shape)
    return new, wrapped
