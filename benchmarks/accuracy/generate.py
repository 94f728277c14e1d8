"""Generate the ground-truth benchmark: real training histories of small PyTorch MLPs.

Every run trains a small multilayer perceptron on CPU over data that scikit-learn ships
or generates, and records per epoch what Keras' ``CSVLogger`` would write:

* ``loss`` / ``accuracy``: averaged over the epoch's mini-batches, weighted by batch size,
  in training mode (dropout on, weights changing), as Keras reports them;
* ``val_loss`` / ``val_accuracy``: at the end of the epoch, in evaluation mode, on a SMALL
  validation split (30-200 samples), so they are as noisy as a real user's;

plus, hidden from the tool, the loss on a LARGE independent test set drawn from the same
distribution (2000-3000 samples for generated data; for the fixed datasets, every sample
not used for training or validation), and the loss on the whole training set in evaluation
mode. ``truth.py`` turns the hidden series into labels.

Output (under ``benchmarks/accuracy/runs/``):

* ``<run_id>.csv``: ``epoch,accuracy,loss,val_accuracy,val_loss`` (classification) or
  ``epoch,loss,val_loss`` (regression), epoch 0-based, values rounded to 6 significant
  digits, ``nan``/``inf`` written as Python writes them when training diverges;
* ``truth.jsonl``: one JSON object per run (sorted by run id) with its configuration, its
  split (``dev``/``test``), the hidden per-epoch ``test_loss``, ``test_accuracy`` and
  ``train_eval_loss`` (non-finite values as ``null``), and the reference levels
  ``baseline_test_loss`` (loss of always predicting the training-set class frequencies or
  mean) and ``init_test_loss`` (before the first update).

Runs are grouped by (dataset, data seed): the data seed fixes the train/validation/test
partition, and the group goes whole into one half, even seeds to ``dev`` and odd seeds to
``test``. Every dataset thus appears in both halves with different data draws.

Everything is seeded: the same torch build on the same CPU reproduces the files bit for
bit. ``torch.set_num_threads(1)`` per worker; ``--jobs`` workers in parallel (default 2).

Usage::

    python benchmarks/accuracy/generate.py            # all 512 runs, about 6 minutes on 2 cores
    python benchmarks/accuracy/generate.py --limit 6 --out /tmp/smoke  # first 6 runs only
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RUNS_DIR = HERE / "runs"
TRUTH_FILE = "truth.jsonl"

DATA_SEEDS = tuple(range(16))  # even -> dev, odd -> test; seeds 0-7 are the first 512 runs
SCENARIOS = ("overfit", "overfit_mild", "regularized", "well_tuned", "underfit", "short", "high_lr", "random")
MAX_STEPS = 4500  # optimizer steps per run; above it the batch size grows (keeps the budget)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    task: str  # "classification" or "regression"
    train_sizes: tuple[int, ...]
    val_sizes: tuple[int, ...]
    n_test: int | None  # None: all that is left of a fixed dataset
    model: str = "mlp"  # mlp | cnn (2-D images) | gru (sequences) | conv1d (sequences)
    epoch_scale: float = 1.0  # the scenario's epoch count times this (10 to 1000 epochs)
    schedules: bool = False  # draw a learning-rate schedule (logged as learning_rate)
    label_noise: tuple[float, ...] = (0.0,)  # share of training and validation labels flipped, by data seed


DATASETS = (
    DatasetSpec("moons", "classification", (40, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("circles", "classification", (40, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("noisy_clf", "classification", (60, 150, 400, 1000), (50, 100, 200), 3000),
    DatasetSpec("digits", "classification", (100, 200, 400, 700), (50, 100, 150), None),
    DatasetSpec("breast_cancer", "classification", (40, 80, 150, 250), (50, 80), None),
    DatasetSpec("wine", "classification", (30, 50, 80), (30, 40), None),
    DatasetSpec("friedman1", "regression", (50, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("linear_reg", "regression", (40, 100, 300, 800), (50, 100, 200), 3000),
    # The families added for generalization (issue 15): other architectures, label noise, class
    # imbalance, validation splits of 10 to 2000 samples, 10 to 1000 epochs, schedules.
    DatasetSpec("digits_cnn", "classification", (100, 200, 400, 700), (10, 30, 100, 300), None, model="cnn"),
    DatasetSpec(
        "shapes_cnn", "classification", (60, 150, 400, 1000), (20, 100, 500, 2000), 1000, model="cnn", schedules=True
    ),
    DatasetSpec("seq_gru", "classification", (50, 150, 300, 600), (10, 50, 200, 1000), 600, model="gru"),
    DatasetSpec(
        "seq_conv1d", "regression", (50, 150, 400, 1000), (10, 50, 200, 1000), 2000, model="conv1d", schedules=True
    ),
    DatasetSpec(
        "moons_labelnoise",
        "classification",
        (40, 100, 300, 800),
        (20, 50, 200, 500),
        3000,
        label_noise=(0.0, 0.1, 0.2, 0.3),
    ),
    DatasetSpec("imbalanced", "classification", (100, 300, 800, 2000), (30, 100, 500, 2000), 3000, schedules=True),
    DatasetSpec("friedman3_smallval", "regression", (40, 100, 300, 800), (10, 15, 20, 30), 3000, epoch_scale=0.5),
    DatasetSpec(
        "quantiles_long",
        "classification",
        (40, 80, 200, 500),
        (20, 50, 200, 1000),
        3000,
        epoch_scale=2.5,
        schedules=True,
    ),
)
SPECS = {spec.name: spec for spec in DATASETS}


def split_of(data_seed: int) -> str:
    return "dev" if data_seed % 2 == 0 else "test"


# --------------------------------------------------------------------------- data


def _quantiles(skd, n: int):
    X, y = skd.make_gaussian_quantiles(n_samples=n, n_features=4, n_classes=3, random_state=112)
    return X + np.random.default_rng(113).normal(0.0, 0.35, X.shape), y  # overlapping shells


#: how each dataset's pool is made: ``(sklearn.datasets, pool size) -> (X, y)``
POOLS = {
    "moons": lambda skd, n: skd.make_moons(n_samples=n, noise=0.3, random_state=101),
    "circles": lambda skd, n: skd.make_circles(n_samples=n, noise=0.2, factor=0.5, random_state=102),
    "noisy_clf": lambda skd, n: skd.make_classification(
        n_samples=n,
        n_features=20,
        n_informative=6,
        n_redundant=4,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.15,
        class_sep=1.0,
        random_state=103,
    ),
    "digits": lambda skd, n: skd.load_digits(return_X_y=True),
    "breast_cancer": lambda skd, n: skd.load_breast_cancer(return_X_y=True),
    "wine": lambda skd, n: skd.load_wine(return_X_y=True),
    "friedman1": lambda skd, n: skd.make_friedman1(n_samples=n, n_features=10, noise=1.0, random_state=104),
    "linear_reg": lambda skd, n: skd.make_regression(
        n_samples=n, n_features=30, n_informative=10, noise=25.0, random_state=105
    ),
    "digits_cnn": lambda skd, n: skd.load_digits(return_X_y=True),
    "shapes_cnn": lambda skd, n: _shapes(n, np.random.default_rng(106)),
    "seq_gru": lambda skd, n: _sequences_clf(n, np.random.default_rng(107)),
    "seq_conv1d": lambda skd, n: _sequences_reg(n, np.random.default_rng(108)),
    "moons_labelnoise": lambda skd, n: skd.make_moons(n_samples=n, noise=0.2, random_state=109),
    "imbalanced": lambda skd, n: skd.make_classification(
        n_samples=n,
        n_features=12,
        n_informative=5,
        n_redundant=3,
        n_classes=2,
        weights=[0.92, 0.08],
        flip_y=0.02,
        class_sep=0.8,
        random_state=110,
    ),
    "friedman3_smallval": lambda skd, n: skd.make_friedman3(n_samples=n, noise=0.1, random_state=111),
    "quantiles_long": _quantiles,
}


def load_pool(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """All samples a dataset offers. Generated pools use a fixed random_state, so every
    data seed samples the same distribution (same class centroids, same coefficients)."""
    from sklearn import datasets as skd

    pool = (spec.n_test or 0) + max(spec.train_sizes) + max(spec.val_sizes)
    X, y = POOLS[spec.name](skd, pool)
    return X.astype(np.float64), y


IMAGE = 10  # side of the generated shape images
SEQ = 16  # length of the generated sequences


def _shapes(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """10x10 grey images of four classes (horizontal bar, vertical bar, hollow square, diagonal
    cross) at a random place and size, with pixel noise and random contrast: flattened rows."""
    y = rng.integers(0, 4, n)
    X = np.zeros((n, IMAGE, IMAGE))
    for i in range(n):
        size = int(rng.integers(3, 7))
        r, c = (int(v) for v in rng.integers(0, IMAGE - size + 1, 2))
        img = X[i]
        if y[i] == 0:
            img[r + size // 2, c : c + size] = 1.0
        elif y[i] == 1:
            img[r : r + size, c + size // 2] = 1.0
        elif y[i] == 2:
            img[r, c : c + size] = img[r + size - 1, c : c + size] = 1.0
            img[r : r + size, c] = img[r : r + size, c + size - 1] = 1.0
        else:
            for k in range(size):
                img[r + k, c + k] = img[r + k, c + size - 1 - k] = 1.0
        X[i] = img * rng.uniform(0.4, 1.0) + rng.normal(0.0, 0.45, img.shape)
    return X.reshape(n, -1), y


def _sequences_clf(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Noisy sinusoids of length 16: class 1 has a slightly higher frequency (a hard call)."""
    y = rng.integers(0, 2, n)
    freq = np.where(y == 1, 0.19, 0.14) + rng.normal(0.0, 0.02, n)
    t = np.arange(SEQ)
    phase = rng.uniform(0, 2 * np.pi, n)
    X = np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None]) + rng.normal(0.0, 0.6, (n, SEQ))
    return X, y


