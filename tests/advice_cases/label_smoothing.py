CASES = [
    dict(
        name="val loss rises while accuracy holds",
        history=("build", "u_with_flat_accuracy"),
        expect="fire",
        score_min=0.6,
        evidence=["val_accuracy went from 0.879 to 0.9094"],
    ),
    dict(name="overfit classifier", history=("sample", "overfit.csv"), expect="fire", score_max=0.4),
    dict(
        name="no accuracy series: skipped",
        history=("build", "early_gap"),
        expect="skipped",
        reason="no accuracy series",
    ),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
