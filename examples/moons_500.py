"""A spec for `overfitdoc rerun`: the two-moons network with one hidden layer of 500 units
from the classic tutorial on reducing overfitting with dropout (make_moons with noise 0.2,
30 training and 70 test samples, Dense(500, relu) -> Dense(1, sigmoid), Adam, trained for
thousands of epochs until the test loss climbs), written in PyTorch. The moons are drawn with
torch, seeded, as scikit-learn's make_moons draws them.

Run it:

    overfitdoc rerun examples/moons_500.py --seeds 3
"""

import math

import torch
from torch import nn

N_TRAIN, N_VAL = 30, 70
NOISE = 0.2

epochs = 500  # the tutorial trains 4000; the test loss turns within the first 100
batch_size = 32  # more than 30 samples: one full batch per epoch, as in the tutorial


def model(width: int = 500) -> nn.Module:
    return nn.Sequential(nn.Linear(2, width), nn.ReLU(), nn.Linear(width, 1))


def make_moons(n: int, noise: float, g: torch.Generator):
    """Two interleaving half circles, as sklearn.datasets.make_moons (shuffled)."""
    n_out = n // 2
    n_in = n - n_out
    t_out = torch.linspace(0, math.pi, n_out)
    t_in = torch.linspace(0, math.pi, n_in)
    x = torch.cat(
        [
            torch.stack([torch.cos(t_out), torch.sin(t_out)], 1),
            torch.stack([1 - torch.cos(t_in), 1 - torch.sin(t_in) - 0.5], 1),
        ]
    )
    y = torch.cat([torch.zeros(n_out), torch.ones(n_in)])
    x = x + noise * torch.randn(x.shape, generator=g)
    order = torch.randperm(n, generator=g)
    return x[order], y[order]


def data():
    g = torch.Generator().manual_seed(1)
    x, y = make_moons(N_TRAIN + N_VAL, NOISE, g)
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


def fresh(n: int = 20_000, seed: int = 12345):
    """Not part of the spec format (overfitdoc ignores it): ``n`` new points (x, y) from the
    distribution data() draws from, for benchmarks/rerun/fresh_check.py."""
    return make_moons(n, NOISE, torch.Generator().manual_seed(seed))
