"""Readers: every real-world fixture reads with the series its source manifest names, and
every layout the readers promise (issue: diagnose) is read from content, not extension."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from overfitdoc import load_history
from overfitdoc.errors import InputError
from overfitdoc.readers import Input, read_input

from .conftest import FIXTURES, ROOT

RW = FIXTURES / "realworld"

# fixture, format, rows diagnosed, (train, val) of the monitored pair, epoch of the first row, note fragment
REALWORLD = [
    ("r001_keras_csvlogger.csv", "keras-csv", 29, ("loss", "val_loss"), 0, None),
    ("r002_keras_csvlogger.csv", "keras-csv", 5, ("loss", "val_loss"), 0, "4 runs appended"),
    ("r003_keras_csvlogger.log", "keras-csv", 50, ("loss", "val_loss"), 0, None),
    ("r004_keras_csvlogger.csv", "keras-csv", 32, ("loss", "val_loss"), 0, None),
    ("r005_keras_csvlogger.csv", "keras-csv", 50, ("loss", "val_loss"), 0, "2 runs appended"),
    ("r008_keras_csvlogger.log", "keras-csv", 70, ("loss", "val_loss"), 0, None),
    ("r009_keras_csvlogger_multioutput.csv", "keras-csv", 8, ("loss", "val_loss"), 0, None),
    ("r010_pandas_history.csv", "pandas-csv", 20, ("loss", "val_loss"), 0, None),
    ("r011_pandas_history_noindex.csv", "pandas-csv", 10, ("loss", "val_loss"), 0, None),
    ("r012_pandas_history_noindex.csv", "pandas-csv", 15, ("loss", "val_loss"), 0, None),
    ("r013_keras_history_json.json", "keras-history-json", 10, ("loss", "val_loss"), 0, None),
    ("r014_keras_history_json.json", "keras-history-json", 20, ("loss", "val_loss"), 0, None),
    ("r015_dict_lists_json.json", "pytorch-json", 50, ("train_loss", "val_loss"), 1, None),
    ("r016_dict_lists_json.json", "pytorch-json", 10, ("train_loss", "val_loss"), 1, None),
    ("r017_dict_lists_json.json", "pytorch-json", 16, ("train_loss", "val_loss"), 1, None),
    ("r018_dict_lists_json_nested.json", "pytorch-json", 48, ("train_loss", "val_loss"), 1, None),
    ("r019_dict_lists_json_mixed.json", "pytorch-json", 30, ("train_loss", "val_loss"), 1, None),
    ("r021_list_dicts_json.json", "pytorch-json", 30, ("train_cos", "val_cos"), 1, None),
    ("r022_custom_csv.csv", "csv", 20, ("Training Loss", "Validation Loss"), 1, None),
    ("r023_custom_csv.csv", "csv", 24, ("TrainLoss", "ValLoss"), 1, None),
    ("r024_custom_csv.csv", "csv", 126, ("train_mse", "val_mse"), 1, None),
    ("r025_custom_csv_spaces.csv", "csv", 54, ("training_loss", "val_loss"), 1, None),
    ("r026_text_log.log", "text-log", 500, ("Train Loss", "Val Loss"), 1, None),
    ("r027_text_log.txt", "text-log", 12, ("TrainLoss", "ValLoss"), 1, None),
    ("r050_detr_jsonl_restarted.txt", "jsonl", 51, ("train_loss", "test_loss"), 0, "2 runs appended"),
]


@pytest.mark.parametrize("name,fmt,rows,pair,first,note", REALWORLD, ids=[r[0][:4] for r in REALWORLD])
def test_realworld_fixture(name, fmt, rows, pair, first, note):
    h = load_history(RW / name)
    assert h.format == fmt
    assert len(h) == rows
    mon = h.monitor()
    assert (mon.train.strip(), mon.val.strip()) == pair
    assert h.index[0] == first
    if note:
        assert any(note in n for n in h.notes), h.notes


def test_manifest_secondary_pairs():
    assert [p.metric for p in load_history(RW / "r018_dict_lists_json_nested.json").pairs] == [
        "loss",
        "metrics_mse",
        "metrics_mae",
        "metrics_rmse",
        "metrics_r2",
    ]
    r021 = load_history(RW / "r021_list_dicts_json.json").monitor()
    assert r021.mode == "max"  # cosine similarity: higher is better
    r009 = {p.metric for p in load_history(RW / "r009_keras_csvlogger_multioutput.csv").pairs}
    assert r009 == {"loss", "out_caps_loss", "out_recon_loss", "out_caps_acc"}


def test_values_are_the_files_values():
    h = load_history(RW / "r001_keras_csvlogger.csv")
    first = (RW / "r001_keras_csvlogger.csv").read_text().splitlines()[1].split(",")
    assert h.columns["accuracy"][0] == float(first[1]) and h.columns["val_loss"][0] == float(first[4])


def test_appended_runs_keep_the_last():
    h = load_history(RW / "r002_keras_csvlogger.csv")
    assert list(h.index) == [0, 1, 2, 3, 4]
    assert "(epochs 0-4, 0-3, 0-9, 0-4)" in h.notes[0]


def test_nan_cells_are_read_as_nan():
    h = load_history(RW / "r004_keras_csvlogger.csv")
    assert np.isnan(h.columns["dice_coefficient_t"]).all()
    assert np.isfinite(h.columns["val_dice_coefficient_t"]).all()


def test_train_only_has_no_pairs():
    h = load_history(RW / "r020_dict_lists_json_gan_noval.json")
    assert h.pairs == () and "G_loss" in h.columns


def read_text(tmp_path, text: str, name="history.dat", **kw):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return load_history(p, **kw)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_keras_csv_separators(tmp_path, sep):
    rows = ["epoch,acc,loss,val_acc,val_loss", "0,0.5,0.9,0.4,1.0", "1,0.6,0.8,0.5,0.95", "2,0.7,0.7,0.55,0.9"]
    h = read_text(tmp_path, "\n".join(r.replace(",", sep) for r in rows) + "\n")
    assert h.format == "keras-csv" and [p.metric for p in h.pairs] == ["acc", "loss"]
    assert list(h.columns["val_loss"]) == [1.0, 0.95, 0.9]


def test_keras_na_first_epoch_and_learning_rate(tmp_path):
    text = "epoch,learning_rate,loss,val_loss\r\n0,0.001,0.9,NA\r\n1,0.001,0.8,0.85\r\n2,0.0001,0.7,0.8\r\n3,0.0001,0.6,0.79\r\n"
    h = read_text(tmp_path, text)
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == [1, 2, 3]
    assert "learning_rate" in h.columns and [p.metric for p in h.pairs] == ["loss"]


def test_resumed_training_later_rows_win(tmp_path):
    text = "epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n2,0.8,0.95\n1,0.85,0.97\n2,0.75,0.93\n3,0.7,0.9\n"
    h = read_text(tmp_path, text)
    assert list(h.index) == [0, 1, 2, 3]
    assert list(h.columns["loss"]) == [1.0, 0.85, 0.75, 0.7]
    assert any("resumed" in n for n in h.notes)


def test_pandas_history_with_index(tmp_path):
    h = read_text(tmp_path, ",loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n2,0.8,0.95\n")
    assert h.format == "pandas-csv" and list(h.index) == [0, 1, 2] and h.epoch_base == 0


@pytest.mark.parametrize(
    "doc,fmt",
    [
        ({"loss": [1.0, 0.9, 0.8], "val_loss": [1.1, 1.0, 0.95]}, "keras-history-json"),
        (
            [
                {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1},
                {"epoch": 2, "train_loss": 0.9, "val_loss": 1.0},
                {"epoch": 3, "train_loss": 0.8, "val_loss": 0.95},
            ],
            "pytorch-json",
        ),
        (
            {
                "config": {"lr": 0.1},
                "history": [
                    {"train_loss": 1.0, "val_loss": 1.1},
                    {"train_loss": 0.9, "val_loss": 1.0},
                    {"train_loss": 0.8, "val_loss": 0.95},
                ],
            },
            "pytorch-json",
        ),
        (
            {
                "epochs": [
                    {"epoch": 1, "train": {"loss": 1.0}, "val": {"loss": 1.1}},
                    {"epoch": 2, "train": {"loss": 0.9}, "val": {"loss": 1.0}},
                    {"epoch": 3, "train": {"loss": 0.8}, "val": {"loss": 0.95}},
                ]
            },
            "pytorch-json",
        ),
        ({"log": {"train_loss": [1.0, 0.9, 0.8], "valid_loss": [1.1, 1.0, 0.95]}}, "pytorch-json"),
    ],
)
def test_json_layouts(tmp_path, doc, fmt):
    h = read_text(tmp_path, json.dumps(doc), name="h.txt")
    assert h.format == fmt
    idx, t, v = h.aligned(h.monitor())
    assert list(t) == [1.0, 0.9, 0.8] and list(v) == [1.1, 1.0, 0.95]


def test_json_lines(tmp_path):
    lines = [
        json.dumps({"epoch": e, "train_loss": 1 - e / 10, "test_loss": 1.1 - e / 10, "test_coco_eval_bbox": [0.1, 0.2]})
        for e in range(4)
    ]
    h = read_text(tmp_path, "\n".join(lines) + "\n", name="log.txt")
    assert h.format == "jsonl" and h.monitor().val == "test_loss" and "test_coco_eval_bbox" not in h.columns


def test_json_lines_key_not_logged_on_a_line_is_not_a_bad_value(tmp_path):
    # validation on every other line, as a loop that evaluates every 2 epochs writes it
    lines = [
        json.dumps({"epoch": e, "train_loss": 1 / e, **({"val_loss": 1 / e + 0.05} if e % 2 == 0 else {})})
        for e in range(1, 41)
    ]
    h = read_text(tmp_path, "\n".join(lines) + "\n", name="log.jsonl")
    assert "val_loss" not in h.nan_cells
    idx, t, v = h.aligned(h.monitor())
    assert list(idx) == list(range(2, 41, 2)) and t[0] == pytest.approx((1 + 1 / 2) / 2)
    # a JSON null is still a value that went bad
    h = read_text(
        tmp_path,
        '{"epoch": 1, "loss": 1.0, "val_loss": 1.1}\n{"epoch": 2, "loss": 0.9, "val_loss": null}\n'
        '{"epoch": 3, "loss": 0.8, "val_loss": 1.0}\n',
        name="log.jsonl",
    )
    assert list(h.nan_cells["val_loss"]) == [False, True, False]


def test_json_nan_and_infinity_are_read(tmp_path):
    h = read_text(tmp_path, '{"loss": [1.0, NaN, Infinity, 0.5], "val_loss": [1.0, 1.0, 1.0, 1.0]}')
    loss = h.columns["loss"]
    assert math.isnan(loss[1]) and math.isinf(loss[2])


@pytest.mark.parametrize(
    "text,pair",
    [
        (
            "Epoch 1/3 - loss: 0.9 - val_loss: 1.0\nEpoch 2/3 - loss: 0.8 - val_loss: 0.9\nEpoch 3/3 - loss: 0.7 - val_loss: 0.85\n",
            ("loss", "val_loss"),
        ),
        (
            "epoch=1 train_loss=0.9 valid_loss=1.0\nepoch=2 train_loss=0.8 valid_loss=0.9\nepoch=3 train_loss=0.7 valid_loss=0.85\n",
            ("train_loss", "valid_loss"),
        ),
        (
            "[Epoch 1] Train Loss: 0.9 | Val Loss: 1.0\n[Epoch 2] Train Loss: 0.8 | Val Loss: 0.9\n[Epoch 3] Train Loss: 0.7 | Val Loss: 0.85\n",
            ("Train Loss", "Val Loss"),
        ),
    ],
)
def test_text_logs(tmp_path, text, pair):
    h = read_text(tmp_path, text, name="train.log")
    assert h.format == "text-log"
    assert (h.monitor().train, h.monitor().val) == pair
    assert list(h.index) == [1, 2, 3] and list(h.columns[pair[1]]) == [1.0, 0.9, 0.85]


def test_utf16_with_bom(tmp_path):
    h = read_text(tmp_path, "epoch,loss,val_loss\r\n0,1,1.1\r\n1,0.9,1.0\r\n2,0.8,0.9\r\n".encode("utf-16"))
    assert h.format == "keras-csv" and len(h) == 3


def test_standard_input(monkeypatch):
    data = (RW / "r013_keras_history_json.json").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    h = load_history("-")
    assert h.source == "-" and h.format == "keras-history-json"


def test_forced_input_format(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("epoch,loss,val_loss\n0,1,1\n1,0.9,1\n2,0.8,0.9\n")
    assert load_history(p, input_format="csv").format == "keras-csv"
    with pytest.raises(InputError, match="not a json file"):
        load_history(p, input_format="json")
    with pytest.raises(InputError, match="unknown input format"):
        load_history(p, input_format="xml")


BAD = [
    (b"", "empty file"),
    (b"   \n\n", "empty file"),
    (bytes(range(256)) * 4, "binary data"),
    (b"epoch,loss,val_loss\n0,1,1\n1,\xff\xfe,1\n", "not UTF-8 text (byte 0xff at offset 28)"),
    (b'{"loss": [1, 2, 3], "val_loss": [1, 2', "malformed JSON"),
    (b"[" * 100_000, "JSON nested too deeply"),
    (b'{"loss": [1, 2, 3], "val_loss": [1, 2]}', "lists of different lengths (val_loss has 2; others have 3)"),
    (b"epoch,loss,val_loss\n0,1,1\n1,0.9,1,7,8\n", "malformed CSV (row 3 has 5 fields, the header has 3)"),
    (b"name,city\nalice,paris\nbob,rome\n", "supported formats:"),
    (b"epoch,loss,val_loss\n", "a header but no rows"),
    (b"hello world\nthis is not a log\n", "supported formats:"),
]


@pytest.mark.parametrize("data,message", BAD, ids=[m[:20] for _, m in BAD])
def test_bad_input_is_one_line_input_error(tmp_path, data, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(data)
    with pytest.raises(InputError) as e:
        load_history(p)
    assert message in str(e.value)
    assert str(e.value).startswith(str(p)) and "\n" not in str(e.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_history(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="directory"):
        read_input(Input(str(tmp_path), tmp_path, is_dir=True))


def test_reading_never_modifies_the_file(tmp_path):
    p = tmp_path / "h.csv"
    p.write_bytes((RW / "r002_keras_csvlogger.csv").read_bytes())
    before = p.read_bytes(), p.stat().st_mtime_ns
    load_history(p)
    assert (p.read_bytes(), p.stat().st_mtime_ns) == before


def test_a_json_number_too_long_for_int_is_an_input_error(tmp_path):
    # json.loads raises a plain ValueError (no position) past Python's int digit limit
    path = tmp_path / "h.json"
    path.write_text('{"loss": [1, ' + "1" * 5000 + '], "val_loss": [1, 2]}')
    with pytest.raises(InputError, match="h.json"):
        load_history(path)


def test_an_epoch_beyond_2_53_is_no_count(tmp_path):
    # a real run whose later epochs became 1e307 * epoch (fuzz: 1e308 in the epoch column
    # printed a 309-digit "epochs past best"): those rows are left out with a note, and when
    # none is left the file is refused in one line
    from overfitdoc.api import diagnose

    lines = (ROOT / "sample_runs" / "overfit.csv").read_text().splitlines()
    head, rows = lines[0], [r.split(",", 1) for r in lines[1:]]
    p = tmp_path / "h.csv"
    p.write_text("\n".join([head] + [f"{e if int(e) < 5 else f'{int(e) * 1e307:.0f}'},{rest}" for e, rest in rows]))
    h = load_history(p)
    assert list(h.index) == [0, 1, 2, 3, 4]
    assert any("beyond ±2**53" in n and f"{len(rows) - 5} rows" in n for n in h.notes)
    d = diagnose(h)
    assert all(abs(v) < 2**53 for v in (d.best_epoch, d.recommended_epoch) if v is not None)
    p.write_text("\n".join([head] + [f"{int(e) * 1e307 + 1e300:.0f},{rest}" for e, rest in rows]))
    with pytest.raises(InputError, match=r"column 'epoch' holds no epoch numbers \(all beyond ±2\*\*53\)"):
        load_history(p)
