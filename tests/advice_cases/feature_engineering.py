CASES = [
    dict(
        name="not learning: scaling",
        history=("build", "flat"),
        expect="fire",
        evidence=["badly scaled inputs"],
        hint="--task tabular",
    ),
    dict(
        name="tabular overfitting ranks higher",
        history=("sample", "overfit.csv"),
        context={"task": "tabular"},
        expect="fire",
        score_min=0.5,
    ),
    dict(
        name="underfit: an informative feature",
        history=("sample", "underfit.csv"),
        expect="fire",
        evidence=["levels off at 0.5232"],
    ),
    dict(name="images: does not apply", history=("sample", "overfit.csv"), context={"task": "image"}, expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
