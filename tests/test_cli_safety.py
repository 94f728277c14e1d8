"""The CLI's file safety and exit codes (issue 16): outputs never written over inputs,
overfitdoc's own outputs never read as logs, exit codes right through closed pipes, ``--debug``
and full disks, unreadable paths and read-only folders exit 2 with one line."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from overfitdoc.cli import app, main
from overfitdoc.errors import UsageError
from overfitdoc.io import GuardedStdout, refuse_inputs_as_outputs

from .conftest import ROOT, SAMPLES

runner = CliRunner()


def cli(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def run_csv(tmp_path):
    path = tmp_path / "run.csv"
    shutil.copy(SAMPLES / "overfit.csv", path)
    return path


# ---------------------------------------------------------------- outputs over inputs


def assert_refused(r, option: str, shown: str, path: Path, before: str) -> None:
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith(f"Error: {option} {shown}: is one of the inputs")
    assert r.stderr.count("\n") == 1
    assert digest(path) == before  # the input is untouched


def test_diagnose_output_is_the_input(run_csv):
    before = digest(run_csv)
    for fmt in ("text", "json", "markdown"):
        r = cli("diagnose", run_csv, "-f", fmt, "-o", run_csv)
        assert_refused(r, "--output", str(run_csv), run_csv, before)


def test_the_same_file_by_another_path(run_csv, tmp_path, monkeypatch):
    before = digest(run_csv)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    r = cli("diagnose", "run.csv", "-o", "sub/../run.csv")
    assert_refused(r, "--output", "sub/../run.csv", run_csv, before)
    (tmp_path / "link.csv").symlink_to(run_csv)
    r = cli("diagnose", "link.csv", "-o", "run.csv")
    assert_refused(r, "--output", "run.csv", run_csv, before)
    (tmp_path / "hard.csv").hardlink_to(run_csv)  # another name of the same file: samefile
    r = cli("diagnose", "run.csv", "-o", "hard.csv")
    assert_refused(r, "--output", "hard.csv", run_csv, before)
    assert "(run.csv)" in r.stderr


def test_diagnose_plot_is_the_input(tmp_path):
    svg = tmp_path / "run.svg"  # a CSV log, whatever its name
    shutil.copy(SAMPLES / "overfit.csv", svg)
    before = digest(svg)
    r = cli("diagnose", svg, "--plot", svg)
    assert_refused(r, "--plot", str(svg), svg, before)


def test_check_junit_is_an_input_or_the_baseline(run_csv, tmp_path):
    before = digest(run_csv)
    r = cli("check", "--no-config", run_csv, "--max-gap", "0.1", "--junit", run_csv)
    assert_refused(r, "--junit", str(run_csv), run_csv, before)
    base = tmp_path / "base.csv"
    shutil.copy(SAMPLES / "good_fit.csv", base)
    r = cli("check", "--no-config", run_csv, "--baseline", base, "--junit", base)
    assert_refused(r, "--junit", str(base), base, digest(base))


def test_check_junit_from_the_configuration_is_the_configuration(run_csv, tmp_path):
    config = tmp_path / "overfitdoc.toml"
    config.write_text('[check]\nmax_gap = 0.1\njunit = "overfitdoc.toml"\n')
    before = digest(config)
    r = cli("check", "--config", config, run_csv)
    assert r.exit_code == 2, r.output
    assert "is one of the inputs" in r.stderr
    assert digest(config) == before


def test_plot_output_is_the_input(tmp_path):
    pytest.importorskip("matplotlib")
    svg = tmp_path / "run.svg"
    shutil.copy(SAMPLES / "overfit.csv", svg)
    before = digest(svg)
    r = cli("plot", svg, "-o", svg)
    assert_refused(r, "--output", str(svg), svg, before)


def test_an_output_inside_an_input_directory(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    shutil.copy(SAMPLES / "overfit.csv", logs / "a.csv")
    before = digest(logs / "a.csv")
    r = cli("diagnose", logs, "-o", logs / "a.csv")  # a log the directory holds: refused
    assert_refused(r, "--output", str(logs / "a.csv"), logs / "a.csv", before)
    r = cli("diagnose", logs, "-o", logs / "report.md")  # a new file beside it: fine
    assert r.exit_code == 0, r.output
    assert (logs / "report.md").read_text().startswith(str(logs / "a.csv"))


def test_the_helper():
    refuse_inputs_as_outputs([("-o", None), ("-o", "new.json")], ["sample_runs/overfit.csv", None])
    with pytest.raises(UsageError, match=r"^-o ./sample_runs/../sample_runs/overfit.csv: is one of the inputs"):
        refuse_inputs_as_outputs([("-o", "./sample_runs/../sample_runs/overfit.csv")], ["sample_runs/overfit.csv"])


# ---------------------------------------------------------------- our own outputs are not logs


@pytest.fixture
def logs(tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    shutil.copy(SAMPLES / "overfit.csv", d / "a.csv")
    return d


def sources(r) -> list[str]:
    import json

    return [run["source"] for run in json.loads(r.stdout)["runs"]]


def test_a_report_written_into_the_directory_is_not_read_back(logs):
    r = cli("diagnose", logs, "-f", "json", "-o", logs / "report.json")
    assert r.exit_code == 0, r.output
    r = cli("diagnose", logs, "-f", "json")  # the second time: report.json is passed over
    assert r.exit_code == 0, r.output
    assert sources(r) == [str(logs / "a.csv")]


def test_own_outputs_are_known_by_content_whatever_their_name(logs):
    r = cli("check", "--no-config", logs, "--max-gap", "100", "-f", "json")
    assert r.exit_code == 0, r.output
    (logs / "history.json").write_text(r.stdout)  # check's JSON, under a log's name
    r = cli("diagnose", logs, "-f", "json")
    (logs / "metrics.json").write_text(r.stdout)  # diagnose's JSON, under a known log name
    r = cli("diagnose", logs, "-f", "json")
    assert r.exit_code == 0, r.output
    assert sources(r) == [str(logs / "a.csv")]
    r = cli("diagnose", logs / "metrics.json")  # named on its own: exit 2, one line
    assert r.exit_code == 2
    assert r.stderr == (
        f"Error: {logs / 'metrics.json'}: an overfitdoc report (overfitdoc's own output), not a training log\n"
    )


def test_a_rerun_summary_is_known_by_content(logs, tmp_path):
    from overfitdoc import __version__
    from overfitdoc.render.json import render_json

    summary = {"schema_version": 1, "tool": {"name": "overfitdoc", "version": __version__}, "command": "rerun"}
    (logs / "results.json").write_text(render_json({**summary, "variants": [{"name": "baseline", "runs": []}]}))
    r = cli("diagnose", logs, "-f", "json")
    assert r.exit_code == 0, r.output
    assert sources(r) == [str(logs / "a.csv")]
    r = cli("diagnose", logs / "results.json")
    assert r.exit_code == 2
    assert "the summary of an overfitdoc rerun (overfitdoc's own output), not a training log" in r.stderr


def test_a_log_that_only_mentions_overfitdoc_is_still_a_log(tmp_path):
    log = tmp_path / "h.json"
    log.write_text(
        '{"tool": {"name": "overfitdoc"}, "loss": [1.0, 0.8, 0.7, 0.6], "val_loss": [1.1, 0.9, 0.9, 1.0]}'
    )  # no schema_version: not a report
    r = cli("diagnose", log)
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- exit codes: pipes, --debug, full disks


def overfitdoc(*args, stdout) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run(
        [sys.executable, "-m", "overfitdoc", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def closed_pipe(*args) -> subprocess.CompletedProcess:
    """Run with standard output a pipe whose reader has gone (what `| head -n 1` leaves)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return overfitdoc(*args, stdout=write)
    finally:
        os.close(write)


