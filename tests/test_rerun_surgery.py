"""Module surgery for `rerun`'s smaller-model (without a `width` keyword) and batch-norm
fixes: on the example specs' models and a small conv net, the rebuilt model keeps its input
and output sizes, halves the hidden widths (as the spec's own `width` keyword does), puts batch
norms between the hidden layers and their activations, keeps what it does not change, and
refuses in one line a model it cannot rebuild."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from overfitdoc.rerun import rerun  # noqa: E402
from overfitdoc.rerun.prepare import leaf_calls  # noqa: E402
from overfitdoc.rerun.surgery import CannotRebuild, add_batch_norm, shrink  # noqa: E402

from .conftest import ROOT  # noqa: E402


def example(name: str):
    loader = importlib.util.spec_from_file_location(f"surgery_example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def kinds(model: nn.Module, xs) -> list[str]:
    return [type(m).__name__ for _, m, _ in leaf_calls(model, xs)]


def inputs(module) -> tuple:
    (x, _), _ = module.data()
    return (x[:4],)


# ---------------------------------------------------------------- smaller-model


@pytest.mark.parametrize(
    "name, widths, keyword",
    [("binary_mlp", [64, 32], {"width": 0.5}), ("moons_500", [250], {"width": 250}), ("dropout_mlp", [64, 32], None)],
)
def test_shrink_halves_the_example_models_as_their_width_keyword_does(name, widths, keyword):
    mod = example(name)
    xs = inputs(mod)
    torch.manual_seed(0)
    model = mod.model()
    small, changes = shrink(model, xs, 0.5, seed=0)
    assert [c.after for c in changes] == widths and [c.before for c in changes] == [2 * w for w in widths]
    assert small(*xs).shape == model(*xs).shape
    linears = [m for m in small.modules() if isinstance(m, nn.Linear)]
    assert linears[0].in_features == xs[0].shape[1] and linears[-1].out_features == 1  # input and output kept
    assert [m.out_features for m in linears[:-1]] == widths
    assert kinds(small, xs) == kinds(model, xs)  # the same layers in the same order (dropout included)
    if keyword:  # the spec's own half width has exactly as many parameters
        assert count(small) == count(mod.model(**keyword))
    assert count(model) == count(mod.model())  # the original is left as it was


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.GroupNorm(4, 16),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, x):
        return self.head(self.features(x))


def test_shrink_a_conv_net_follows_the_flattening_and_rebuilds_its_norms():
    xs = (torch.randn(4, 1, 8, 8),)
    torch.manual_seed(0)
    model = ConvNet()
    small, changes = shrink(model, xs, 0.5, seed=3)
    assert [(c.name, c.kind, c.before, c.after) for c in changes] == [
        ("features.0", "Conv2d", 8, 4),
        ("features.4", "Conv2d", 16, 8),
        ("head.1", "Linear", 32, 16),
    ]
    f, h = small.features, small.head
    assert f[1].num_features == 4 and (f[5].num_groups, f[5].num_channels) == (4, 8)
    assert h[1].in_features == 8 * 4 * 4 and (h[3].in_features, h[3].out_features) == (16, 3)
    assert small(*xs).shape == (4, 3) and count(small) < count(model)
    assert isinstance(small, ConvNet)  # the user's class, its forward() unchanged
    again, _ = shrink(model, xs, 0.5, seed=3)  # the new weights come from the seed, the global stream is left alone
    state = torch.get_rng_state()
    assert all(torch.equal(a, b) for a, b in zip(small.parameters(), again.parameters()))
    shrink(model, xs, 0.5, seed=3)
    assert torch.equal(torch.get_rng_state(), state)


def test_shrink_keeps_the_layers_whose_shapes_do_not_change():
    xs = (torch.randn(4, 6),)
    model = nn.Sequential(nn.LayerNorm(6), nn.Linear(6, 40), nn.ReLU(), nn.Linear(40, 2))
    with torch.no_grad():
        model[0].weight.fill_(2.0)
    small, _ = shrink(model, xs, 0.5, seed=0)
    assert small[0].weight.eq(2.0).all() and small[1].out_features == 20 and small[3].in_features == 20


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn, self.out = nn.LSTM(4, 8, batch_first=True), nn.Linear(8, 2)

    def forward(self, x):
        return self.out(self.rnn(x)[0][:, -1])


class OwnParameter(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)
        self.scale = nn.Parameter(torch.ones(8))

    def forward(self, x):
        return self.b(self.a(x) * self.scale)


class Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.mid, self.b = nn.Linear(4, 8), nn.Linear(8, 8), nn.Linear(8, 2)

    def forward(self, x):
        return self.b(self.mid(self.mid(self.a(x))))


class HardCoded(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 8), nn.Linear(8, 2)

    def forward(self, x):
        return self.b(self.a(x).reshape(x.shape[0], 8))


@pytest.mark.parametrize(
    "model, x, message",
    [
        (
            Recurrent(),
            torch.randn(2, 3, 4),
            "rnn (LSTM) is a layer overfitdoc does not resize; overfitdoc rebuilds Linear, ungrouped Conv1d/2d/3d and norm",
        ),
        (
            OwnParameter(),
            torch.randn(2, 4),
            "the model (OwnParameter) has parameters of its own (scale); overfitdoc rebuilds",
        ),
        (Shared(), torch.randn(2, 4), "mid (Linear) is called twice in one forward pass"),
        (
            nn.Sequential(nn.Conv1d(4, 8, 1, groups=2), nn.Conv1d(8, 2, 1)),
            torch.randn(2, 4, 5),
            "0 (Conv1d) is a grouped convolution",
        ),
        (
            nn.Sequential(nn.ConvTranspose1d(4, 8, 1), nn.Conv1d(8, 2, 1)),
            torch.randn(2, 4, 5),
            "0 (ConvTranspose1d) is a transposed convolution",
        ),
        (nn.Sequential(nn.Linear(4, 2)), torch.randn(2, 4), "fewer than two Linear or Conv layers"),
        (HardCoded(), torch.randn(2, 4), "its forward() fails on the rebuilt layers (RuntimeError: shape '[2, 8]'"),
    ],
)
def test_a_model_it_cannot_rebuild_is_one_line_saying_what(model, x, message):
    with pytest.raises(CannotRebuild) as e:
        shrink(model, (x,), 0.5, seed=0)
    assert message in str(e.value) and "\n" not in str(e.value)


# ---------------------------------------------------------------- batch-norm


@pytest.mark.parametrize("name", ["binary_mlp", "moons_500", "dropout_mlp"])
def test_batch_norm_goes_between_each_hidden_layer_and_its_activation(name):
    mod = example(name)
    xs = inputs(mod)
    model = mod.model()
    new, wrapped = add_batch_norm(model, xs)
    before, after = kinds(model, xs), kinds(new, xs)
    hidden = before.count("Linear") - 1
    assert len(wrapped) == hidden and after.count("BatchNorm1d") == hidden
    expected = []
    for i, k in enumerate(before):
        expected.append(k)
        if k == "Linear" and "Linear" in before[i + 1 :]:
            expected.append("BatchNorm1d")
    assert after == expected  # Linear, BatchNorm1d, ReLU, ...; none after the output layer
    linears = [m for m in new.modules() if isinstance(m, nn.Linear)]
    originals = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert all(torch.equal(a.weight, b.weight) for a, b in zip(linears, originals))  # the baseline's weights
    assert new(*xs).shape == model(*xs).shape


def test_batch_norm_on_conv_nets_and_layers_normalised_already():
    xs = (torch.randn(4, 1, 8, 8),)
    plain = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * 4 * 4, 32),
        nn.ReLU(),
        nn.Linear(32, 3),
    )
    new, wrapped = add_batch_norm(plain, xs)
    assert wrapped == ["0", "3", "6"]
    assert [(type(new[i][1]).__name__, new[i][1].num_features) for i in (0, 3, 6)] == [
        ("BatchNorm2d", 8),
        ("BatchNorm2d", 16),
        ("BatchNorm1d", 32),
    ]
    assert new(*xs).shape == (4, 3)
    # ConvNet's convolutions have a BatchNorm2d and a GroupNorm after them: only its hidden Linear gets one
    new, wrapped = add_batch_norm(ConvNet(), xs)
    assert wrapped == ["head.1"] and isinstance(new.head[1][1], nn.BatchNorm1d)
    normed = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(CannotRebuild, match="every hidden layer is already followed by a norm layer"):
        add_batch_norm(normed, (torch.randn(2, 4),))
    tokens = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(CannotRebuild, match=r"0 \(Linear\) returns 3-D tensors"):
        add_batch_norm(tokens, (torch.randn(2, 5, 4),))


# ---------------------------------------------------------------- in a re-run

NO_WIDTH = """
import torch
from torch import nn

