"""A spec for `overfitdoc rerun`: the 20-feature binary classifier with a 128-64 dense
network, the model of the classic "my Keras binary classifier overfits" question
(Dense(128, relu) -> Dense(64, relu) -> Dense(1, sigmoid), Adam, binary cross-entropy),
written in PyTorch, on a seeded synthetic data set small enough to overfit.

Run it:

    overfitdoc rerun examples/binary_mlp.py --seeds 3

A spec is a plain Python file. `model()` and `data()` are required; the rest is optional.
"""

import torch
from torch import nn

N_FEATURES = 20
N_TRAIN = 200  # small on purpose: 11k parameters for 200 samples overfit quickly
N_VAL = 1000

# optional: the training recipe the fixes are compared against (--epochs overrides `epochs`)
epochs = 60
batch_size = 32


def model(width: float = 1.0) -> nn.Module:
    """A fresh model on every call. The `width` keyword is optional: it lets the
    smaller-model fix try the same network at half the width."""
    h1, h2 = max(1, round(128 * width)), max(1, round(64 * width))
    # one output, no sigmoid: the default loss for one output and 0/1 targets is
    # BCE-with-logits (the numerically stable form of sigmoid + binary cross-entropy)
    return nn.Sequential(
        nn.Linear(N_FEATURES, h1),
        nn.ReLU(),
        nn.Linear(h1, h2),
        nn.ReLU(),
        nn.Linear(h2, 1),
    )


def _draw(n: int, g: torch.Generator):
    """5 informative features out of 20, a noisy linear boundary and 10% flipped labels."""
    x = torch.randn(n, N_FEATURES, generator=g)
    w = torch.tensor([1.5, -2.0, 1.0, 0.5, -1.0])
    logit = x[:, :5] @ w + 0.5 * x[:, 5] * x[:, 6] + 0.5 * torch.randn(n, generator=g)
    y = (logit > 0).float()
    flip = torch.rand(n, generator=g) < 0.10
    return x, torch.where(flip, 1 - y, y)


def data():
    """(train, val): each a tuple of tensors (x, y), or a torch Dataset.

    Seeded, so every call returns the same data."""
    x, y = _draw(N_TRAIN + N_VAL, torch.Generator().manual_seed(20))
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


def fresh(n: int = 20_000, seed: int = 12345):
    """Not part of the spec format (overfitdoc ignores it): ``n`` new points (x, y) from the
    distribution data() draws from, for benchmarks/rerun/fresh_check.py."""
    return _draw(n, torch.Generator().manual_seed(seed))


# optional; this is also the default (Adam, learning rate 1e-3)
def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


# optional: `loss` (default here: BCE-with-logits, chosen because the model has one output
# and the targets are 0/1) and `metrics` (default for classification: accuracy), e.g.
# loss = nn.BCEWithLogitsLoss()
# metrics = {"accuracy": lambda out, y: ((out.squeeze(1) > 0) == (y > 0.5)).float().mean()}