GOOD = "sample_runs/good_fit.csv"
OVERFIT = "sample_runs/overfit.csv"


@pytest.mark.parametrize(
    "args, code",
    [
        (("check", "--no-config", GOOD, OVERFIT, "--max-gap", "100"), 0),  # every gate passed
        (("check", "--no-config", GOOD, OVERFIT, "--max-gap", "100", "-f", "json"), 0),
        (("check", "--no-config", GOOD, OVERFIT, "--max-gap", "0.000001"), 1),  # a gate failed
        (("diagnose", GOOD, OVERFIT), 0),
        (("diagnose", GOOD, "-f", "markdown"), 0),
        (("formats",), 0),
    ],
)
def test_a_closed_pipe_keeps_the_real_exit_code(args, code):
    r = closed_pipe(*args)
    assert r.returncode == code, r.stderr
    assert r.stderr == ""


def test_head_reads_one_line_and_check_exits_0():
    r = subprocess.run(
        f"{sys.executable} -m overfitdoc check --no-config {GOOD} {OVERFIT} --max-gap 100 | head -n 1; "
        'exit "${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ("diagnose", OVERFIT),
        ("diagnose", OVERFIT, "-f", "json"),
        ("check", "--no-config", OVERFIT, "--max-gap", "100"),
        ("check", "--no-config", OVERFIT, "--max-gap", "100", "-f", "json"),
        ("formats",),
    ],
)
def test_standard_output_on_a_full_disk_exits_2_with_one_line(args):
    with open("/dev/full", "w") as full:
        r = overfitdoc(*args, stdout=full)
    assert r.returncode == 2
    assert r.stderr == "Error: cannot write to standard output: No space left on device\n"


