CASES = [
    dict(
        name="validation loss 3x training at the first epoch",
        history=("sample", "good_fit.csv", {"scale": {"val_loss": 3.0}}),
        expect="fire",
        evidence=["At epoch 0 val_loss was 0.9975, 2.1x loss (0.4697)"],
    ),
    dict(name="validation improves with training: silent", history=("build", "offset_gap"), expect="silent"),
    dict(name="overfit: silent", history=("sample", "overfit.csv"), expect="silent"),
    dict(name="good fit: silent", history=("sample", "good_fit.csv"), expect="silent"),
]
