CASES = [
    dict(
        name="overfit: average before the turn",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["val_loss scatters by 0.005824", "11-epoch trend"],
    ),
    dict(
        name="good fit plateau",
        history=("sample", "good_fit.csv"),
        expect="fire",
        evidence=["val_loss scatters by 0.001713"],
    ),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
    dict(name="unstable: silent", history=("sample", "unstable.csv"), expect="silent"),
]