def test_a_report_written_with_o_does_not_touch_standard_output(tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        r = overfitdoc("diagnose", OVERFIT, "-o", tmp_path / "r.txt", stdout=full)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "r.txt").read_text().startswith(OVERFIT)


def boom(*args, **kwargs):
    raise RuntimeError("a bug")


@pytest.mark.parametrize("debug", [False, True])
def test_an_internal_error_exits_3_with_or_without_debug(monkeypatch, capsys, debug):
    import overfitdoc.api

    monkeypatch.setattr(overfitdoc.api, "diagnose", boom)
    monkeypatch.setattr(sys, "argv", ["overfitdoc", "diagnose", OVERFIT, *(["--debug"] if debug else [])])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 3
    err = capsys.readouterr().err
    assert "Internal error in overfitdoc: RuntimeError: a bug" in err
    if debug:
        assert "Traceback (most recent call last)" in err and "in boom" in err
    else:
        assert err.count("\n") == 1 and "run with --debug for the traceback" in err


class Failing(io.StringIO):
    def __init__(self, error: OSError):
        super().__init__()
        self.error = error

    def flush(self):
        raise self.error


def test_guarded_stdout():
    g = GuardedStdout(Failing(BrokenPipeError(errno.EPIPE, "Broken pipe")))
    g.write("report\n")
    g.flush()  # a reader that went away: nothing raised, the rest dropped
    assert g.broken and g.write("more") == 4
    g = GuardedStdout(Failing(OSError(errno.ENOSPC, "No space left on device")))
    g.write("report\n")
    with pytest.raises(UsageError, match="^cannot write to standard output: No space left on device$"):
        g.flush()
    g.flush()  # said once


# ---------------------------------------------------------------- unreadable paths

