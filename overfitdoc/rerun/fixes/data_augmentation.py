"""``data-augmentation``: show the model a slightly different training set every epoch.

Done with torch operations on the batch, on the device, for any tensor data:

* image batches (one 4-D float input, N x C x H x W): a random horizontal flip (p = 0.5)
  and a random crop of the image padded by H/8 (reflect padding), per sample;
* other float inputs: Gaussian input noise of 0.1 standard deviation of each feature
  (AUTOTRAINER's repair uses Gaussian noise 0.1), and for classification mixup
  (alpha = 0.2, Zhang et al. 2018): pairs of samples blended with weight lam ~ Beta(0.2, 0.2),
  the loss blended likewise.

Validation data is never augmented. Skipped when every input holds integers (token ids,
categories): there is no continuous input to perturb.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..trainer import TrainBatch
from . import Fix, register

NOISE = 0.1
MIXUP_ALPHA = 0.2
FLIP_P = 0.5
CROP_PAD_SHARE = 1 / 8


def _plan(prep) -> str:
    kinds = prep.input_kinds
    if all(k == "integer" for k in kinds):
        return "skip"
    if len(kinds) == 1 and kinds[0] == "image":
        return "image"
    return "vector"


def mixup_applies(prep) -> bool:
    return prep.task in ("multiclass", "binary") and all(k != "integer" for k in prep.input_kinds)


@register
class DataAugmentation(Fix):
    id = "data-augmentation"
    title = "Data augmentation (flips and crops for images; input noise and mixup for tensors)"
    order = 50

    def skip_reason(self, prep):
        if _plan(prep) == "skip":
            return "every input holds integers (ids or categories): no continuous input to augment"
        return None

    def describe(self, prep):
        if _plan(prep) == "image":
            return f"random horizontal flip (p={FLIP_P:g}) and random crop (pad H/8, reflect)"
        text = f"Gaussian input noise ({NOISE:g} x feature std)"
        if mixup_applies(prep):
            text += f" and mixup (alpha={MIXUP_ALPHA:g})"
        return text

    def install(self, trainer):
        prep = trainer.prep
        gen = trainer.generator("augmentation")
        if _plan(prep) == "image":
            trainer.batch_transforms.append(lambda b: TrainBatch((flip_and_crop(b.inputs[0], gen),), b.y, b.mix))
            return
        stds = [None if s is None else s.to(trainer.device) for s in prep.input_std]
        rng = trainer.numpy_rng("mixup")
        mix = mixup_applies(prep)

        def transform(b: TrainBatch) -> TrainBatch:
            inputs = tuple(add_noise(x, s, gen) if s is not None else x for x, s in zip(b.inputs, stds))
            if not mix or b.y.shape[0] < 2:
                return TrainBatch(inputs, b.y, b.mix)
            lam = float(rng.beta(MIXUP_ALPHA, MIXUP_ALPHA))
            perm = torch.randperm(b.y.shape[0], device=b.y.device, generator=gen)
            inputs = tuple(lam * x + (1.0 - lam) * x[perm] for x in inputs)
            return TrainBatch(inputs, b.y, (b.y[perm], lam))

        trainer.batch_transforms.append(transform)


def add_noise(x: torch.Tensor, std: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    noise = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=gen)
    return x + noise * (NOISE * std.to(x.dtype))


def flip_and_crop(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Per-sample random horizontal flip and random crop of the reflect-padded image."""
    n, _, h, w = x.shape
    flip = torch.rand(n, device=x.device, generator=gen) < FLIP_P
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    pad = max(1, int(min(h, w) * CROP_PAD_SHARE))
    if pad >= min(h, w):  # reflect padding needs a pad smaller than the image
        return x
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n,), device=x.device, generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), device=x.device, generator=gen)
    rows = dy[:, None] + torch.arange(h, device=x.device)[None, :]  # n x h
    cols = dx[:, None] + torch.arange(w, device=x.device)[None, :]  # n x w
    idx_n = torch.arange(n, device=x.device)[:, None, None, None]
    idx_c = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[idx_n, idx_c, rows[:, None, :, None], cols[:, None, None, :]]
