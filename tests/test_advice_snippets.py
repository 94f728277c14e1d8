"""Every fix snippet is valid Python against the real APIs: parsed, its free names limited to
the documented ones (SNIPPET_NAMES), its module attributes and keyword arguments resolved
against the installed libraries, and, where the library is installed, RUN on a tiny model:
Keras 3 on its torch backend, PyTorch, Lightning. Also the EarlyStopping replay against Keras.

The harness below provides the names of SNIPPET_NAMES; it caps the epochs of Keras ``fit``
and of Lightning's ``Trainer`` (the calls are real, only shorter).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

from overfitdoc.advice import advise, rules  # noqa: E402
from overfitdoc.advice.base import SNIPPET_NAMES, render_snippet  # noqa: E402
from overfitdoc.analysis.early_stopping import simulate_early_stopping  # noqa: E402
from tests.advice_cases import case_diagnosis  # noqa: E402

N_TRAIN, N_VAL, N_FEATURES, N_CLASSES = 64, 32, 8, 3
IMAGE_SHAPE = (32, 32, 3)


def _snippets():
    for rule in rules():
        for variant, fx in rule.all_fixes().items():
            for fw, text in fx.snippets().items():
                yield pytest.param(rule, variant, fx, fw, text, id=f"{rule.id}:{variant or 'default'}:{fw}")


SNIPPETS = list(_snippets())


# ---------------------------------------------------------------- static checks


def _bound_and_loaded(tree):
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                bound.add((a.asname or a.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, loaded


@pytest.mark.parametrize("rule, variant, fx, fw, text", SNIPPETS)
def test_snippet_parses_and_uses_only_documented_names(rule, variant, fx, fw, text):
    code = render_snippet(text, rule.defaults)
    tree = ast.parse(code)
    bound, loaded = _bound_and_loaded(tree)
    free = loaded - bound - set(dir(builtins))
    allowed = set(SNIPPET_NAMES[fw])
    assert free <= allowed, f"undocumented names {sorted(free - allowed)}"


def test_snippets_filled_with_each_sample_runs_numbers_parse():
    for name in ("overfit.csv", "overfit.json", "good_fit.csv", "underfit.csv", "still_improving.csv", "unstable.csv"):
        d = case_diagnosis(("sample", name))
        for ctx in (None, {"task": "image"}, {"task": "tabular"}, {"task": "text"}):
            for a in advise(d, ctx):
                for fw, code in a.fix.items():
                    ast.parse(code, filename=f"{name}:{a.id}:{fw}")


def _imports(tree):
    """alias -> module name, for ``import x.y as z`` and ``from x import y`` (when y is a module)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}:{a.name}"
    return out


