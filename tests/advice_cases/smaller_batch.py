CASES = [
    dict(
        name="overfit sample: low",
        history=("sample", "overfit.csv"),
        expect="fire",
        score_max=0.3,
        params={"batch_size": 32},
    ),
    dict(name="underfitting: silent", history=("sample", "underfit.csv"), expect="silent"),
]
