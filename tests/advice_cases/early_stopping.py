"""early-stopping: the evidence replays Keras EarlyStopping on the run's validation series."""

CASES = [
    dict(
        name="late overfit: first, with the stop and restore epochs",
        history=("sample", "overfit.csv"),
        expect="fire",
        score_min=0.8,
        evidence=[
            "patience=6",
            "stopped at epoch 19",
            "after 20 of 80 epochs",
            "restored epoch 13",
            "val_loss 0.4019, the best of the run",
            "the run ended at 0.7121",
        ],
        params={"patience": 6, "stop_epoch": 19, "restored_epoch": 13, "monitor": "val_loss", "mode": "min"},
    ),
    dict(
        name="same run as PyTorch JSON, 1-based epochs",
        history=("sample", "overfit.json"),
        expect="fire",
        params={"patience": 6, "stop_epoch": 20, "restored_epoch": 14, "monitor": "val_loss"},
    ),
    dict(
        name="gap from the first epochs, 47 of 49 epochs after the best: early stopping first",
        history=("build", "early_gap"),
        expect="fire",
        score_min=0.9,
        rank=1,
        params={"restored_epoch": 3},
    ),
    dict(
        name="still improving: only as the stop when training longer",
        history=("sample", "still_improving.csv"),
        expect="fire",
        score_max=0.45,
        evidence=["still improving at the last epoch", "0.7555 at epoch 24"],
    ),
    dict(
        name="unstable: keeps the weights from before the NaN",
        history=("sample", "unstable.csv"),
        expect="fire",
        evidence=["stopped at epoch 6", "restored epoch 3", "non-finite at epoch 15"],
        params={"stop_epoch": 6, "restored_epoch": 3},
    ),
    dict(
        name="good fit: the flat tail",
        history=("sample", "good_fit.csv"),
        expect="fire",
        score_max=0.4,
        evidence=["stopped at epoch 24", "restored epoch 18"],
    ),
    dict(name="underfitting: silent", history=("sample", "underfit.csv"), expect="silent"),
    dict(name="not learning: silent", history=("build", "flat"), expect="silent"),
    dict(
        name="no validation: skipped",
        history=("build", "no_validation"),
        expect="skipped",
        reason="no validation series",
    ),
]
