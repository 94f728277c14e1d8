"""``weight-decay``: shrink the weights a little at every step, decoupled from the gradient.

* The spec's optimizer is ``Adam``: it becomes ``AdamW`` with the same learning rate, betas
  and epsilon, ``weight_decay=0.1`` on weight matrices and kernels (tensors of 2 or more
  dimensions); biases and normalization scales are not decayed, as usual.
* An optimizer with a decoupled switch (NAdam, RAdam, AdamW): ``weight_decay=0.1``, decoupled.
* When the advice chose the fix, the decoupled strength is the advice's (its AdamW snippet's
  ``weight_decay``), so the rerun tests what the report advises; the coupled one stays 5e-4.
* Any other optimizer with a ``weight_decay`` setting (SGD, RMSprop, ...): ``weight_decay=5e-4``
  on every parameter group (the classic L2 strength for SGD).

Skipped when the spec already decays at least this much, or its optimizer has no such setting.
"""

from __future__ import annotations

import torch

from ...advice.rules.weight_decay import WeightDecay as _Advice
from . import Fix, register

DECOUPLED = float(_Advice.defaults["weight_decay"])  # the advice's AdamW strength
COUPLED = 5e-4


def _plan(prep, decoupled: float = DECOUPLED) -> tuple[str, float] | str:
    """-> ("adamw" | "decoupled" | "coupled", strength), or the reason it cannot apply."""
    info = prep.optimizer
    have = max((float(g.get("weight_decay", 0.0) or 0.0) for g in info.groups), default=0.0)
    if "weight_decay" not in info.defaults:
        return f"the spec's optimizer {info.name} has no weight_decay setting"
    if info.cls is torch.optim.Adam and not info.defaults.get("decoupled_weight_decay", False):
        kind, strength = "adamw", decoupled
    elif issubclass(info.cls, torch.optim.AdamW) or "decoupled_weight_decay" in info.defaults:
        kind, strength = "decoupled", decoupled
    else:
        kind, strength = "coupled", COUPLED
    if have >= strength:
        return f"the spec's optimizer {info.name} already uses weight_decay={have:g}"
    return kind, strength


@register
class WeightDecay(Fix):
    id = "weight-decay"
    title = "Decoupled weight decay (AdamW-style)"
    order = 30
    accepts = ("weight_decay",)  # the advice's decoupled strength (its AdamW snippet's)

    def _plan(self, prep):
        return _plan(prep, float(self.params.get("weight_decay", DECOUPLED)))

    def skip_reason(self, prep):
        plan = self._plan(prep)
        return plan if isinstance(plan, str) else None

    def describe(self, prep):
        kind, strength = self._plan(prep)
        if kind == "adamw":
            return f"Adam -> AdamW(lr={prep.optimizer.lr:g}, weight_decay={strength:g}) on weights"
        if kind == "decoupled":
            return f"{prep.optimizer.name}: weight_decay={strength:g}, decoupled"
        return f"{prep.optimizer.name}: weight_decay={strength:g} on every parameter group"

    def install(self, trainer):
        kind, strength = self._plan(trainer.prep)
        opt = trainer.optimizer
        if kind == "adamw":
            keep = ("lr", "betas", "eps", "amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused")
            groups = []
            for g in opt.param_groups:
                settings = {k: g[k] for k in keep if k in g}
                decay = [p for p in g["params"] if p.dim() >= 2]
                rest = [p for p in g["params"] if p.dim() < 2]
                if decay:
                    groups.append({"params": decay, **settings, "weight_decay": strength})
                if rest:
                    groups.append({"params": rest, **settings, "weight_decay": 0.0})
            trainer.optimizer = torch.optim.AdamW(groups)
            return
        for g in opt.param_groups:
            g["weight_decay"] = max(strength, float(g.get("weight_decay", 0.0) or 0.0))
            if kind == "decoupled" and "decoupled_weight_decay" in g:
                g["decoupled_weight_decay"] = True
