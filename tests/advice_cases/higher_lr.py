CASES = [
    dict(
        name="still improving at a steady rate",
        history=("sample", "still_improving.csv"),
        expect="fire",
        evidence=["steady, unhurried descent", "no learning-rate column"],
    ),
    dict(
        name="lr column: tiny constant rate",
        history=("build", "slow_learner"),
        expect="fire",
        evidence=["lr column was constant at 1e-05 for all 40 epochs"],
        params={"lr": 3e-05},
    ),
    dict(
        name="plateau after the rate was cut to 1e-6",
        history=("sample", "underfit.csv", {"lr": [[0, 0.01], [10, 0.001], [20, 1e-06]]}),
        expect="fire",
        evidence=["cut to 1e-06 at epoch 20"],
    ),
    dict(name="plateaued underfit without lr column: silent", history=("sample", "underfit.csv"), expect="silent"),
    dict(
        name="not learning after a first epoch that blew up: never",
        history=("benchmark", "noisy_clf-s2-06-high_lr.csv"),
        expect="silent",
    ),
    dict(name="unstable: never", history=("sample", "unstable.csv"), expect="silent"),
]
