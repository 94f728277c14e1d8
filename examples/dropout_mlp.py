"""A spec for `overfitdoc rerun` whose model has its own randomness: the forum 20-feature
128-64 MLP with nn.Dropout(0.5) after each hidden layer, 400 training and 100 validation
points, 60 epochs, on seeded generated data.

Run it:

    overfitdoc rerun examples/dropout_mlp.py --seeds 3 --jobs 2

Its nn.Dropout draws from torch's global generator; the rerun sets that generator from each
run's seed, so every run is paired with its baseline and two invocations give the same numbers
with any --jobs. `fresh(n, seed)` draws new points from the same distribution (for
benchmarks/rerun/fresh_check.py).
"""

import torch
from torch import nn

N_FEATURES = 20
N_TRAIN = 400
N_VAL = 100

epochs = 60
batch_size = 32


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(N_FEATURES, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(64, 1),
    )


def _draw(n: int, g: torch.Generator):
    x = torch.randn(n, N_FEATURES, generator=g)
    w = torch.tensor([1.5, -2.0, 1.0, 0.5, -1.0])
    logit = x[:, :5] @ w + 0.5 * x[:, 5] * x[:, 6] + 0.5 * torch.randn(n, generator=g)
    y = (logit > 0).float()
    flip = torch.rand(n, generator=g) < 0.10
    return x, torch.where(flip, 1 - y, y)


def fresh(n: int = 20_000, seed: int = 12345):
    """(x, y): ``n`` new points from the distribution data() draws from."""
    return _draw(n, torch.Generator().manual_seed(seed))


def data():
    """(train, val), seeded: the same on every call."""
    x, y = _draw(N_TRAIN + N_VAL, torch.Generator().manual_seed(17))
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])
