"""What the package ships besides its code: the type marker and the licence its metadata claims."""

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
