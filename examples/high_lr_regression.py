"""A spec for `overfitdoc rerun`: a small regression MLP trained by SGD with momentum at a
learning rate far too high (0.2), the "my loss spikes and then never recovers" case.
Seeded synthetic data: a smooth non-linear target of 4 of 10 features, plus noise.

Run it:

    overfitdoc rerun examples/high_lr_regression.py --seeds 3

The baseline's loss spikes in its first epochs and the diagnosis is UNSTABLE, so the advice
(and `--fixes auto`) turns to the cures for instability: a lower learning rate, gradient
clipping, warm-up, early stopping.
"""

import torch
from torch import nn

N_FEATURES = 10
N_TRAIN = 512
N_VAL = 512

epochs = 40
batch_size = 32


def model(width: float = 1.0) -> nn.Module:
    h = max(1, round(64 * width))
    return nn.Sequential(
        nn.Linear(N_FEATURES, h),
        nn.ReLU(),
        nn.Linear(h, h),
        nn.ReLU(),
        nn.Linear(h, 1),
    )


def _draw(n: int, g: torch.Generator):
    """A smooth non-linear target of 4 of the 10 features, plus noise; targets of shape (n, 1)."""
    x = torch.randn(n, N_FEATURES, generator=g)
    y = torch.sin(2 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] + 0.3 * torch.randn(n, generator=g)
    return x, y[:, None]


def data():
    """(train, val): float targets of shape (n, 1), so the default loss is MSE."""
    x, y = _draw(N_TRAIN + N_VAL, torch.Generator().manual_seed(7))
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


def fresh(n: int = 20_000, seed: int = 12345):
    """Not part of the spec format (overfitdoc ignores it): ``n`` new points (x, y) from the
    distribution data() draws from, for benchmarks/rerun/fresh_check.py."""
    return _draw(n, torch.Generator().manual_seed(seed))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.2, momentum=0.9)  # 0.01 trains this model well
