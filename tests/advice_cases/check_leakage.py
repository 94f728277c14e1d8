CASES = [
    dict(
        name="validation below training, a steady share: what dropout gives, the log cannot tell a leak",
        history=("build", "val_better"),
        expect="skipped",
        reason="the log cannot tell that from a leak",
    ),
    dict(
        name="real good fit with training loss scaled up by 1.3 (a training-time handicap): skipped",
        history=("sample", "good_fit.csv", {"scale": {"loss": 1.3}}),
        expect="skipped",
        reason="dropout, augmentation or a penalty in the training loss",
    ),
    dict(
        name="dropout 0.8 in training (a generated run): validation below training, silent",
        history=("benchmark", "moons-s1-04-underfit.csv"),
        expect="skipped",
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
        score_min=0.7,
        evidence=["val_loss ends 27% better than loss", "split by time"],
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
