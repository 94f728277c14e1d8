CASES = [
    dict(
        name="overfit sample, no lr column",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["If this model trains with Adam"],
    ),
    dict(
        name="Adam-scale lr column",
        history=("sample", "overfit.csv", {"lr": 0.00015}),
        expect="fire",
        evidence=["lr column (0.00015) is an Adam-scale rate"],
        params={"lr": 0.01},
    ),
    dict(name="text models keep Adam", history=("sample", "overfit.csv"), context={"task": "text"}, expect="silent"),
    dict(name="unstable: silent", history=("sample", "unstable.csv"), expect="silent"),
]
