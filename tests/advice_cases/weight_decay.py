CASES = [
    dict(
        name="overfit sample: the gap in its numbers",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=[
            "0.6948 worse than training",
            "val_loss 0.7121 vs loss 0.01727 at epoch 79, 40x the training value",
            "the gap opened at epoch",
            "is widening",
        ],
        hint="--params",
    ),
    dict(
        name="gap from the first epochs ranks it higher", history=("build", "early_gap"), expect="fire", score_min=0.75
    ),
    dict(
        name="parameters per sample in the evidence",
        history=("sample", "overfit.csv"),
        context={"params": 270000, "train_size": 200},
        expect="fire",
        evidence=["270,000 parameters for 200 training samples (1,350 per sample)"],
    ),
    dict(
        name="lr column: the fix keeps its rate",
        history=("sample", "overfit.csv", {"lr": 0.00015}),
        expect="fire",
        params={"lr": 0.00015, "weight_decay": 0.1},
    ),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
