CASES = [
    dict(
        name="memorization signature (15% noisy labels)",
        history=("sample", "overfit.csv"),
        expect="fire",
        evidence=["accuracy reached 1", "val_accuracy peaked at 0.87 (epoch 2)", "fell to 0.83"],
        score_min=0.65,
    ),
    dict(name="no memorization: silent", history=("build", "offset_gap"), expect="silent"),
    dict(name="still improving: silent", history=("sample", "still_improving.csv"), expect="silent"),
]
