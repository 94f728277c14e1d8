"""The spec is run safely: ``sys.argv`` is the spec alone, no bytecode beside it, a
``sys.exit`` in it is one line and exit 2 (or that run's failure, in training), workers never
die silently, and SIGTERM is handled as SIGINT is (the summary written; 143 and 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from overfitdoc.rerun import rerun  # noqa: E402

from .conftest import ROOT  # noqa: E402
from .test_rerun import TINY, cli, spec  # noqa: E402


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


# argparse at import, a module imported from beside it, and what sys.argv was in data()
ARGPARSE = (
    "import argparse, json, sys\n"
    "import helper\n"
    "parser = argparse.ArgumentParser()\n"
    "parser.add_argument('--width', type=float, default=1.0)\n"
    "ARGS = parser.parse_args()  # overfitdoc's own options would be an error here\n"
    "AT_IMPORT = list(sys.argv)\n"
    + TINY.replace(
        "def data():\n",
        "def data():\n"
        "    with open(__file__ + '.argv', 'w') as f:\n"
        "        json.dump({'import': AT_IMPORT, 'data': list(sys.argv)}, f)\n",
    )
)


def test_spec_sees_only_its_own_path_in_argv_and_leaves_no_bytecode(tmp_path):
    path = spec(tmp_path, ARGPARSE)
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    p = subprocess.run(
        [sys.executable, "-m", "overfitdoc", "rerun", path, "--fixes", "none", "--epochs", "1", "--seeds", "1"]
        + ["--device", "cpu", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads((tmp_path / "spec.py.argv").read_text()) == {"import": [path], "data": [path]}
    assert not (tmp_path / "__pycache__").exists()
    assert sys.argv != [path]  # and in-process, the caller's argv is back afterwards
    rerun(path, fixes="none", epochs=1, seeds=1, device="cpu", plot=False)
    assert sys.argv != [path] and not (tmp_path / "__pycache__").exists()


@pytest.mark.parametrize(
    "body,message",
    [
        ("import sys\nsys.exit(4)\n", "the spec called sys.exit(4) while loading"),
        ("import sys\nsys.exit()\n", "the spec called sys.exit() while loading"),
        (
            TINY.replace("def data():\n", "def data():\n    import sys; sys.exit('no data')\n"),
            "sys.exit('no data') in data()",
        ),
        (
            TINY.replace("def model(width=1.0):\n", "def model(width=1.0):\n    raise SystemExit(5)\n"),
            "sys.exit(5) in model()",
        ),
        (TINY + "\ndef optimizer(params):\n    raise SystemExit(6)\n", "the spec called sys.exit(6)"),
    ],
)
def test_a_spec_calling_sys_exit_is_one_line_and_exit_2(tmp_path, body, message):
    path = spec(tmp_path, body)
    r = cli(path, "--fixes", "none", "--seeds", "1", "--out", str(tmp_path / "o"), "--device", "cpu")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {path}: ") and message in r.stderr
    assert r.stderr.count("\n") == 1, r.stderr


# trains fine for 6 training batches (the first-batch check is in eval or early), then exits
EXITS_IN_TRAINING = TINY.replace(
    "def model(width=1.0):",
    "import sys\n"
    "class Quits(nn.Sequential):\n"
    "    calls = 0\n"
    "    def forward(self, x):\n"
    "        if self.training:\n"
    "            Quits.calls += 1\n"
    "            if Quits.calls > 6:\n"
    "                sys.exit(3)\n"
    "        return super().forward(x)\n\n"
    "def model(width=1.0):\n"
    "    return Quits(*layers(width))\n\n"
    "def layers(width=1.0):",
).replace("    return nn.Sequential(nn.Linear(8, h)", "    return (nn.Linear(8, h)")


def test_sys_exit_in_training_fails_the_runs_with_jobs_2_and_none_is_left_running(tmp_path):
    path = spec(tmp_path, EXITS_IN_TRAINING)
    out = tmp_path / "o"
    r = cli(
        path, "--fixes", "weight-decay,dropout", "--seeds", "1", "--jobs", "2", "--out", str(out), "--device", "cpu"
    )
    assert r.exit_code == 2, r.output
    summary = json.loads((out / "summary.json").read_text())
    statuses = [run["status"] for v in summary["variants"] for run in v["runs"]]
    assert statuses == ["failed"] * 3
    assert all(
        run["error"] == "the spec called sys.exit(3) in training" for v in summary["variants"] for run in v["runs"]
    )
    assert "Error: baseline (seed 0): the spec called sys.exit(3) in training" in r.stderr


def test_a_worker_that_dies_is_reported_and_the_others_go_on(tmp_path):
    def dies(unit):
        if unit.variant.name == "weight-decay":
            raise OSError(28, "No space left on device")

    res = rerun(
        spec(tmp_path), fixes="weight-decay,dropout", epochs=2, seeds=2, jobs=2, device="cpu", plot=False, on_unit=dies
    )
    runs = {(v["name"], r["seed"]): r for v in res.to_dict()["variants"] for r in v["runs"]}
    assert {k: r["status"] for k, r in runs.items()} == {
        ("baseline", 0): "done",
        ("baseline", 1): "done",
        ("weight-decay", 0): "failed",
        ("weight-decay", 1): "failed",
        ("dropout", 0): "done",
        ("dropout", 1): "done",
    }
    assert runs[("weight-decay", 0)]["error"] == "the run stopped on OSError: [Errno 28] No space left on device"


def test_no_unit_is_left_running_when_its_worker_vanishes():
    import threading

    from overfitdoc.rerun.executor import _settle

    class U:
        def __init__(self, status):
            self.status, self.error = status, None

    units = [U("running"), U("done"), U("pending")]
    _settle(units, threading.Event())
    assert [u.status for u in units] == ["failed", "done", "pending"]
    assert units[0].error == "its worker thread ended without finishing it"
    stopped = threading.Event()
    stopped.set()
    units = [U("running")]
    _settle(units, stopped)
    assert units[0].status == "partial"


# slow training batches, so that a signal arrives mid-run
SLOW = TINY.replace(
    "def model(width=1.0):",
    "import time\n"
    "class Slow(nn.Sequential):\n"
    "    def forward(self, x):\n"
    "        if self.training:\n"
    "            time.sleep(0.005)\n"
    "        return super().forward(x)\n\n"
    "def model(width=1.0):\n"
    "    return Slow(*layers(width))\n\n"
    "def layers(width=1.0):",
).replace("    return nn.Sequential(nn.Linear(8, h)", "    return (nn.Linear(8, h)")


@pytest.mark.parametrize("sig,code,jobs", [(signal.SIGTERM, 143, "2"), (signal.SIGINT, 130, "1")])
def test_sigterm_and_sigint_keep_the_finished_runs_and_write_the_summary(tmp_path, sig, code, jobs):
    path = spec(tmp_path, SLOW)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "overfitdoc", "rerun", path, "--fixes", "weight-decay,dropout", "--seeds", "1"]
        + ["--epochs", "60", "--jobs", jobs, "--device", "cpu", "--out", str(out)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(out.glob("*.csv")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # a run has finished (its CSV is written when it ends)
        assert proc.poll() is None, "the re-run ended before the signal"
        time.sleep(0.3)  # into the next runs
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    statuses = [r["status"] for v in summary["variants"] for r in v["runs"]]
    assert "done" in statuses and "running" not in statuses
    assert set(statuses) <= {"done", "partial", "pending"}
    assert f"{signal.Signals(sig).name}: stopping" in stderr
    assert "Interrupted:" in stdout
