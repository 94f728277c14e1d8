"""numpy warnings never reach the user: reading and the analysis run under
``np.errstate(all="ignore")`` (a NaN, an overflow or 1e308 in a log is the log's, and is
reported as such); and the fuzz cases that raised instead of refusing."""

from __future__ import annotations

import warnings

import pytest

from overfitdoc import load_history
from overfitdoc.analysis import diagnose
from overfitdoc.api import diagnose as diagnose_file
from overfitdoc.errors import InputError
from overfitdoc.history import from_table
from overfitdoc.readers import delimited

ALTERNATING = [(-1e308 if i % 2 == 0 else 1e308) for i in range(16)]


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_a_series_alternating_1e308_is_diagnosed_without_warnings():
    # 24 lines of RuntimeWarning (overflow in subtract, multiply; invalid value) before
    h = from_table("h.csv", "csv", {"epoch": list(range(16)), "loss": ALTERNATING, "val_loss": ALTERNATING})
    d = diagnose(h)
    assert d.monitor is not None and d.epochs == 16


def test_huge_epochs_and_values_are_read_without_warnings(tmp_path):
    # np.diff of -1e308, 1e308 epochs overflowed in from_table
    path = tmp_path / "h.csv"
    rows = [f"{e},{v},{-v}" for e, v in zip(ALTERNATING, ALTERNATING)]
    path.write_text("epoch,loss,val_loss\n" + "\n".join(rows) + "\n")
    try:
        diagnose_file(str(path))
    except InputError:
        pass


def test_a_lightning_log_with_infinite_epochs_is_refused_in_one_line(tmp_path):
    # OverflowError: cannot convert float infinity to integer (exit 3)
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,train/nll_loss,val/rmse_loss\n" + "inf,inf,inf,\ninf,inf,,inf\n" * 6)
    with pytest.raises(InputError, match="metrics.csv"):
        load_history(path)


def test_a_header_past_the_column_limit_is_refused_before_the_rows_are_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(delimited, "MAX_COLUMNS", 50)
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"m{i}" for i in range(51)) + "\n" + ",".join("1" for _ in range(51)) + "\n")
    with pytest.raises(InputError, match=r"wide.csv: 51 columns \(a training log has at most 50\)"):
        load_history(path)
    # a JSON that failed to parse keeps its own reason
    path = tmp_path / "wide.json"
    path.write_text("{" + ", ".join(f'"k{i}": [{i}, 1]' for i in range(60)) + "}\n{bad\n{}\n")
    with pytest.raises(InputError, match="malformed JSON"):
        load_history(path)


def test_the_learning_rate_schedule_is_classified_without_warnings():
    # measured lazily (after diagnose, when advice or the report asks): 1e308 / 1e-300
    # overflowed in schedule.classify
    from overfitdoc.analysis.schedule import classify

    values = [1e-3] * 5 + [1e308] + [1e-300] * 6
    classify(list(range(len(values))), values)


def test_a_hugging_face_log_with_nan_steps_is_read_or_refused(tmp_path):
    # float("nan") as a dict key, then np.float64(nan) looked up: KeyError (exit 3)
    import json

    log = [{"epoch": e, "step": s, "loss": 1.0 / (1 + e)} for e, s in enumerate([float("nan"), 10, 20, 30])]
    log += [{"epoch": e, "step": s, "eval_loss": 1.2 / (1 + e)} for e, s in enumerate([float("nan"), 10, 20, 30])]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"log_history": log, "global_step": 30}))
    h = load_history(path)
    assert h.format == "hf-trainer-state" and len(h) == 3  # the NaN step left out
