"""`rerun --timeout SECONDS`: a hung data() or model() is one line and exit 2; a run past the
limit is stopped at its next batch, or abandoned when it does not get there, marked timed out
with its finished epochs kept, and the other runs go on."""

from __future__ import annotations

import json
import time

import pytest

torch = pytest.importorskip("torch")

from .test_rerun import TINY, cli, spec  # noqa: E402


def _cli(path, out, *args):
    return cli(path, "--seeds", "1", "--device", "cpu", "--out", str(out), *args)


@pytest.mark.parametrize(
    "body,message",
    [
        (TINY.replace("def data():\n", "def data():\n    import time; time.sleep(30)\n"), "data() did not return"),
        (
            TINY.replace("def model(width=1.0):\n", "def model(width=1.0):\n    import time; time.sleep(30)\n"),
            "model() did not return",
        ),
        ("import time\ntime.sleep(30)\n" + TINY, "importing the spec did not return"),
    ],
)
def test_a_hung_data_or_model_is_stopped_by_the_timeout(tmp_path, body, message):
    path = spec(tmp_path, body)
    t0 = time.monotonic()
    r = _cli(path, tmp_path / "o", "--fixes", "none", "--timeout", "1")
    assert time.monotonic() - t0 < 15
    assert r.exit_code == 2
    assert r.stderr == f"Error: {path}: {message} within --timeout 1 s; stopped waiting for it\n"


# batches of 8 (the smaller-batch fix halves the spec's 16) are slow, or never return
def _slow_at_batch_8(action: str) -> str:
    return TINY.replace(
        "def model(width=1.0):",
        "import time\n"
        "class Net(nn.Sequential):\n"
        "    def forward(self, x):\n"
        "        if self.training and x.shape[0] == 8:\n"
        f"            {action}\n"
        "        return super().forward(x)\n\n"
        "def model(width=1.0):\n"
        "    return Net(*layers(width))\n\n"
        "def layers(width=1.0):",
    ).replace("    return nn.Sequential(nn.Linear(8, h)", "    return (nn.Linear(8, h)")


@pytest.mark.parametrize(
    "action,stopped",
    [
        ("time.sleep(0.05)", "timed out: stopped at --timeout 1 s, in epoch"),  # past the limit
        ("time.sleep(60)", "timed out: did not return within --timeout 1 s (and 2 s more"),  # hung
    ],
)
def test_a_run_past_the_timeout_is_marked_and_the_others_go_on(tmp_path, action, stopped):
    path = spec(tmp_path, _slow_at_batch_8(action))
    out = tmp_path / "o"
    t0 = time.monotonic()
    r = _cli(path, out, "--fixes", "smaller-batch,weight-decay", "--epochs", "40", "--jobs", "1", "--timeout", "1")
    assert time.monotonic() - t0 < 40
    assert r.exit_code == 2, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["setup"]["timeout"] == 1
    runs = {v["name"]: v["runs"][0] for v in summary["variants"]}
    assert runs["baseline"]["status"] == "done" and runs["weight-decay"]["status"] == "done"  # ran after it
    slow = runs["smaller-batch"]
    assert slow["status"] == "timed_out" and slow["error"].startswith(stopped)
    assert "running" not in {run["status"] for run in runs.values()}
    assert f"Error: smaller-batch (seed 0): {stopped}" in r.stderr
    assert "smaller-batch (seed 0) timed out: " in r.stdout and "--timeout 1 s per run" in r.stdout
    assert "smaller-batch (timed out)" in r.stdout  # the table says whose numbers these are
    if action == "time.sleep(0.05)":
        assert 0 < slow["epochs_run"] < 40
        assert len(json.loads((out / "smaller-batch-seed0.json").read_text())) == slow["epochs_run"]


def test_the_timeout_must_be_positive(tmp_path):
    r = _cli(spec(tmp_path), tmp_path / "o", "--timeout", "0")
    assert r.exit_code == 2 and "--timeout" in r.stderr