epochs = 2
batch_size = 16

def model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))

def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(112, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return (x[:64], y[:64]), (x[64:], y[64:])
"""


def test_rerun_shrinks_and_normalises_a_model_without_a_width_keyword(tmp_path):
    path = tmp_path / "spec.py"
    path.write_text(textwrap.dedent(NO_WIDTH))
    res = rerun(
        str(path),
        fixes="smaller-model,batch-norm,smaller-model+batch-norm",
        seeds=1,
        device="cpu",
        out_dir=str(tmp_path / "out"),
        plot=False,
        keep_trainers=True,
    )
    d = res.to_dict()
    assert {v["name"] for v in d["variants"][1:]} == {"smaller-model", "batch-norm", "smaller-model+batch-norm"}
    assert d["fixes"]["skipped"] == []
    what = {v["name"]: " ".join(v["what"]) for v in d["variants"]}
    assert what["smaller-model"] == (
        "hidden widths x0.5, layers rebuilt (0 Linear 32->16, 2 Linear 32->16): 467 parameters instead of 1,443"
    )
    assert what["batch-norm"] == "BatchNorm1d between each hidden layer and its activation (0 Linear, 2 Linear)"
    small = res.unit("smaller-model").trainer
    assert count(small.model) == 467 and len(small.unit.rows) == 2
    bn = res.unit("batch-norm").trainer
    trained = {id(p) for g in bn.optimizer.param_groups for p in g["params"]}
    norms = [m for m in bn.model.modules() if isinstance(m, nn.BatchNorm1d)]
    assert len(norms) == 2 and all(id(m.weight) in trained for m in norms)  # the optimizer trains them
    assert all(int(m.num_batches_tracked) == 2 * 4 for m in norms)  # 2 epochs of 4 batches
    both = res.unit("smaller-model+batch-norm").trainer.model
    assert [m.num_features for m in both.modules() if isinstance(m, nn.BatchNorm1d)] == [16, 16]


class RecurrentMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(4, 8, batch_first=True)
        self.head = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


def test_batch_norm_goes_after_the_hidden_linear_layers_of_a_model_it_could_not_shrink():
    xs = (torch.randn(2, 3, 4),)
    with pytest.raises(CannotRebuild, match=r"rnn \(GRU\) is a layer overfitdoc does not resize"):
        shrink(RecurrentMLP(), xs, 0.5, seed=0)
    new, wrapped = add_batch_norm(RecurrentMLP(), xs)
    assert wrapped == ["head.0"] and kinds(new, xs) == ["GRU", "Linear", "BatchNorm1d", "ReLU", "Linear"]


def test_a_model_whose_hidden_layers_cannot_be_halved_is_skipped(tmp_path):
    path = tmp_path / "spec.py"
    path.write_text(textwrap.dedent(NO_WIDTH).replace("32", "1"))  # hidden widths of 1
    d = rerun(str(path), fixes="smaller-model", seeds=1, epochs=1, device="cpu", plot=False).to_dict()
    assert [v["name"] for v in d["variants"]] == ["baseline"]
    assert d["fixes"]["skipped"] == [
        {
            "fix": "smaller-model",
            "reason": "model() takes no `width` or `scale` keyword, and its hidden layers are too narrow to halve "
            "(17 parameters, no fewer than 17)",
        }
    ]
