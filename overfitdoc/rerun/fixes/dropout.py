"""``dropout``: zero a random share of the hidden activations in training mode.

Injected by module hooks on the variant's model instance, never by editing the user's class:

* a forward hook on each activation module (``nn.ReLU``, ``nn.GELU``, ...) that a weighted
  layer (``nn.Linear``, ``nn.Conv*``) runs after, so the output activation is left alone;
* when the model has no such activation module (it calls ``F.relu`` in ``forward``), a
  forward pre-hook on each ``nn.Linear`` that runs after another weighted layer (the
  input of the first layer is data, not a hidden activation).

Dense activations (2 dimensions) get element-wise dropout with p = 0.25 (AUTOTRAINER's
repair uses 0.25), or the rate of the advice when it chose the fix; feature maps (3 to 5 dimensions) get channel-wise dropout with p = 0.1,
as ``nn.Dropout1d/2d/3d`` do. The hooks check ``module.training``: in ``eval()`` mode they do
nothing, so validation sees the whole network, as with ``nn.Dropout``. The masks come from
the run's own generator, so every seed's dropout is reproducible.

A model that already has dropout modules (``nn.Dropout``, ``nn.Dropout1d/2d/3d``) gets no
second dropout stacked on them: their ``p`` is raised instead, to the advice's rate when that
is higher, else by 0.1 (at most 0.8), and the variant says so.
"""

from __future__ import annotations

import torch
from torch import nn

from ..prepare import ACTIVATIONS, WEIGHTED_LAYERS, leaf_calls
from . import Fix, register

P_DENSE = 0.25
P_CHANNEL = 0.10
P_STEP = 0.1
P_MAX = 0.8


def existing(model: nn.Module) -> list[nn.modules.dropout._DropoutNd]:
    """The model's own dropout modules (their ``p`` is what the fix raises)."""
    return [m for m in model.modules() if isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d))]


def raised(p: float, advised: float) -> float:
    return advised if advised > p else min(P_MAX, round(p + P_STEP, 6))


def sites(model: nn.Module, inputs) -> tuple[str, list[nn.Module], set[int]]:
    """-> ("after" | "before", modules, dimensions of the tensors dropped): where dropout goes."""
    calls = leaf_calls(model, inputs)
    weighted_at = [i for i, (_, m, _) in enumerate(calls) if isinstance(m, WEIGHTED_LAYERS)]
    after: list[nn.Module] = []
    dims: set[int] = set()
    for i, (_, m, d) in enumerate(calls):
        if isinstance(m, ACTIVATIONS) and any(j > i for j in weighted_at) and m not in after:
            after.append(m)
            dims.add(d)
    if after:
        return "after", after, dims
    before: list[nn.Module] = []
    for i, (_, m, _) in enumerate(calls):
        if isinstance(m, nn.Linear) and any(j < i for j in weighted_at) and m not in before:
            before.append(m)
            dims.add(2)
    return "before", before, dims


def drop(x: torch.Tensor, generator: torch.Generator, p_dense: float = P_DENSE) -> torch.Tensor:
    """Element-wise dropout for (N, features); channel-wise for (N, C, ...) feature maps."""
    if not x.is_floating_point() or x.dim() < 2:
        return x
    p = p_dense if x.dim() == 2 else P_CHANNEL
    shape = x.shape if x.dim() == 2 else (*x.shape[:2], *([1] * (x.dim() - 2)))
    keep = torch.empty(shape, device=x.device, dtype=x.dtype).bernoulli_(1.0 - p, generator=generator)
    return x * keep / (1.0 - p)


@register
class Dropout(Fix):
    id = "dropout"
    title = "Dropout injected by hooks (train mode only)"
    order = 20
    accepts = ("rate",)  # the advice's rate for dense activations (0.3, or 0.5 when the gap opened early)

    @property
    def p_dense(self) -> float:
        return float(self.params.get("rate", P_DENSE))

    def skip_reason(self, prep):
        model = prep.build_model(0).to(prep.device)
        where, modules, _ = sites(model, prep.train.head(2)[0])
        if not modules:
            return (
                "no hidden activation to drop: no activation module (nn.ReLU, ...) before a layer and no "
                "nn.Linear after another layer"
            )
        return None

    def describe(self, prep):
        model = prep.build_model(0).to(prep.device)
        own = existing(model)
        if own:
            ps = "/".join(sorted({f"{m.p:g}" for m in own}))
            new = "/".join(sorted({f"{raised(m.p, self.p_dense):g}" for m in own}))
            return (
                f"raised the model's own {len(own)} dropout module{'s' if len(own) != 1 else ''} from p={ps} "
                f"to p={new} (no second dropout stacked on them)"
            )
        where, modules, dims = sites(model, prep.train.head(2)[0])
        kinds = "/".join(sorted({type(m).__name__ for m in modules}))
        rates = [f"p={self.p_dense:g}"] if any(d <= 2 for d in dims) else []
        rates += [f"channel p={P_CHANNEL:g}"] if any(d > 2 for d in dims) else []
        return f"{' and '.join(rates)} {where} {len(modules)} {kinds} module{'s' if len(modules) != 1 else ''}"

    def install(self, trainer):
        model = trainer.model
        own = existing(model)
        if own:
            for d in own:
                d.p = raised(d.p, self.p_dense)
            return
        where, modules, _ = sites(model, trainer.prep.train.head(2)[0])
        gen = trainer.generator("dropout")
        p_dense = self.p_dense
        trainer.dropout_handles = []
        for m in modules:
            if where == "after":

                def hook(module, _inputs, output, gen=gen):
                    return drop(output, gen, p_dense) if module.training and isinstance(output, torch.Tensor) else None

                trainer.dropout_handles.append(m.register_forward_hook(hook))
            else:

                def pre_hook(module, args, gen=gen):
                    if not module.training or not args or not isinstance(args[0], torch.Tensor):
                        return None
                    return (drop(args[0], gen, p_dense), *args[1:])

                trainer.dropout_handles.append(m.register_forward_pre_hook(pre_hook))
