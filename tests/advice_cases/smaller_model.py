CASES = [
    dict(
        name="overfit sample: memorized",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["accuracy reached 1", "capacity to spare"],
    ),
    dict(name="gap from the first epochs: near the top", history=("build", "early_gap"), expect="fire", score_min=0.7),
    dict(
        name="many parameters per sample",
        history=("sample", "overfit.csv"),
        context={"params": 270000, "train_size": 200},
        expect="fire",
        evidence=["1,350 per sample"],
    ),
    dict(name="underfitting: silent", history=("sample", "underfit.csv"), expect="silent"),
]
