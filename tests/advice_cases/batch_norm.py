CASES = [
    dict(
        name="not learning", history=("build", "flat"), expect="fire", evidence=["its trend went from 0.6925 to 0.691"]
    ),
    dict(
        name="unstable training",
        history=("sample", "unstable.csv"),
        expect="fire",
        evidence=["2 rises of more than 50%"],
    ),
    dict(name="overfitting: low", history=("sample", "overfit.csv"), expect="fire", score_max=0.3),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
