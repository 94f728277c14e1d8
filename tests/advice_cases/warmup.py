CASES = [
    dict(
        name="trouble from the second epoch",
        history=("sample", "unstable.csv", {"scale_rows": {"loss": [[1, 3.0]]}}),
        expect="fire",
        score_min=0.7,
        evidence=["went wrong early: first at epoch 1, in a log that runs to epoch 29", "starts at its full value (3)"],
    ),
    dict(name="later trouble: lower", history=("sample", "unstable.csv"), expect="fire", score_max=0.55),
    dict(
        name="a warm-up already in the lr column",
        history=("sample", "unstable.csv", {"lr": [[0, 0.3], [3, 3.0]]}),
        expect="fire",
        evidence=["shows a warm-up already"],
    ),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
