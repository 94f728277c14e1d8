CASES = [
    dict(
        name="overfit sample",
        history=("sample", "overfit.csv"),
        expect="fire",
        params={"rate": 0.3},
        evidence=["Dropout 0.3", "not between them"],
        hint="--task tabular",
    ),
    dict(name="early gap: a higher rate", history=("build", "early_gap"), expect="fire", params={"rate": 0.5}),
    dict(
        name="images: augmentation comes first",
        history=("sample", "overfit.csv"),
        context={"task": "image"},
        expect="fire",
        score_max=0.55,
    ),
    dict(name="still improving: never dropout", history=("sample", "still_improving.csv"), expect="silent"),
    dict(name="underfitting: silent", history=("sample", "underfit.csv"), expect="silent"),
]
