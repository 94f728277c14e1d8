CASES = [
    dict(name="overfit", history=("sample", "overfit.csv"), expect="fire", params={"members": 5}),
    dict(
        name="good fit", history=("sample", "good_fit.csv"), expect="fire", evidence=["val_loss 0.1603, gap 0.007766"]
    ),
    dict(name="underfitting: silent", history=("sample", "underfit.csv"), expect="silent"),
]
