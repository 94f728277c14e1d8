CASES = [
    dict(
        name="still improving: first",
        history=("sample", "still_improving.csv"),
        expect="fire",
        rank=1,
        score_min=0.9,
        evidence=["1.002 at epoch 18", "0.7555 at epoch 24", "-24.6% over the last 6 epochs", "about 100 epochs"],
        params={"initial_epoch": 25, "epochs": 100},
    ),
    dict(name="underfit that has plateaued: silent", history=("sample", "underfit.csv"), expect="silent"),
    dict(name="overfitting: never", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
