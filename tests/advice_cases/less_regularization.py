CASES = [
    dict(
        name="underfit with a tiny gap",
        history=("sample", "underfit.csv"),
        expect="fire",
        evidence=["within 1% of loss", "gap 0.006009"],
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
