"""A spec for `overfitdoc rerun`: a small classifier on an imbalanced set that settles on the
majority class. Two moons with one class kept at a tenth of the samples, an 8-unit MLP under
SGD with weight decay: its training and validation accuracies freeze at the majority class's
share from the first epochs while its loss falls to the entropy of the class shares, so
`overfitdoc diagnose` calls it an underfit by frozen decisions and advises class weights
first (docs/analysis.md, "Frozen decisions"). Its metric is the balanced accuracy: the
unweighted loss and the plain accuracy both reward the majority class.

Run it:

    overfitdoc rerun examples/imbalanced_mlp.py --seeds 3
"""

import math

import torch
from torch import nn

epochs = 60
batch_size = 16


def model(width: float = 1.0) -> nn.Module:
    h = max(1, round(8 * width))
    return nn.Sequential(nn.Linear(2, h), nn.ReLU(), nn.Linear(h, 2))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, weight_decay=0.05)


def _moons(n: int, g: torch.Generator, noise: float = 0.3, share: float = 0.1):
    """Two interleaved half circles with Gaussian noise; class 1 kept at ``share`` of the samples."""
    xs, ys = [], []
    while sum(len(y) for y in ys) < n:
        t = torch.rand(n, generator=g) * math.pi
        upper = torch.rand(n, generator=g) < 0.5
        x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
        y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
        pts = torch.stack([x, y], 1) + noise * torch.randn(n, 2, generator=g)
        label = (~upper).long()
        keep = (label == 0) | (torch.rand(n, generator=g) < share / (1 - share))
        xs.append(pts[keep])
        ys.append(label[keep])
    return torch.cat(xs)[:n], torch.cat(ys)[:n]


def data():
    g = torch.Generator().manual_seed(0)
    return _moons(600, g), _moons(300, g)


def _balanced_accuracy(outputs, targets):
    """The mean of the per-class recalls: 0.5 for a model that predicts one class of two."""
    predicted = outputs.argmax(dim=1)
    recalls = [(predicted[targets == c] == c).float().mean() for c in (0, 1) if bool((targets == c).any())]
    return float(sum(recalls) / len(recalls))


def _accuracy(outputs, targets):
    return float((outputs.argmax(dim=1) == targets).float().mean())


# balanced accuracy first (the column the comparison shows): accuracy and the unweighted loss
# reward predicting the majority class
metrics = {"balanced_accuracy": _balanced_accuracy, "accuracy": _accuracy}
