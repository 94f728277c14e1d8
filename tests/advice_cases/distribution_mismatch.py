CASES = [
    dict(
        name="constant offset from the first epoch",
        history=("build", "offset_gap"),
        expect="fire",
        score_min=0.85,
        evidence=["already 0.301 worse than training at epoch 1", "the gap is stable (0.3003 at the end)"],
    ),
    dict(name="offset ranks above regularization", history=("build", "offset_gap"), expect="fire", rank=1),
    dict(
        name="an offset many times the training value is a multiple",
        expect="fire",
        history=("build", "offset_gap", {"floor": 0.01, "drop": 0.02, "offset": 0.5}),
        evidence=["at epoch 1 (16.9x the training value), before"],
    ),
    dict(name="widening gap after a rise: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
