"""The CI examples in docs/ci/ are run, not just read: the GitHub Actions job's steps and the
GitLab job's script as shell scripts (with the CI's environment simulated), and the
pre-commit hook by pre-commit itself (its definition, the repository's root
``.pre-commit-hooks.yaml``, validated by pre-commit too).

Steps that install overfitdoc or train a model are replaced, and only those: a shim on PATH
runs this checkout's overfitdoc, and a sample run stands in for the trained history.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLES

yaml = pytest.importorskip("yaml")
CI = ROOT / "docs" / "ci"
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")


@pytest.fixture
def workdir(tmp_path):
    """A fresh checkout-like folder with an `overfitdoc` shim first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "overfitdoc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m overfitdoc "$@"\n')
    shim.chmod(0o755)
    work = tmp_path / "repo"
    work.mkdir()
    return work


def ci_env(workdir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "NO_COLOR")}
    env["PATH"] = f"{workdir.parent / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)  # the shim runs this checkout
    env["COLUMNS"] = "120"
    env.update(extra)
    return env


def trained(workdir: Path, sample: str) -> None:
    """What the training step would leave: a history at runs/history.csv."""
    (workdir / "runs").mkdir(exist_ok=True)
    shutil.copy(SAMPLES / sample, workdir / "runs" / "history.csv")


def bash(script: str, workdir: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BASH, "--noprofile", "--norc", "-e", "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---------------------------------------------------------------- GitHub Actions


def github_steps():
    doc = yaml.safe_load((CI / "github-actions.yml").read_text(encoding="utf-8"))
    (job,) = doc["jobs"].values()
    replaced = {"Install", "Train"}
    run_steps = [s for s in job["steps"] if "run" in s]
    assert {s["name"] for s in run_steps} >= replaced
    return [s for s in run_steps if s["name"] not in replaced], job


@pytest.mark.parametrize("sample,code", [("good_fit.csv", 0), ("overfit.csv", 1)])
def test_github_actions_job(workdir, sample, code):
    steps, job = github_steps()
    trained(workdir, sample)
    summary = workdir.parent / "step_summary.md"
    env = ci_env(workdir, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), CI="true")
    results = [bash(step["run"], workdir, env) for step in steps]
    (check,) = results
    assert check.returncode == code, check.stderr
    junit = ET.parse(workdir / "overfitdoc-junit.xml").getroot()
    assert junit.get("tests") == "3" and junit.get("failures") == ("0" if code == 0 else "3")
    text = summary.read_text(encoding="utf-8")
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::error ")]
    if code == 0:
        assert text.startswith("### overfitdoc check: ✅ PASSED: 1 run, 3 gates each")
        assert annotations == []
    else:
        assert text.startswith("### overfitdoc check: ❌ FAILED: 1 of 1 run failed 3 gates")
        assert annotations[0] == (
            "::error file=runs/history.csv,title=overfitdoc max-gap::final gap 0.6948 is above "
            "the limit 0.2 (validation loss 0.7121 vs training 0.01727 at epoch 79)"
        )
        assert len(annotations) == 3
    # the upload step keeps the file the check step wrote
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload and upload[0]["with"]["path"] == "overfitdoc-junit.xml" and upload[0]["if"] == "always()"


# ---------------------------------------------------------------- GitLab CI


@pytest.mark.parametrize("sample,code", [("good_fit.csv", 0), ("unstable.csv", 1)])
def test_gitlab_ci_job(workdir, sample, code):
    doc = yaml.safe_load((CI / "gitlab-ci.yml").read_text(encoding="utf-8"))
    job = doc["overfitting-gate"]
    assert job["before_script"] == ["pip install overfitdoc"]  # replaced by the shim
    assert doc["train"]["artifacts"]["paths"] == ["runs/"]  # replaced by a sample run
    trained(workdir, sample)
    result = bash("\n".join(job["script"]), workdir, ci_env(workdir, GITLAB_CI="true", CI="true"))
    assert result.returncode == code, result.stderr
    report = job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"
    root = ET.parse(workdir / report).getroot()
    assert root.find("testsuite").get("name") == "runs/history.csv"
    assert "::error" not in result.stdout  # no GitHub output outside GitHub Actions
    if code:
        fail_on = root.find("testsuite/testcase[@name='fail-on']/failure")
        assert fail_on.get("message").startswith(
            "verdict unstable is one of the failing verdicts overfitting, unstable"
        )


# ---------------------------------------------------------------- pre-commit

PRE_COMMIT = shutil.which("pre-commit")
needs_pre_commit = pytest.mark.skipif(PRE_COMMIT is None, reason="needs pre-commit (pip install pre-commit)")
GIT = shutil.which("git")


@needs_pre_commit
def test_pre_commit_files_are_valid():
    # the hook definition is the root .pre-commit-hooks.yaml (where pre-commit looks for it in a
    # repository used as a hook source); the example config for other repositories is in docs/ci/
    hooks = ROOT / ".pre-commit-hooks.yaml"
    for command, path in (("validate-manifest", hooks), ("validate-config", CI / "pre-commit-config.yaml")):
        r = subprocess.run([PRE_COMMIT, command, str(path)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    (hook,) = yaml.safe_load(hooks.read_text(encoding="utf-8"))
    files = re.compile(hook["files"])
    assert files.search("runs/history.csv") and files.search("train_history.json")
    assert not files.search("data/train.csv")


@needs_pre_commit
@pytest.mark.skipif(GIT is None, reason="needs git")
@pytest.mark.parametrize("sample,code", [("good_fit.csv", 0), ("overfit.csv", 1)])
def test_pre_commit_local_hook(workdir, sample, code):
    shutil.copy(CI / "pre-commit-config.yaml", workdir / ".pre-commit-config.yaml")
    trained(workdir, sample)
    env = ci_env(
        workdir,
        PRE_COMMIT_HOME=str(workdir.parent / "pre-commit-home"),
        GIT_CONFIG_NOSYSTEM="1",
        HOME=str(workdir.parent),
    )
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run([GIT, *args], cwd=workdir, env=env, check=True, capture_output=True, timeout=60)
    r = subprocess.run(
        [PRE_COMMIT, "run", "--all-files", "--color", "never"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == code, r.stdout + r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("overfitdoc check") and first.endswith("Passed" if code == 0 else "Failed")
    if code:
        assert (
            "runs/history.csv: max-gap: final gap 0.6948 is above the limit 0.2 (validation loss 0.7121 vs "
            "training 0.01727 at epoch 79)"
        ) in r.stdout
