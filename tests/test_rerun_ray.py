"""`rerun --backend ray` on a local Ray cluster the tests start (2 CPUs, once for the module):
the same histories as the threaded path, epochs streamed as they finish, and a worker killed
mid-run: its task is retried from its seed, the re-run ends ok, and the finished epochs are
kept and reported. Without Ray installed, `--backend ray` is one line and exit 2."""

from __future__ import annotations

import json
import sys

import pytest

torch = pytest.importorskip("torch")

from .test_rerun import TINY, cli, spec  # noqa: E402

# dies (SIGKILL, its own worker process) in the third epoch of the first run that gets there;
# the marker file keeps the retry (and any later run) alive
KILLS_ITS_WORKER = TINY.replace(
    "def model(width=1.0):",
    "import os, signal\n"
    "MARKER = {marker!r}\n"
    "class Net(nn.Sequential):\n"
    "    steps = 0\n"
    "    def forward(self, x):\n"
    "        if self.training:\n"
    "            self.steps += 1\n"
    "            if self.steps == 10 and not os.path.exists(MARKER):  # 4 batches an epoch: in epoch 3\n"
    "                open(MARKER, 'w').close()\n"
    "                os.kill(os.getpid(), signal.SIGKILL)\n"
    "        return super().forward(x)\n\n"
    "def model(width=1.0):\n"
    "    return Net(*layers(width))\n\n"
    "def layers(width=1.0):",
).replace("    return nn.Sequential(nn.Linear(8, h)", "    return (nn.Linear(8, h)")


def test_without_ray_the_backend_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    r = cli(spec(tmp_path), "--backend", "ray", "--device", "cpu", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert r.stderr == "Error: --backend ray needs Ray: pip install 'overfitdoc[ray]'\n"
    assert not (tmp_path / "o").exists()


def test_batched_with_ray_is_a_usage_error(tmp_path):
    # a stack trains on one device; Ray spreads the runs over workers
    pytest.importorskip("ray")
    r = cli(spec(tmp_path), "--backend", "ray", "--batched", "--device", "cpu", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    assert r.stderr == "Error: --batched needs --backend threads: a stack trains on one device, Ray spreads the runs\n"
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    import logging

    ray.init(num_cpus=2, log_to_driver=False, include_dashboard=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


def _histories(out) -> dict[str, list]:
    return {p.name: json.loads(p.read_text()) for p in sorted(out.glob("*-seed*.json"))}


def test_ray_gives_the_threaded_numbers(tmp_path, ray_cluster):
    path = spec(tmp_path)
    common = ("--fixes", "weight-decay,dropout", "--seeds", "2", "--device", "cpu", "--format", "json")
    r_ray = cli(path, *common, "--backend", "ray", "--out", str(tmp_path / "ray"))
    r_thr = cli(path, *common, "--jobs", "2", "--out", str(tmp_path / "threads"))
    assert r_ray.exit_code == 0, r_ray.output
    assert r_thr.exit_code == 0, r_thr.output
    ray_h, thr_h = _histories(tmp_path / "ray"), _histories(tmp_path / "threads")
    assert len(ray_h) == 6 and all(len(rows) == 4 for rows in ray_h.values())
    assert ray_h == thr_h  # every unit seeds itself: identical numbers
    s = json.loads(r_ray.stdout)
    assert s["setup"]["backend"] == "ray" and s["setup"]["ray"]["cpus"] == 2
    assert json.loads(r_thr.stdout)["setup"]["backend"] == "threads"
    assert {r["status"] for v in s["variants"] for r in v["runs"]} == {"done"}


def test_ray_folds_give_the_threaded_numbers(tmp_path, ray_cluster):
    path = spec(tmp_path)  # each worker re-splits the pooled data as the driver did
    common = ("--fixes", "weight-decay", "--folds", "2", "--seeds", "1", "--device", "cpu")
    r_ray = cli(path, *common, "--backend", "ray", "--out", str(tmp_path / "ray"))
    r_thr = cli(path, *common, "--out", str(tmp_path / "threads"))
    assert r_ray.exit_code == 0 and r_thr.exit_code == 0, r_ray.output
    ray_h = _histories(tmp_path / "ray")
    assert sorted(ray_h) == [f"{v}-seed0-fold{k}.json" for v in ("baseline", "weight-decay") for k in (0, 1)]
    assert ray_h == _histories(tmp_path / "threads")


def test_a_killed_worker_is_retried_and_its_epochs_kept(tmp_path, ray_cluster):
    marker = tmp_path / "killed-once"
    path = spec(tmp_path, KILLS_ITS_WORKER.format(marker=str(marker)))
    seen: list[tuple[int, int]] = []  # (epoch, rows the driver held), as the epochs stream in
    from overfitdoc.rerun import rerun

    result = rerun(
        path,
        fixes="none",
        seeds=1,
        device="cpu",
        out_dir=str(tmp_path / "o"),
        plot=False,
        backend="ray",
        on_epoch=lambda u, epoch, logs: seen.append((epoch, len(u.rows))),
    )
    assert marker.exists()  # the worker did die
    run = result.report["variants"][0]["runs"][0]
    assert run["status"] == "done" and not result.interrupted
    assert len(result.unit("baseline").rows) == 4
    note = "its Ray worker died 1 time (after epoch 2); retried from its seed, the retry re-trained the lost epochs identically"
    assert note in result.unit("baseline").notes
    # the two epochs finished before the kill were streamed, then kept while the retry re-trained them
    assert seen[:2] == [(1, 1), (2, 2)] and seen[2:4] == [(1, 2), (2, 2)]
    killed = _histories(tmp_path / "o")
    # the same numbers as a run that was never killed (the marker is there now: nothing dies)
    r = cli(path, "--fixes", "none", "--seeds", "1", "--device", "cpu", "--out", str(tmp_path / "t"))
    assert r.exit_code == 0, r.output
    assert killed == _histories(tmp_path / "t")