DROP_DAC = ["--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]


def unprivileged() -> list[str]:
    """The prefix that runs a command without the right to read past file modes: none for a
    normal user; as root, setpriv without CAP_DAC_OVERRIDE (skipped where there is none)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root, and no setpriv to drop the capability that reads past chmod 000")
    return [setpriv, *DROP_DAC]


@pytest.fixture
def locked(tmp_path):
    """A tree of unreadable things; modes restored for tmp_path's clean-up."""
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "ok.csv")
    (tmp_path / "locked").mkdir()
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "locked" / "a.csv")
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "secret.csv")
    (tmp_path / "tree" / "b").mkdir(parents=True)
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "tree" / "a.csv")
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "tree" / "b" / "c.csv")
    shutil.copytree(ROOT / "tests" / "fixtures" / "trainers" / "tensorboard" / "keras", tmp_path / "tb")
    shutil.copytree(MLFLOW_RUN, tmp_path / "mlrun")
    blocked = [tmp_path / "locked", tmp_path / "secret.csv", tmp_path / "tree" / "b", tmp_path / "tb" / "validation"]
    blocked.append(tmp_path / "mlrun" / "metrics" / "val")
    for p in blocked:
        p.chmod(0)
    yield tmp_path
    for p in blocked:
        p.chmod(0o755)


@pytest.mark.parametrize(
    "args, line",
    [
        (("diagnose", "locked"), "Error: locked: permission denied"),
        (("diagnose", "secret.csv"), "Error: secret.csv: permission denied"),
        (("diagnose", "locked/a.csv"), "Error: locked/a.csv: permission denied"),
        (("diagnose", "tree"), "Error: tree: permission denied (tree/b)"),  # never passed over in silence
        (("diagnose", "tb"), "Error: tb: permission denied (tb/validation)"),  # a TensorBoard run's split
        (("diagnose", "mlrun"), "Error: mlrun: permission denied (mlrun/metrics/val)"),  # an MLflow metric folder
        (("check", "--no-config", "ok.csv", "tree", "--max-gap", "100"), "Error: tree: permission denied (tree/b)"),
    ],
)
def test_unreadable_paths_exit_2_naming_them(locked, args, line):
    prefix = unprivileged()
    probe = subprocess.run([*prefix, sys.executable, "-c", "open('secret.csv')"], cwd=locked, capture_output=True)
    if probe.returncode == 0:
        pytest.skip("chmod 000 does not stop this user reading")
    pytest.importorskip("tensorboard")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [*prefix, sys.executable, "-m", "overfitdoc", *args], cwd=locked, env=env, capture_output=True, text=True
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr == line + "\n"


MLFLOW_RUN = (
    ROOT / "tests" / "fixtures" / "trainers" / "mlruns" / "416108909969486944" / "72f6595a06c04ad280ce4eea71c3493e"
)


def deny(monkeypatch, *names: str) -> None:
    """Reading a file or listing a folder of one of these names raises PermissionError, as it
    would for a user without the right (whoever runs the tests)."""
    import pathlib

    real_iterdir, real_read = pathlib.Path.iterdir, pathlib.Path.read_bytes

    def iterdir(self):
        if self.name in names:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_iterdir(self)

    def read_bytes(self):
        if self.name in names:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    from overfitdoc.readers import registry

    real_read_path = registry.read_path

    def read_path(path, source, pipes=False):  # files are opened by descriptor (registry.read_path)
        if pathlib.Path(path).name in names:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_read_path(path, source, pipes)

    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) in names:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(pathlib.Path, "iterdir", iterdir)
    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)
    monkeypatch.setattr(registry, "read_path", read_path)


