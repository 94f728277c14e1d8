"""``gradient-clipping``: the global gradient norm clipped before every optimizer step.

``torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)`` between ``backward()`` and
``step()``, with ``max_norm = 1.0`` (the advice's value, a common default for Adam and SGD
alike), or the advice's own when it chose the fix. The run notes on how many steps the norm
was above it: a fix that never clipped changed nothing, and the comparison says why.
"""

from __future__ import annotations

import torch

from ..trainer import Callback
from . import Fix, register

MAX_NORM = 1.0


@register
class GradientClipping(Fix):
    id = "gradient-clipping"
    title = "Gradient-norm clipping"
    order = 30
    accepts = ("max_norm",)

    @property
    def max_norm(self) -> float:
        return float(self.params.get("max_norm", MAX_NORM))

    def describe(self, prep):
        return f"clip_grad_norm_(max_norm={self.max_norm:g}) before every step"

    def install(self, trainer):
        params = [p for p in trainer.model.parameters() if p.requires_grad]
        report = _Report(self.max_norm, trainer.device)

        def clip() -> None:
            norm = torch.nn.utils.clip_grad_norm_(params, report.max_norm)
            report.clipped += norm > report.max_norm  # counted on the device: no sync per step
            report.steps += 1

        trainer.grad_hooks.append(clip)
        trainer.callbacks.append(report)


class _Report(Callback):
    """Counts the steps whose norm was clipped; says so when training ends."""

    def __init__(self, max_norm: float, device):
        self.max_norm = max_norm
        self.clipped = torch.zeros((), dtype=torch.long, device=device)
        self.steps = 0

    def on_train_end(self, trainer):
        trainer.clipped_steps = int(self.clipped)
        trainer.note(
            f"the gradient norm was above {self.max_norm:g} (clipped) on {trainer.clipped_steps} of {self.steps} steps"
        )