def _resolve(imports, node):
    """The object an attribute chain like ``keras.callbacks.EarlyStopping`` names, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in imports:
        return None, None
    target = imports[node.id]
    if ":" in target:
        mod, name = target.split(":")
        obj = getattr(importlib.import_module(mod), name)
    else:
        obj = importlib.import_module(target)
    path = [node.id]
    for p in reversed(parts):
        path.append(p)
        if not hasattr(obj, p):
            try:
                obj = importlib.import_module(f"{obj.__name__}.{p}")
                continue
            except (ImportError, AttributeError):
                raise AssertionError(f"{'.'.join(path)} does not exist") from None
        obj = getattr(obj, p)
    return obj, ".".join(path)


def _importable(tree):
    missing = []
    for node in ast.walk(tree):
        mods = []
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            mods = [node.module]
        for m in mods:
            try:
                importlib.import_module(m)
            except Exception:  # noqa: BLE001 - a missing or broken install: skip
                missing.append(m)
    return missing


@pytest.mark.parametrize("rule, variant, fx, fw, text", SNIPPETS)
def test_snippet_attributes_and_keywords_exist(rule, variant, fx, fw, text):
    tree = ast.parse(render_snippet(text, rule.defaults))
    missing = _importable(tree)
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    imports = _imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            _resolve(imports, node)
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in imports:
                    continue
                target = imports[func.id]
                if ":" not in target:
                    continue
                mod, name = target.split(":")
                obj, path = getattr(importlib.import_module(mod), name), func.id
            else:
                obj, path = _resolve(imports, func)
            if obj is None or not callable(obj):
                continue
            try:
                sig = inspect.signature(obj)
            except (TypeError, ValueError):
                continue
            if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
                continue
            for kw in node.keywords:
                if kw.arg is not None:
                    assert kw.arg in sig.parameters, f"{path}() has no argument {kw.arg!r}"


# ---------------------------------------------------------------- the harness


def _vector_data(rng):
    x_train = rng.normal(size=(N_TRAIN, N_FEATURES)).astype("float32")
    y_train = rng.integers(0, N_CLASSES, N_TRAIN)
    x_val = rng.normal(size=(N_VAL, N_FEATURES)).astype("float32")
    y_val = rng.integers(0, N_CLASSES, N_VAL)
    return x_train, y_train, x_val, y_val


def _keras_names(data, monkeypatch):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":  # pragma: no cover
        pytest.skip("keras is not on its torch backend")
    orig_fit = keras.Model.fit

    def short_fit(self, *args, epochs=1, initial_epoch=0, **kw):
        kw["verbose"] = 0
        return orig_fit(self, *args, epochs=min(epochs, initial_epoch + 2), initial_epoch=initial_epoch, **kw)

    monkeypatch.setattr(keras.Model, "fit", short_fit)
    rng = np.random.default_rng(0)
    x_train, y_train, x_val, y_val = _vector_data(rng)
    if data == "images":
        x_train = rng.random((N_TRAIN, *IMAGE_SHAPE)).astype("float32")
        x_val = rng.random((N_VAL, *IMAGE_SHAPE)).astype("float32")

    def build_model():
        if data == "images":
            layers = [
                keras.Input(shape=IMAGE_SHAPE),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
            ]
        else:
            layers = [keras.Input(shape=(N_FEATURES,)), keras.layers.Dense(16, activation="relu")]
        m = keras.Sequential(layers + [keras.layers.Dense(N_CLASSES, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    return {
        "model": build_model(),
        "build_model": build_model,
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "num_features": N_FEATURES,
        "num_classes": N_CLASSES,
        "image_shape": IMAGE_SHAPE,
    }


def _torch_names(data):
    torch = pytest.importorskip("torch")
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    xt, yt, xv, yv = _vector_data(rng)
    if data == "images":
        xt = rng.random((N_TRAIN, 3, 32, 32)).astype("float32")
        xv = rng.random((N_VAL, 3, 32, 32)).astype("float32")
    x_train, y_train = torch.from_numpy(xt), torch.from_numpy(yt)
    x_val, y_val = torch.from_numpy(xv), torch.from_numpy(yv)

    def build_model():
        if data == "images":
            return nn.Sequential(
                nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, N_CLASSES)
            )
        return nn.Sequential(nn.Linear(N_FEATURES, 16), nn.ReLU(), nn.Linear(16, N_CLASSES))

    model = build_model()
    loss_fn = nn.CrossEntropyLoss()
    train_dataset = TensorDataset(x_train, y_train)
    train_loader = DataLoader(train_dataset, batch_size=32, shuffle=True)
    val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=32)

    def train_one_epoch(m, opt):
        m.train()
        total = 0.0
        for inputs, targets in train_loader:
            opt.zero_grad()
            loss = loss_fn(m(inputs), targets)
            loss.backward()
            opt.step()
            total += loss.item() * len(targets)
        return total / len(train_dataset)

    def evaluate(m):
        m.eval()
        with torch.no_grad():
            return sum(loss_fn(m(i), t).item() * len(t) for i, t in val_loader) / len(x_val)

    return {
        "model": model,
        "build_model": build_model,
        "optimizer": torch.optim.Adam(model.parameters(), lr=1e-3),
        "loss_fn": loss_fn,
        "train_loader": train_loader,
        "val_loader": val_loader,
        "train_dataset": train_dataset,
        "x_train": x_train,
        "y_train": y_train,
        "x_val": x_val,
        "y_val": y_val,
        "num_features": N_FEATURES,
        "num_classes": N_CLASSES,
        "train_one_epoch": train_one_epoch,
        "evaluate": evaluate,
    }


def _lightning_names(monkeypatch):
    L = pytest.importorskip("lightning")
    import torch
    import torch.nn.functional as F

    names = _torch_names("vectors")

    class LitModel(L.LightningModule):
        def __init__(self, model, lr=1e-3):
            super().__init__()
            self.model = model
            self.lr = lr

        def forward(self, x):
            return self.model(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = F.cross_entropy(self.model(x), y)
            self.log("train_loss", loss, on_step=False, on_epoch=True)
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", F.cross_entropy(self.model(x), y), on_epoch=True)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.lr)

    orig_init = L.Trainer.__init__

    def short_init(self, *args, **kw):
        kw["max_epochs"] = min(kw.get("max_epochs") or 2, 2)
        kw.setdefault("accelerator", "cpu")
        kw.setdefault("devices", 1)
        kw.setdefault("enable_progress_bar", False)
        kw.setdefault("enable_model_summary", False)
        orig_init(self, *args, **kw)

    monkeypatch.setattr(L.Trainer, "__init__", short_init)
    return {
        "LitModel": LitModel,
        "lit_model": LitModel(names["model"]),
        "model": names["model"],
        "train_loader": names["train_loader"],
        "val_loader": names["val_loader"],
        "num_classes": N_CLASSES,
    }


@pytest.mark.parametrize("rule, variant, fx, fw, text", SNIPPETS)
def test_snippet_runs_on_a_tiny_model(rule, variant, fx, fw, text, tmp_path, monkeypatch):
    # the slots that only set how long things run get small values
    small = {"epochs": 3, "initial_epoch": 1, "swa_start": 1, "warmup_steps": 4, "members": 2, "folds": 2}
    code = render_snippet(text, {**rule.defaults, **{k: v for k, v in small.items() if k in rule.defaults}})
    if not fx.offline:
        pytest.skip("downloads pretrained weights: checked statically only")
    missing = _importable(ast.parse(code))
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")
    monkeypatch.chdir(tmp_path)
    if fw == "keras":
        names = _keras_names(fx.data, monkeypatch)
    elif fw == "pytorch":
        names = _torch_names(fx.data)
    else:
        names = _lightning_names(monkeypatch)
    assert set(names) == set(SNIPPET_NAMES[fw]), "the harness provides exactly the documented names"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, f"<{rule.id}:{fw}>", "exec"), names)  # noqa: S102 - our own snippets


# ---------------------------------------------------------------- the replay, against Keras itself


def _keras_replay(values, patience, mode, min_delta=0.0):
    """Drive the real keras.callbacks.EarlyStopping through the same series."""
    keras = pytest.importorskip("keras")

    class Model:
        stop_training = False

        def get_weights(self):
            return []

        def set_weights(self, w):
            pass

    cb = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, mode=mode, min_delta=min_delta, restore_best_weights=True
    )
    model = Model()
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {"val_loss": v})
        if model.stop_training:
            return epoch, cb.best_epoch
    return len(values) - 1, cb.best_epoch


@pytest.mark.parametrize("patience", [0, 1, 3, 6, 12])
@pytest.mark.parametrize(
    "name,mode,column",
    [("overfit.csv", "min", "val_loss"), ("unstable.csv", "min", "val_loss"), ("good_fit.csv", "max", "val_accuracy")],
)
def test_early_stopping_replay_matches_keras(name, mode, column, patience):
    h = case_diagnosis(("sample", name)).history
    values = [float(x) for x in h.columns[column]]
    epochs = list(range(len(values)))
    for md in (0.0, 0.001, 0.01):
        stop, best = _keras_replay(values, patience, mode, md)
        sim = simulate_early_stopping(values, epochs, mode, patience, md)
        assert (sim.stop_epoch, sim.restored_epoch) == (stop, best), md