def _sequences_reg(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random walks of length 16; the target is a non-linear read of the middle steps plus noise."""
    X = np.cumsum(rng.normal(0.0, 1.0, (n, SEQ)), axis=1)
    y = np.tanh(X[:, 6:10].mean(1) - 0.5 * X[:, 12]) + 0.3 * np.abs(X[:, 3]) + rng.normal(0.0, 0.4, n)
    return X, y


def make_split(spec: DatasetSpec, data_seed: int, n_train: int, n_val: int):
    """Partition the pool with the data seed: test first (fixed within the group), then
    validation and training. Features (and regression targets) are standardized with
    training statistics only."""
    X, y = load_pool(spec)
    perm = np.random.default_rng(10_000 + data_seed).permutation(len(X))
    n_test = spec.n_test or (len(X) - max(spec.train_sizes) - max(spec.val_sizes))
    te, rest = perm[:n_test], perm[n_test:]
    va, tr = rest[:n_val], rest[n_val : n_val + n_train]
    mu, sd = X[tr].mean(0), X[tr].std(0)
    if spec.name in ("digits", "digits_cnn"):
        sd = np.full_like(sd, 16.0)  # pixels are 0..16; many are constant in a small training set
    if spec.model != "mlp":  # images and sequences: one scale for every pixel / step
        mu, sd = np.full_like(mu, X[tr].mean()), np.full_like(sd, X[tr].std())
    sd[sd < 1e-6] = 1.0  # as StandardScaler does for constant features
    y = _flip_labels(spec, data_seed, y, np.concatenate([tr, va]))
    out = {}
    for part, idx in (("train", tr), ("val", va), ("test", te)):
        out[part] = [(X[idx] - mu) / sd, y[idx]]
    if spec.task == "regression":
        ym, ys = y[tr].mean(), y[tr].std() + 1e-8
        for part in out:
            out[part][1] = (out[part][1] - ym) / ys
    return out


def label_noise_of(spec: DatasetSpec, data_seed: int) -> float:
    """The share of flipped labels: both halves see every level (seeds 0-1 the first, 2-3 the next...)."""
    return spec.label_noise[(data_seed // 2) % len(spec.label_noise)]


def _flip_labels(spec: DatasetSpec, data_seed: int, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Flip a share of the training and validation labels to another class; the test labels
    stay clean (the truth is how the model does on the real distribution)."""
    rate = label_noise_of(spec, data_seed)
    if not rate:
        return y
    rng = np.random.default_rng(20_000 + data_seed)
    y = y.copy()
    k = int(y.max()) + 1
    flip = idx[rng.random(len(idx)) < rate]
    y[flip] = (y[flip] + rng.integers(1, k, len(flip))) % k
    return y


# --------------------------------------------------------------------------- configurations


def _log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def sample_config(rng: np.random.Generator, spec: DatasetSpec, scenario: str) -> dict:
    """One training configuration. The scenario only steers the sampling toward a regime;
    the label comes from the test loss (truth.py), never from the scenario."""
    sizes, vals = spec.train_sizes, spec.val_sizes
    cfg = dict(
        depth=1,
        width=32,
        dropout=0.0,
        batch_norm=False,
        weight_decay=0.0,
        l2_in_loss=0.0,
        optimizer="adam",
        lr=1e-3,
        momentum=0.0,
        batch_size=32,
        n_train=sizes[1],
        n_val=int(rng.choice(vals)),
        epochs=100,
        terminate_on_nan=bool(rng.random() < 0.5),
    )
    pick = lambda seq: seq[int(rng.integers(len(seq)))]  # noqa: E731 - keeps python ints

    if scenario == "overfit":
        cfg.update(
            depth=pick((1, 2, 2, 3)),
            n_train=pick(sizes[:2]),
            batch_size=pick((8, 16, 32)),
            epochs=int(rng.integers(120, 401)),
            batch_norm=bool(rng.random() < 0.2),
        )
        cfg["width"] = pick((128, 256)) if cfg["depth"] == 1 else pick((64, 128))
        if rng.random() < 0.75:
            cfg.update(optimizer="adam", lr=_log_uniform(rng, 1e-3, 1e-2))
        else:
            cfg.update(optimizer="sgd", lr=_log_uniform(rng, 0.02, 0.2), momentum=0.9)
    elif scenario == "overfit_mild":
        cfg.update(
            depth=pick((1, 2)),
            width=pick((32, 64, 128)),
            n_train=pick(sizes[1:3]),
            batch_size=pick((16, 32, 64)),
            epochs=int(rng.integers(60, 301)),
            dropout=pick((0.0, 0.0, 0.1, 0.2)),
            optimizer="adam",
            lr=_log_uniform(rng, 5e-4, 5e-3),
        )
    elif scenario == "regularized":
        cfg.update(
            depth=pick((1, 2, 2)),
            width=pick((32, 64, 128)),
            n_train=pick(sizes[-2:]),
            batch_size=pick((32, 64)),
            epochs=int(rng.integers(30, 201)),
            batch_norm=bool(rng.random() < 0.4),
            optimizer="adam",
            lr=_log_uniform(rng, 5e-4, 3e-3),
        )
        kind = pick(("dropout", "weight_decay", "keras_l2", "both"))
        if kind in ("dropout", "both"):
            cfg["dropout"] = pick((0.2, 0.3, 0.5))
        if kind in ("weight_decay", "both"):
            cfg["weight_decay"] = _log_uniform(rng, 1e-3, 3e-2)
        if kind == "keras_l2":  # penalty added to loss and val_loss, as Keras' kernel_regularizer
            cfg["l2_in_loss"] = _log_uniform(rng, 1e-4, 3e-3)
    elif scenario == "well_tuned":  # what a careful user would run: enough data, mild regularization
        cfg.update(
            depth=pick((1, 2)),
            width=pick((32, 64)),
            n_train=pick(sizes[-2:]),
            batch_size=pick((32, 64)),
            epochs=int(rng.integers(30, 121)),
            optimizer="adam",
            lr=_log_uniform(rng, 1e-3, 3e-3),
            dropout=pick((0.0, 0.1, 0.2)),
            weight_decay=pick((0.0, 1e-3, 1e-2)),
        )
    elif scenario == "underfit":
        kind = pick(("tiny", "tiny", "heavy_decay", "low_lr", "heavy_dropout"))
        cfg.update(n_train=pick(sizes[1:]), batch_size=pick((32, 64)), epochs=int(rng.integers(20, 151)))
        if kind == "tiny":
            cfg.update(depth=1, width=pick((1, 2, 3)), lr=_log_uniform(rng, 1e-3, 1e-2))
        elif kind == "heavy_decay":
            cfg.update(
                depth=pick((1, 2)), width=32, weight_decay=_log_uniform(rng, 0.2, 1.0), lr=_log_uniform(rng, 1e-3, 5e-3)
            )
        elif kind == "low_lr":
            cfg.update(
                depth=pick((1, 2)),
                width=pick((16, 32, 64)),
                optimizer="sgd",
                lr=_log_uniform(rng, 1e-5, 1e-4),
                momentum=0.0,
            )
        else:
            cfg.update(depth=2, width=pick((8, 16)), dropout=0.8, lr=_log_uniform(rng, 1e-3, 3e-3))
    elif scenario == "short":
        cfg.update(
            depth=pick((1, 2)),
            width=pick((16, 32, 64)),
            n_train=pick(sizes[1:]),
            batch_size=pick((32, 64, 128)),
            epochs=int(rng.integers(20, 61)),
        )
        if rng.random() < 0.5:
            cfg.update(optimizer="adam", lr=_log_uniform(rng, 5e-5, 3e-4))
        else:
            cfg.update(optimizer="sgd", lr=_log_uniform(rng, 2e-3, 2e-2), momentum=pick((0.0, 0.9)))
    elif scenario == "high_lr":
        cfg.update(
            depth=pick((1, 2, 3)),
            width=pick((32, 64, 128)),
            n_train=pick(sizes),
            batch_size=pick((16, 32, 64)),
            epochs=int(rng.integers(20, 201)),
            batch_norm=bool(rng.random() < 0.3),
        )
        if rng.random() < 0.5:
            cfg.update(optimizer="adam", lr=_log_uniform(rng, 0.03, 0.5))
        else:
            cfg.update(optimizer="sgd", lr=_log_uniform(rng, 0.5, 5.0), momentum=pick((0.0, 0.9)))
    elif scenario == "random":
        cfg.update(
            depth=pick((1, 2, 3)),
            n_train=pick(sizes),
            n_val=pick(vals),
            batch_size=pick((8, 16, 32, 64, 128)),
            epochs=int(rng.integers(20, 401)),
            dropout=pick((0.0, 0.0, 0.2, 0.5)),
            batch_norm=bool(rng.random() < 0.3),
            weight_decay=pick((0.0, 0.0, 1e-4, 1e-2)),
        )
        cfg["width"] = pick((4, 16, 64, 256)) if cfg["depth"] == 1 else pick((4, 16, 64, 128))
        if rng.random() < 0.6:
            cfg.update(optimizer="adam", lr=_log_uniform(rng, 1e-4, 3e-2))
        else:
            cfg.update(optimizer="sgd", lr=_log_uniform(rng, 1e-3, 1.0), momentum=pick((0.0, 0.9)))
    else:  # pragma: no cover
        raise KeyError(scenario)

    if spec.epoch_scale != 1.0:
        cfg["epochs"] = int(min(1000, max(10, round(cfg["epochs"] * spec.epoch_scale))))
    budget = {"mlp": MAX_STEPS, "gru": MAX_STEPS // 4}.get(spec.model, MAX_STEPS // 2)  # convolutions, GRUs cost more
    return fit_budget(cfg, budget)


def fit_budget(cfg: dict, budget: int = MAX_STEPS) -> dict:
    """Keep the run inside the time budget of ``budget`` optimizer steps: grow the batch, never
    cut the epochs (``cfg`` changed in place and returned)."""
    while cfg["epochs"] * math.ceil(cfg["n_train"] / cfg["batch_size"]) > budget:
        cfg["batch_size"] *= 2
    return cfg


SCHEDULES = ("none", "none", "step", "cosine", "warmup")


def sample_schedule(seed: int) -> str:
    """A learning-rate schedule, from its own generator (the first 512 runs' draws are untouched)."""
    return SCHEDULES[int(np.random.default_rng(seed + 7_000_000).integers(len(SCHEDULES)))]


def plan_runs() -> list[dict]:
    """The full, seeded list of runs: every dataset x data seed x scenario."""
    plan = []
    for d_index, spec in enumerate(DATASETS):
        for data_seed in DATA_SEEDS:
            for s_index, scenario in enumerate(SCENARIOS):
                # seeds 8-15 offset by 100,000: 1000 * d + 100 * seed would run into the next dataset's
                seed = 1000 * d_index + 100 * data_seed + s_index + (100_000 if data_seed >= 8 else 0)
                rng = np.random.default_rng(seed)
                cfg = sample_config(rng, spec, scenario)
                if spec.schedules:
                    cfg["schedule"] = sample_schedule(seed)
                if spec.label_noise != (0.0,):
                    cfg["label_noise"] = label_noise_of(spec, data_seed)
                plan.append(
                    dict(
                        run_id=f"{spec.name}-s{data_seed}-{s_index:02d}-{scenario}",
                        dataset=spec.name,
                        task=spec.task,
                        data_seed=data_seed,
                        split=split_of(data_seed),
                        scenario=scenario,
                        seed=seed,
                        config=cfg,
                    )
                )
    return plan


# --------------------------------------------------------------------------- training


def _build_model(torch, n_in: int, n_out: int, cfg: dict, kind: str = "mlp"):
    if kind != "mlp":
        return _build_deep(torch, n_in, n_out, cfg, kind)
    nn = torch.nn
    layers, width = [], n_in
    for _ in range(cfg["depth"]):
        layers.append(nn.Linear(width, cfg["width"]))
        if cfg["batch_norm"]:
            layers.append(nn.BatchNorm1d(cfg["width"]))
        layers.append(nn.ReLU())
        if cfg["dropout"] > 0:
            layers.append(nn.Dropout(cfg["dropout"]))
        width = cfg["width"]
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _build_deep(torch, n_in: int, n_out: int, cfg: dict, kind: str):
    """The small convolutional and recurrent models. ``width`` sets the hidden layer (and the
    channels, width / 8 clamped to 1..8; the GRU's hidden size is width clamped to 24); ``depth`` the number of convolution (or GRU) layers,
    at most 2."""
    nn = torch.nn
    width, depth = cfg["width"], min(cfg["depth"], 2)
    channels = max(1, min(8, width // 8))
    drop = [nn.Dropout(cfg["dropout"])] if cfg["dropout"] > 0 else []
    if kind == "gru":
        return _gru_net(torch, min(width, 24), depth, n_out, cfg["dropout"])
    if kind == "cnn":
        side = int(round(math.sqrt(n_in)))
        layers: list = [nn.Unflatten(1, (1, side, side))]
        c_in = 1
        for k in range(depth):
            c_out = channels * (k + 1)
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1)]
            layers += [nn.BatchNorm2d(c_out)] if cfg["batch_norm"] else []
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            side, c_in = side // 2, c_out
        flat = c_in * side * side
    else:  # conv1d
        layers = [nn.Unflatten(1, (1, n_in)), nn.Conv1d(1, channels, 5, padding=2)]
        layers += [nn.BatchNorm1d(channels)] if cfg["batch_norm"] else []
        layers += [nn.ReLU()]
        flat = channels * n_in
    layers += [nn.Flatten(), *drop, nn.Linear(flat, width), nn.ReLU(), *drop, nn.Linear(width, n_out)]
    return nn.Sequential(*layers)


def _gru_net(torch, hidden: int, layers: int, n_out: int, dropout: float):
    """A GRU over a sequence of scalars, its last hidden state into a linear head (the class is
    made here so that this module imports without torch)."""
    nn = torch.nn

    class GRUNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(1, hidden, num_layers=layers, batch_first=True)
            self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
            self.head = nn.Linear(hidden, n_out)

        def forward(self, x):
            out, _ = self.gru(x[:, :, None])
            return self.head(self.drop(out[:, -1]))

    return GRUNet()


def _schedule(torch, opt, cfg: dict):
    """The learning-rate schedule, stepped once per epoch (None: constant)."""
    kind, epochs = cfg.get("schedule", "none"), cfg["epochs"]
    sched = torch.optim.lr_scheduler
    if kind == "step":
        return sched.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.3)
    if kind == "cosine":
        return sched.CosineAnnealingLR(opt, T_max=max(1, epochs))
    if kind == "warmup":
        warm = max(1, epochs // 10)
        return sched.SequentialLR(
            opt,
            [
                sched.LinearLR(opt, start_factor=0.1, total_iters=warm),
                sched.CosineAnnealingLR(opt, max(1, epochs - warm)),
            ],
            milestones=[warm],
        )
    return None


def train_run(run: dict) -> dict:
    """Train one run; returns its per-epoch history and hidden series (plain lists)."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(run["seed"])
    spec, cfg = SPECS[run["dataset"]], run["config"]
    data = make_split(spec, run["data_seed"], cfg["n_train"], cfg["n_val"])
    classification = spec.task == "classification"
    tensors = {}
    for part, (X, y) in data.items():
        yt = torch.as_tensor(y, dtype=torch.long if classification else torch.float32)
        tensors[part] = (torch.as_tensor(X, dtype=torch.float32), yt if classification else yt[:, None])
    Xtr, ytr = tensors["train"]
    n_out = int(max(int(y.max()) for _, y in data.values()) + 1) if classification else 1
    model = _build_model(torch, Xtr.shape[1], n_out, cfg, spec.model)
    data_loss = torch.nn.functional.cross_entropy if classification else torch.nn.functional.mse_loss
    nn = torch.nn
    kernels = [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    kernels += [p for name, p in model.named_parameters() if name.startswith("gru.weight")]

    def full_loss(out, y):
        loss = data_loss(out, y)
        if cfg["l2_in_loss"]:
            loss = loss + cfg["l2_in_loss"] * sum((w * w).sum() for w in kernels)
        return loss

    if cfg["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.SGD(
            model.parameters(), lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["weight_decay"]
        )

    scheduler = _schedule(torch, opt, cfg)

    # Reference levels for the hidden test loss.
    Xte, yte = tensors["test"]
    with torch.no_grad():
        if classification:
            prior = torch.bincount(ytr, minlength=n_out).double() + 0.5
            prior = (prior / prior.sum()).log()
            baseline = float(-prior[yte].mean())
        else:
            baseline = float(((yte - ytr.mean()) ** 2).mean())
        model.eval()
        init_test = float(data_loss(model(Xte), yte))

    def evaluate(part):
        X, y = tensors[part]
        out = model(X)
        acc = float((out.argmax(1) == y).double().mean()) if classification else None
        return float(full_loss(out, y)), float(data_loss(out, y)), acc

    gen = torch.Generator().manual_seed(run["seed"])
    n, bs = len(Xtr), cfg["batch_size"]
    starts = [s for s in range(0, n, bs) if not (cfg["batch_norm"] and n - s == 1)]
    rows, test_loss, test_acc, train_eval = [], [], [], []
    finite_params = True
    for epoch in range(cfg["epochs"]):
        if not finite_params:  # the weights are NaN: every later epoch repeats the same row
            rows.append(dict(rows[-1], epoch=epoch))
            test_loss.append(test_loss[-1]), test_acc.append(test_acc[-1])
            train_eval.append(train_eval[-1])
            continue
        model.train()
        perm = torch.randperm(n, generator=gen)
        Xs, ys = Xtr[perm], ytr[perm]
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.float64)
        seen = 0
        for s in starts:
            xb, yb = Xs[s : s + bs], ys[s : s + bs]
            out = model(xb)
            loss = full_loss(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach().double() * len(xb)
            if classification:
                correct += (out.detach().argmax(1) == yb).sum()
            seen += len(xb)
        model.eval()
        with torch.no_grad():
            val_full, _, val_acc = evaluate("val")
            _, te_loss, te_acc = evaluate("test")
            _, tr_eval, _ = evaluate("train")
        row = dict(epoch=epoch, loss=float(loss_sum) / seen, val_loss=val_full)
        if classification:
            row.update(accuracy=float(correct) / seen, val_accuracy=val_acc)
        if scheduler is not None:  # the rate this epoch trained with, as Keras 3's CSVLogger logs it
            row["learning_rate"] = opt.param_groups[0]["lr"]
            scheduler.step()
        rows.append(row)
        test_loss.append(te_loss), test_acc.append(te_acc), train_eval.append(tr_eval)
        finite_params = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        if not finite_params and cfg["terminate_on_nan"]:
            break  # keras.callbacks.TerminateOnNaN: the NaN epoch is logged, then training ends
    return dict(
        rows=rows,
        test_loss=test_loss,
        test_accuracy=test_acc,
        train_eval_loss=train_eval,
        baseline_test_loss=baseline,
        init_test_loss=init_test,
        n_test=len(Xte),
    )


def _timed_train(run: dict) -> tuple[dict, dict, float]:
    start = time.perf_counter()
    result = train_run(run)
    return run, result, time.perf_counter() - start


# --------------------------------------------------------------------------- writing


def fmt(value) -> str:
    """6 significant digits; non-finite as Python spells it (nan, inf, -inf), like CSVLogger."""
    value = float(value)
    return repr(value) if not math.isfinite(value) else f"{value:.6g}"


def _json_num(value):
    if value is None:
        return None
    value = float(value)
    return float(f"{value:.6g}") if math.isfinite(value) else None


def write_csv(path: Path, task: str, rows: list[dict]) -> None:
    cols = ["accuracy", "loss", "val_accuracy", "val_loss"] if task == "classification" else ["loss", "val_loss"]
    if rows and "learning_rate" in rows[0]:
        cols = sorted(cols + ["learning_rate"])  # CSVLogger writes its keys sorted
    lines = [",".join(["epoch"] + cols)]
    lines += [",".join([str(r["epoch"])] + [fmt(r[c]) for c in cols]) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def truth_record(run: dict, result: dict) -> dict:
    rec = {k: run[k] for k in ("run_id", "split", "dataset", "task", "data_seed", "seed", "scenario", "config")}
    rec.update(
        epochs=len(result["rows"]),
        n_test=result["n_test"],
        baseline_test_loss=_json_num(result["baseline_test_loss"]),
        init_test_loss=_json_num(result["init_test_loss"]),
        test_loss=[_json_num(v) for v in result["test_loss"]],
        test_accuracy=[_json_num(v) for v in result["test_accuracy"]],
        train_eval_loss=[_json_num(v) for v in result["train_eval_loss"]],
    )
    rec["config"] = {k: (float(f"{v:.6g}") if isinstance(v, float) else v) for k, v in rec["config"].items()}
    return rec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help=f"output directory (default {RUNS_DIR})")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N runs (smoke test)")
    parser.add_argument("--datasets", default=None, help="only these datasets, comma-separated (smoke test)")
    args = parser.parse_args(argv)
    if (args.limit is not None or args.datasets) and args.out is None:
        parser.error("--limit and --datasets need --out: a partial run must not replace the benchmark's runs")
    args.out = args.out or RUNS_DIR

    plan = plan_runs()
    if args.datasets:
        wanted = set(args.datasets.split(","))
        plan = [r for r in plan if r["dataset"] in wanted]
    plan = plan[: args.limit]
    train_and_write(plan, args.out, args.jobs)
    return 0


def train_and_write(plan: list[dict], out: Path, jobs: int, add: bool = False) -> None:
    """Train every run of ``plan`` (``jobs`` worker processes, longest first so the workers
    finish together) and write its CSV and ``truth.jsonl`` to ``out``, replacing the CSVs there.
    With ``add``, the runs ``out/truth.jsonl`` already holds are kept as they are (their CSVs and
    records untouched) and only the others are trained; the records are written in run-id order
    either way, so adding a batch writes what training the whole plan would."""
    out.mkdir(parents=True, exist_ok=True)
    kept: dict[str, str] = {}
    if add and (out / TRUTH_FILE).exists():
        with open(out / TRUTH_FILE) as fh:
            kept = {json.loads(line)["run_id"]: line for line in fh if line.strip()}
        plan = [r for r in plan if r["run_id"] not in kept]
    else:
        for old in out.glob("*.csv"):
            old.unlink()
    order = sorted(
        plan, key=lambda r: -r["config"]["epochs"] * math.ceil(r["config"]["n_train"] / r["config"]["batch_size"])
    )
    start = time.perf_counter()
    records = {}
    if jobs > 1:
        with mp.get_context("fork").Pool(jobs) as pool:
            results = pool.imap_unordered(_timed_train, order)
            for i, (run, result, secs) in enumerate(results, 1):
                records[run["run_id"]] = (run, result, secs)
                print(f"[{i}/{len(plan)}] {run['run_id']} {secs:.1f}s", file=sys.stderr, flush=True)
    else:
        for i, run in enumerate(order, 1):
            run, result, secs = _timed_train(run)
            records[run["run_id"]] = (run, result, secs)
            print(f"[{i}/{len(plan)}] {run['run_id']} {secs:.1f}s", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start

    lines = dict(kept)
    for run_id, (run, result, _) in records.items():
        write_csv(out / f"{run_id}.csv", run["task"], result["rows"])
        lines[run_id] = json.dumps(truth_record(run, result), separators=(",", ":")) + "\n"
    with open(out / TRUTH_FILE, "w") as fh:
        fh.writelines(lines[run_id] for run_id in sorted(lines))
    cpu = sum(secs for _, _, secs in records.values())
    print(
        f"{len(records)} runs written to {out} in {wall:.0f}s wall ({cpu:.0f}s of training, "
        f"{jobs} jobs, {os.cpu_count()} CPUs)" + (f"; {len(kept)} kept as they were" if kept else ""),
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
