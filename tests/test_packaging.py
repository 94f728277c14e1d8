"""What the package ships besides its code: the type marker, the licence its metadata claims,
and its requirements."""

from __future__ import annotations

import sys

from .conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_py_typed_is_shipped_as_package_data():
    assert (ROOT / "overfitdoc" / "py.typed").is_file()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["overfitdoc"]


def test_the_licence_file_is_the_one_the_metadata_claims():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 The overfitdoc authors" in text


def test_matplotlib_is_a_core_requirement_and_the_plot_extra_an_empty_alias():
    # plots are part of the main job: a plain `pip install overfitdoc` draws them
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [req.split(">")[0].split("=")[0].split(";")[0].strip() for req in project["dependencies"]]
    assert "matplotlib" in names
    assert project["optional-dependencies"]["plot"] == []  # `overfitdoc[plot]` still installs
    for extra, reqs in project["optional-dependencies"].items():
        assert not any(r.startswith("matplotlib") for r in reqs), extra  # not asked for twice
