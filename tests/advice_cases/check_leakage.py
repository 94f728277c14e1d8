CASES = [
    dict(
        name="validation clearly better than training",
        history=("build", "val_better"),
        expect="fire",
        score_min=0.8,
        evidence=["val_loss ends 27% better than loss", "normal when dropout or augmentation is active"],
    ),
    dict(
        name="real good fit with training loss scaled up by 1.3",
        history=("sample", "good_fit.csv", {"scale": {"loss": 1.3}}),
        expect="fire",
        evidence=["val_loss ends 19% better than loss (0.1603 vs 0.1983"],
    ),
    dict(
        name="validation accuracy nearly perfect",
        history=("build", "perfect_val"),
        expect="fire",
        score_min=0.9,
        evidence=["val_accuracy reached 1, nearly perfect"],
    ),
    dict(
        name="time series: split by time",
        history=("build", "val_better"),
        context={"task": "timeseries"},
        expect="fire",
        evidence=["split by time"],
    ),
    dict(
        name="still improving: the running-mean lag explains it",
        history=("sample", "still_improving.csv"),
        expect="silent",
    ),
    dict(name="unstable: training is no baseline", history=("sample", "unstable.csv"), expect="silent"),
    dict(name="overfit: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
