"""Train five small PyTorch models on CPU and write their training histories.

Every number in ``sample_runs/*.csv`` and ``sample_runs/*.json`` comes from
this script; nothing is typed by hand.  Each run is a genuinely trained model
whose curves show one regime:

    overfit          wide MLP, small noisy training set, no regularisation
    good_fit         small MLP with weight decay, plenty of data
    underfit         MLP with only two hidden units on concentric circles
    still_improving  MLP on digits, plain SGD with a low learning rate,
                     stopped after 25 epochs
    unstable         SGD with a learning rate far too high (3.0), no clipping;
                     the loss jumps around and then becomes NaN

The training loop records per epoch what ``keras.Model.fit`` reports:

* ``loss`` / ``accuracy``: running mean over the epoch's mini-batches, weighted
  by batch size, taken in train mode while the weights change;
* ``val_loss`` / ``val_accuracy``: computed once at the end of the epoch, in
  eval mode, on a small validation split.

Each run is written twice:

* ``<regime>.csv``: Keras ``CSVLogger`` layout (``epoch`` 0-based, then the
  metric keys sorted alphabetically, ``\\r\\n`` line endings);
* ``<regime>.json``: a PyTorch-style history with 1-based epochs (a list of
  per-epoch records; ``good_fit`` as a dict of lists; ``overfit`` as
  ``{"config": ..., "history": [...]}``).

Determinism: one CPU thread, ``torch.use_deterministic_algorithms(True)``,
fixed seeds for the data, the weight initialisation and the batch shuffling,
and every value rounded to 6 significant digits before it is written, so that
re-running the script gives byte-identical files.

Usage::

    python sample_runs/make_samples.py            # writes next to this file
    python sample_runs/make_samples.py --out DIR  # writes into DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits, make_circles, make_classification, make_moons
from sklearn.model_selection import train_test_split
from torch import nn

HERE = Path(__file__).resolve().parent
BATCH_SIZE = 32


def setup_determinism() -> None:
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    torch.use_deterministic_algorithms(True)


def sig6(x: float) -> float:
    """Round to 6 significant digits; NaN and +-inf pass through unchanged."""
    x = float(x)
    if not math.isfinite(x):
        return x
    return float(f"{x:.6g}")


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


def standardise(x_train: np.ndarray, x_val: np.ndarray):
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0) + 1e-8
    return (x_train - mean) / std, (x_val - mean) / std


def split(x, y, n_train, n_val, seed):
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, train_size=n_train, test_size=n_val, random_state=seed, stratify=y)
    x_tr, x_va = standardise(x_tr, x_va)
    return x_tr, y_tr, x_va, y_va


# --------------------------------------------------------------------------
# training loop
# --------------------------------------------------------------------------


def mlp(n_in: int, hidden: list[int], n_out: int, dropout: float = 0.0) -> nn.Module:
    layers: list[nn.Module] = []
    prev = n_in
    for h in hidden:
        layers += [nn.Linear(prev, h), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        prev = h
    layers.append(nn.Linear(prev, n_out))
    return nn.Sequential(*layers)


def train(model, optimizer, data, epochs, seed, record_lr=False):
    """Train ``model`` and return the Keras-style history (dict of lists)."""
    x_tr, y_tr, x_va, y_va = (
        torch.tensor(data[0], dtype=torch.float32),
        torch.tensor(data[1], dtype=torch.long),
        torch.tensor(data[2], dtype=torch.float32),
        torch.tensor(data[3], dtype=torch.long),
    )
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    n = len(x_tr)
    keys = ["loss", "accuracy", "val_loss", "val_accuracy"] + (["lr"] if record_lr else [])
    history: dict[str, list[float]] = {k: [] for k in keys}

    for _epoch in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct, seen = 0.0, 0, 0
        for start in range(0, n, BATCH_SIZE):
            idx = perm[start : start + BATCH_SIZE]
            xb, yb = x_tr[idx], y_tr[idx]
            logits = model(xb)
            loss = loss_fn(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(dim=1) == yb).sum().item()
            seen += len(idx)

        model.eval()
        with torch.no_grad():
            val_logits = model(x_va)
            val_loss = loss_fn(val_logits, y_va).item()
            val_acc = (val_logits.argmax(dim=1) == y_va).float().mean().item()

        history["loss"].append(sig6(loss_sum / seen))
        history["accuracy"].append(sig6(correct / seen))
        history["val_loss"].append(sig6(val_loss))
        history["val_accuracy"].append(sig6(val_acc))
        if record_lr:
            history["lr"].append(sig6(optimizer.param_groups[0]["lr"]))
    return history


# --------------------------------------------------------------------------
# the five regimes
# --------------------------------------------------------------------------


def run_overfit():
    seed = 0
    x, y = make_classification(
        n_samples=1000,
        n_features=20,
        n_informative=5,
        n_redundant=2,
        flip_y=0.15,
        class_sep=1.0,
        random_state=seed,
    )
    data = split(x, y, n_train=200, n_val=200, seed=seed)
    torch.manual_seed(seed)
    model = mlp(20, [512, 512], 2)
    lr, epochs = 1.5e-4, 80
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist = train(model, opt, data, epochs, seed)
    config = {
        "model": "MLP 20-512-512-2, ReLU, no dropout, no weight decay",
        "data": "make_classification(n_samples=1000, n_features=20, n_informative=5, "
        "n_redundant=2, flip_y=0.15, random_state=0), standardised",
        "n_train": 200,
        "n_val": 200,
        "optimizer": "Adam",
        "lr": lr,
        "batch_size": BATCH_SIZE,
        "epochs": epochs,
        "seed": seed,
    }
    return hist, config


def run_good_fit():
    seed = 6
    x, y = make_moons(n_samples=4000, noise=0.25, random_state=seed)
    data = split(x, y, n_train=3000, n_val=300, seed=seed)
    torch.manual_seed(seed)
    model = mlp(2, [32, 32], 2)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    return train(model, opt, data, 40, seed)


def run_underfit():
    seed = 2
    x, y = make_circles(n_samples=2000, noise=0.1, factor=0.5, random_state=seed)
    data = split(x, y, n_train=1500, n_val=300, seed=seed)
    torch.manual_seed(seed)
    model = mlp(2, [2], 2)  # two hidden ReLU units cannot enclose a circle
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    return train(model, opt, data, 40, seed)


def run_still_improving():
    seed = 3
    x, y = load_digits(return_X_y=True)  # 8x8 digits, 10 classes
    data = split(x, y, n_train=1200, n_val=300, seed=seed)
    torch.manual_seed(seed)
    model = mlp(64, [64], 10)
    opt = torch.optim.SGD(model.parameters(), lr=5e-3)  # plain SGD, low lr
    return train(model, opt, data, 25, seed)  # ...and stopped after 25 epochs


def run_unstable():
    data_seed, seed = 4, 11
    x, y = make_moons(n_samples=2500, noise=0.2, random_state=data_seed)
    data = split(x, y, n_train=2000, n_val=300, seed=data_seed)
    torch.manual_seed(seed)
    model = mlp(2, [64, 64], 2)
    opt = torch.optim.SGD(model.parameters(), lr=3.0)  # far too high, no clipping
    return train(model, opt, data, 30, seed, record_lr=True)


# --------------------------------------------------------------------------
# writers
# --------------------------------------------------------------------------


def write_csv(path: Path, hist: dict[str, list[float]]) -> None:
    """Keras CSVLogger layout: epoch (0-based) then sorted keys, \\r\\n endings."""
    keys = sorted(hist)
    n = len(hist[keys[0]])
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)  # default lineterminator is "\r\n", like CSVLogger
        writer.writerow(["epoch", *keys])
        for i in range(n):
            writer.writerow([i, *(repr(hist[k][i]) for k in keys)])


JSON_NAMES = {
    "loss": "train_loss",
    "accuracy": "train_acc",
    "val_loss": "val_loss",
    "val_accuracy": "val_acc",
    "lr": "lr",
}


def records(hist):
    n = len(hist["loss"])
    out = []
    for i in range(n):
        rec = {"epoch": i + 1}
        for k, name in JSON_NAMES.items():
            if k in hist:
                rec[name] = hist[k][i]
        out.append(rec)
    return out


def write_json(path: Path, obj) -> None:
    with open(path, "w", newline="\n") as fh:
        json.dump(obj, fh, indent=2)  # NaN / Infinity as Python's json writes them
        fh.write("\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    setup_determinism()

    t_all = time.perf_counter()
    runs = [
        ("overfit", run_overfit),
        ("good_fit", run_good_fit),
        ("underfit", run_underfit),
        ("still_improving", run_still_improving),
        ("unstable", run_unstable),
    ]
    for name, fn in runs:
        t0 = time.perf_counter()
        result = fn()
        config = None
        if isinstance(result, tuple):
            hist, config = result
        else:
            hist = result
        write_csv(out / f"{name}.csv", hist)
        if name == "good_fit":
            obj = {JSON_NAMES[k]: hist[k] for k in JSON_NAMES if k in hist}
        elif name == "overfit":
            obj = {"config": config, "history": records(hist)}
        else:
            obj = records(hist)
        write_json(out / f"{name}.json", obj)
        vl = hist["val_loss"]
        finite = [v for v in vl if math.isfinite(v)]
        best = int(np.nanargmin(np.where(np.isfinite(vl), vl, np.nan))) + 1 if finite else None
        print(
            f"{name:16s} {len(vl):3d} epochs  loss {hist['loss'][0]:.4g} -> {hist['loss'][-1]:.4g}  "
            f"val_loss {vl[0]:.4g} -> {vl[-1]:.4g}  min {min(finite) if finite else float('nan'):.4g} "
            f"@ epoch {best}  val_acc {hist['val_accuracy'][-1]:.4g}  "
            f"({time.perf_counter() - t0:.1f}s)"
        )
    print(f"total {time.perf_counter() - t_all:.1f}s")


if __name__ == "__main__":
    main()
