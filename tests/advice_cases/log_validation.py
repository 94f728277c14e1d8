CASES = [
    dict(
        name="no validation series",
        history=("build", "no_validation"),
        expect="fire",
        rank=1,
        evidence=["no validation series (found only loss, accuracy"],
    ),
    dict(
        name="too few epochs", history=("sample", "overfit.csv", {"rows": 2}), expect="fire", evidence=["3 are needed"]
    ),
    dict(name="diagnosable run: silent", history=("sample", "overfit.csv"), expect="silent"),
]
