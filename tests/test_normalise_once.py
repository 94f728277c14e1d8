"""Each column name is normalised once per file, however many passes ask for it (a JSON with
10^6 keys asked ~24 times per key and took 90-111 s; benchmarks/wide_json measures the time)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from overfitdoc import naming
from overfitdoc.api import diagnose
from overfitdoc.readers import load_history


@pytest.fixture
def counted(monkeypatch):
    seen: Counter[str] = Counter()
    real = naming._normalise

    def count(name: str) -> str:
        seen[name] += 1
        return real(name)

    monkeypatch.setattr(naming, "_normalise", count)
    return seen


@pytest.fixture
def wide(tmp_path):
    doc = {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.95, 0.93, 0.94]}
    doc.update({f"Metric{i}": [1.0, 2.0, 3.0, 4.0] for i in range(2000)})
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(doc))
    return path


def test_reading_and_diagnosing_normalise_each_key_once(wide, counted):
    d = diagnose(str(wide))
    assert d.monitor is not None and d.monitor.metric == "loss"
    assert counted["Metric1999"] == 1 and counted["loss"] == 1 and counted["val_loss"] == 1
    assert max(counted.values()) == 1, counted.most_common(3)
    assert sum(counted.values()) <= 2002 + 20  # the keys, and a few names the code asks for


def test_reading_alone_normalises_each_key_once(wide, counted):
    load_history(wide)
    assert max(counted.values()) == 1, counted.most_common(3)


def test_the_cache_lasts_one_call(wide, counted):
    diagnose(str(wide))
    assert naming._CACHE is None
    diagnose(str(wide))
    assert counted["Metric0"] == 2  # nothing kept between files


def test_normalise_outside_a_read_is_uncached_and_the_same():
    assert naming._CACHE is None
    assert naming.normalise(" TrainLoss ") == "train_loss"
    with naming.normalising_once():
        assert naming.normalise(" TrainLoss ") == "train_loss"
        with naming.normalising_once():  # re-entrant: the outer cache stays
            assert naming._CACHE == {" TrainLoss ": "train_loss"}
        assert naming._CACHE is not None
    assert naming._CACHE is None
