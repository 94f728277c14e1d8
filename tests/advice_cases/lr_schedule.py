CASES = [
    dict(
        name="constant lr column",
        history=("sample", "overfit.csv", {"lr": 0.00015}),
        expect="fire",
        evidence=["lr column was constant at 0.00015 for all 80 epochs: no schedule", "peaking near 0.0015"],
        params={"max_lr": 0.0015},
    ),
    dict(
        name="step decay, read from the column",
        history=("sample", "underfit.csv", {"lr": [[0, 0.01], [10, 0.001], [20, 1e-06]]}),
        expect="fire",
        evidence=["cut to 0.001 at epoch 10, to 1e-06 at epoch 20", "did not move it"],
    ),
    dict(
        name="still improving, no lr column",
        history=("sample", "still_improving.csv"),
        expect="fire",
        evidence=["no learning-rate column"],
        score_min=0.5,
    ),
    dict(name="unstable: silent (warm-up and lower-lr instead)", history=("sample", "unstable.csv"), expect="silent"),
    dict(name="not learning: silent", history=("build", "flat"), expect="silent"),
]
