CASES = [
    dict(
        name="underfit sample: first",
        history=("sample", "underfit.csv"),
        expect="fire",
        score_min=0.85,
        rank=1,
        evidence=["loss only reached 0.5223 (from 0.6853)", "has flattened", "gap 0.006009"],
    ),
    dict(
        name="few parameters per sample",
        history=("sample", "underfit.csv"),
        context={"params": 15, "train_size": 1500},
        expect="fire",
        evidence=["15 parameters for 1,500 training samples"],
    ),
    dict(name="overfitting: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
