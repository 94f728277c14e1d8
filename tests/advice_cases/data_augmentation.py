CASES = [
    dict(
        name="overfit, no task: a hint",
        history=("sample", "overfit.csv"),
        expect="fire",
        hint="--task image",
        evidence=["0.6948 worse than training"],
        fix_contains={"keras": "RandomFlip", "pytorch": "RandomHorizontalFlip"},
    ),
    dict(
        name="images rank it high",
        history=("sample", "overfit.csv"),
        context={"task": "image"},
        expect="fire",
        score_min=0.7,
        evidence=["For image data"],
    ),
    dict(
        name="tabular: input noise",
        history=("sample", "overfit.csv"),
        context={"task": "tabular", "framework": "pytorch"},
        expect="fire",
        score_max=0.5,
        fix_contains={"pytorch": "torch.randn_like"},
    ),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
    dict(name="unstable: silent", history=("sample", "unstable.csv"), expect="silent"),
]
