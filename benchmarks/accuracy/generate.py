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

DATA_SEEDS = tuple(range(8))  # even -> dev, odd -> test
SCENARIOS = ("overfit", "overfit_mild", "regularized", "well_tuned", "underfit", "short", "high_lr", "random")
MAX_STEPS = 4500  # optimizer steps per run; above it the batch size grows (keeps the budget)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    task: str  # "classification" or "regression"
    train_sizes: tuple[int, ...]
    val_sizes: tuple[int, ...]
    n_test: int | None  # None: all that is left of a fixed dataset


DATASETS = (
    DatasetSpec("moons", "classification", (40, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("circles", "classification", (40, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("noisy_clf", "classification", (60, 150, 400, 1000), (50, 100, 200), 3000),
    DatasetSpec("digits", "classification", (100, 200, 400, 700), (50, 100, 150), None),
    DatasetSpec("breast_cancer", "classification", (40, 80, 150, 250), (50, 80), None),
    DatasetSpec("wine", "classification", (30, 50, 80), (30, 40), None),
    DatasetSpec("friedman1", "regression", (50, 100, 300, 800), (50, 100, 200), 3000),
    DatasetSpec("linear_reg", "regression", (40, 100, 300, 800), (50, 100, 200), 3000),
)
SPECS = {spec.name: spec for spec in DATASETS}


def split_of(data_seed: int) -> str:
    return "dev" if data_seed % 2 == 0 else "test"


# --------------------------------------------------------------------------- data


def load_pool(spec: DatasetSpec) -> tuple[np.ndarray, np.ndarray]:
    """All samples a dataset offers. Generated pools use a fixed random_state, so every
    data seed samples the same distribution (same class centroids, same coefficients)."""
    from sklearn import datasets as skd

    pool = (spec.n_test or 0) + max(spec.train_sizes) + max(spec.val_sizes)
    if spec.name == "moons":
        X, y = skd.make_moons(n_samples=pool, noise=0.3, random_state=101)
    elif spec.name == "circles":
        X, y = skd.make_circles(n_samples=pool, noise=0.2, factor=0.5, random_state=102)
    elif spec.name == "noisy_clf":
        X, y = skd.make_classification(
            n_samples=pool,
            n_features=20,
            n_informative=6,
            n_redundant=4,
            n_classes=3,
            n_clusters_per_class=2,
            flip_y=0.15,
            class_sep=1.0,
            random_state=103,
        )
    elif spec.name == "digits":
        X, y = skd.load_digits(return_X_y=True)
    elif spec.name == "breast_cancer":
        X, y = skd.load_breast_cancer(return_X_y=True)
    elif spec.name == "wine":
        X, y = skd.load_wine(return_X_y=True)
    elif spec.name == "friedman1":
        X, y = skd.make_friedman1(n_samples=pool, n_features=10, noise=1.0, random_state=104)
    elif spec.name == "linear_reg":
        X, y = skd.make_regression(n_samples=pool, n_features=30, n_informative=10, noise=25.0, random_state=105)
    else:  # pragma: no cover - the table above is the whole list
        raise KeyError(spec.name)
    return X.astype(np.float64), y


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
    if spec.name == "digits":
        sd = np.full_like(sd, 16.0)  # pixels are 0..16; many are constant in a small training set
    sd[sd < 1e-6] = 1.0  # as StandardScaler does for constant features
    out = {}
    for part, idx in (("train", tr), ("val", va), ("test", te)):
        out[part] = [(X[idx] - mu) / sd, y[idx]]
    if spec.task == "regression":
        ym, ys = y[tr].mean(), y[tr].std() + 1e-8
        for part in out:
            out[part][1] = (out[part][1] - ym) / ys
    return out


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

    # Keep the run inside the time budget: grow the batch, never cut the epochs.
    while cfg["epochs"] * math.ceil(cfg["n_train"] / cfg["batch_size"]) > MAX_STEPS:
        cfg["batch_size"] *= 2
    return cfg


def plan_runs() -> list[dict]:
    """The full, seeded list of runs: every dataset x data seed x scenario."""
    plan = []
    for d_index, spec in enumerate(DATASETS):
        for data_seed in DATA_SEEDS:
            for s_index, scenario in enumerate(SCENARIOS):
                seed = 1000 * d_index + 100 * data_seed + s_index
                rng = np.random.default_rng(seed)
                cfg = sample_config(rng, spec, scenario)
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


def _build_model(torch, n_in: int, n_out: int, cfg: dict):
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
    model = _build_model(torch, Xtr.shape[1], n_out, cfg)
    data_loss = torch.nn.functional.cross_entropy if classification else torch.nn.functional.mse_loss
    kernels = [m.weight for m in model if isinstance(m, torch.nn.Linear)]

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
    args = parser.parse_args(argv)
    if args.limit is not None and args.out is None:
        parser.error("--limit needs --out: a partial run must not replace the benchmark's runs")
    args.out = args.out or RUNS_DIR

    plan = plan_runs()[: args.limit]
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.csv"):
        old.unlink()
    # Longest runs first so the workers finish together.
    order = sorted(
        plan, key=lambda r: -r["config"]["epochs"] * math.ceil(r["config"]["n_train"] / r["config"]["batch_size"])
    )
    start = time.perf_counter()
    records = {}
    if args.jobs > 1:
        with mp.get_context("fork").Pool(args.jobs) as pool:
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

    with open(args.out / TRUTH_FILE, "w") as fh:
        for run_id in sorted(records):
            run, result, _ = records[run_id]
            write_csv(args.out / f"{run_id}.csv", run["task"], result["rows"])
            fh.write(json.dumps(truth_record(run, result), separators=(",", ":")) + "\n")
    cpu = sum(secs for _, _, secs in records.values())
    print(
        f"{len(records)} runs written to {args.out} in {wall:.0f}s wall ({cpu:.0f}s of training, "
        f"{args.jobs} jobs, {os.cpu_count()} CPUs)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