def test_an_unreadable_tensorboard_split_is_exit_2(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    run = tmp_path / "tb"
    shutil.copytree(ROOT / "tests" / "fixtures" / "trainers" / "tensorboard" / "keras", run)
    deny(monkeypatch, "validation")
    r = cli("diagnose", run)
    assert r.exit_code == 2
    assert r.stderr == f"Error: {run}: permission denied ({run / 'validation'})\n"


def test_an_unreadable_mlflow_metric_folder_is_exit_2(tmp_path, monkeypatch):
    # Path.rglob passed over it: the run was read without its val/ metrics
    run = tmp_path / "run"
    shutil.copytree(MLFLOW_RUN, run)
    deny(monkeypatch, "val")
    r = cli("diagnose", run)
    assert r.exit_code == 2
    assert r.stderr == f"Error: {run}: permission denied ({run / 'metrics' / 'val'})\n"


def test_an_unreadable_file_or_folder_is_exit_2(tmp_path, monkeypatch):
    (tmp_path / "tree" / "b").mkdir(parents=True)
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "tree" / "a.csv")
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "secret.csv")
    deny(monkeypatch, "b", "secret.csv")
    r = cli("diagnose", tmp_path / "secret.csv", tmp_path / "tree", SAMPLES / "good_fit.csv")
    assert r.exit_code == 2
    assert r.stderr == (
        f"Error: {tmp_path / 'secret.csv'}: permission denied\n"
        f"Error: {tmp_path / 'tree'}: permission denied ({tmp_path / 'tree' / 'b'})\n"
    )
    assert "good_fit.csv" in r.stdout  # the readable input is still reported


# ---------------------------------------------------------------- read-only folders


@pytest.fixture
def readonly(tmp_path):
    shutil.copy(SAMPLES / "overfit.csv", tmp_path / "ok.csv")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    yield tmp_path
    (tmp_path / "ro").chmod(0o755)


@pytest.mark.parametrize(
    "args, path",
    [
        (("diagnose", "ok.csv", "-o", "ro/report.json"), "ro/report.json"),
        (("diagnose", "ok.csv", "-f", "json", "-o", "ro/report.json"), "ro/report.json"),
        (("check", "--no-config", "ok.csv", "--max-gap", "100", "--junit", "ro/junit.xml"), "ro/junit.xml"),
        (("plot", "ok.csv", "-o", "ro/curves.svg"), "ro/curves.svg"),
    ],
)
def test_writing_into_a_read_only_folder_exits_2_naming_the_path(readonly, args, path):
    prefix = unprivileged()
    probe = subprocess.run([*prefix, sys.executable, "-c", "open('ro/x', 'w')"], cwd=readonly, capture_output=True)
    if probe.returncode == 0:
        pytest.skip("chmod 555 does not stop this user writing")
    if args[0] == "plot":
        pytest.importorskip("matplotlib")
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [*prefix, sys.executable, "-m", "overfitdoc", *args], cwd=readonly, env=env, capture_output=True, text=True
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr == f"Error: cannot write {path}: Permission denied\n"
    assert os.listdir(readonly / "ro") == []


@pytest.mark.parametrize("error", [errno.EACCES, errno.EROFS])
def test_a_folder_that_refuses_new_files_is_exit_2(tmp_path, monkeypatch, error):
    import tempfile

    def refuse(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "report.json"
    r = cli("diagnose", SAMPLES / "overfit.csv", "-o", out)
    assert r.exit_code == 2
    assert r.stderr == f"Error: cannot write {out}: {os.strerror(error)}\n"
    r = cli("check", "--no-config", SAMPLES / "overfit.csv", "--max-gap", "100", "--junit", out)
    assert r.exit_code == 2
    assert r.stderr == f"Error: cannot write {out}: {os.strerror(error)}\n"
    assert not out.exists()


# ---------------------------------------------------------------- what is not a regular file


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_an_output_that_is_a_fifo_is_written_into_not_replaced(tmp_path):
    import threading

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = cli("diagnose", SAMPLES / "overfit.csv", "-f", "json", "-o", fifo)
    reader.join(30)
    assert r.exit_code == 0, r.output
    assert fifo.is_fifo()  # not replaced by a regular file, as /dev/null would be
    assert got and b'"schema_version": 1' in got[0]


def test_an_output_that_is_a_link_keeps_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    r = cli("diagnose", SAMPLES / "overfit.csv", "-f", "json", "-o", link)
    assert r.exit_code == 0, r.output
    assert link.is_symlink() and '"schema_version": 1' in real.read_text()
